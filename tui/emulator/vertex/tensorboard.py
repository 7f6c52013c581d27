"""A tuning job's loss curves the way Vertex exposes them: Experiment → ExperimentRun → TensorBoard.

Per job (once it runs): the Experiment context `metadataStores/default/contexts/
tuning-experiment-<job>` (its `metadata.backing_tensorboard_resource` names TensorBoard
`tensorboards/<job>`), the ExperimentRun context `<experiment>-tuning` (found with
`filter=schema_title="system.ExperimentRun" AND parent_contexts:"<experiment>"`), and the
TensorBoard run `tensorboards/<job>/experiments/<experiment>/runs/tuning` holding one
scalar time series per metric (`/train_total_loss`… and, with a validation set,
`/eval_*`). One train point per optimizer step from step 1; points appear as the job runs.

`:read` and `:batchRead` return at most `maxDataPoints` (default 1000) points, evenly
spaced over the series (first and last kept) when it has more; `:exportTensorboardTimeSeries`
pages through every point by step.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from tui.emulator.bodies import json_body
from tui.emulator.paging import decode_token, encode_token
from tui.emulator.resources import as_integer, as_object
from tui.emulator.vertex.common import DIGITS, VERTEX, parent_of, parents, read_body
from tui.emulator.vertex.jobs import experiment_id, job_json
from tui.emulator.wire import invalid, not_found

RUN = "tuning"
SERIES = {  # time series id -> (display name, column); eval series exist only with a validation set
    "1001": "train_total_loss",
    "1002": "train_fraction_of_correct_next_step_preds",
    "1003": "train_num_predictions",
    "1004": "eval_total_loss",
    "1005": "eval_fraction_of_correct_next_step_preds",
    "1006": "eval_num_predictions",
}
READ_DEFAULT, READ_MAX, EXPORT_DEFAULT, EXPORT_MAX = 1000, 10_000, 1000, 10_000
TB, EXP, RUN_P, TS = "{tb:" + DIGITS + "}", "{exp:[^/:]+}", "{run:[^/:]+}", "{ts:" + DIGITS + "}"
_CONTEXT = re.compile(r"^tuning-experiment-([0-9]+)(-" + RUN + ")?$")
_STEP_TERM = re.compile(r"^\s*step\s*(>=|<=|=|>|<)\s*([0-9]+)\s*$")


def _started_job(request: web.Request, job_id: str, what: str) -> dict[str, Any]:
    project, location, _parent = parent_of(request)
    record = request.app[VERTEX].db.job(job_id)
    if record is None or (record["project"], record["location"]) != (project, location) or not record["start_time"]:
        raise not_found(f"{what} does not exist.")
    return record


def _series_ids(record: dict[str, Any]) -> list[str]:
    return [i for i, column in SERIES.items() if record["has_validation"] or column.startswith("train_")]


# -- metadata contexts --------------------------------------------------------------------
def _context(record: dict[str, Any], run: bool) -> dict[str, Any]:
    parent = f"projects/{record['project']}/locations/{record['location']}"
    experiment = experiment_id(record["id"])
    base = f"{parent}/metadataStores/default/contexts/{experiment}"
    body: dict[str, Any] = {
        "name": f"{base}-{RUN}" if run else base,
        "displayName": f"{experiment}-{RUN}" if run else experiment,
        "schemaTitle": "system.ExperimentRun" if run else "system.Experiment",
        "schemaVersion": "0.0.1",
        "createTime": record["start_time"],
        "updateTime": record["update_time"],
    }
    if run:
        body["parentContexts"] = [base]
        body["metadata"] = {"state": job_json(record)["state"], "tuning_job": job_json(record)["name"]}
    else:
        body["metadata"] = {
            "backing_tensorboard_resource": f"{parent}/tensorboards/{record['id']}",
            "experiment_deleted": False,
        }
    return body


async def get_context(request: web.Request) -> web.Response:
    match = _CONTEXT.match(request.match_info["context"])
    name = f"{parent_of(request)[2]}/metadataStores/default/contexts/{request.match_info['context']}"
    if match is None:
        raise not_found(f"Context {name} does not exist.")
    return json_body(_context(_started_job(request, match[1], f"Context {name}"), run=bool(match[2])))


def _context_filter(text: str) -> tuple[str | None, str | None]:
    """(schema title, parent context) of a contexts filter; other terms are refused."""
    schema = parent = None
    for term in re.split(r"\s+AND\s+", text.strip()) if text.strip() else []:
        if m := re.fullmatch(r'\s*schema_title\s*=\s*"([^"]+)"\s*', term):
            schema = m[1]
        elif m := re.fullmatch(r'\s*parent_contexts\s*:\s*"([^"]+)"\s*', term):
            parent = m[1]
        else:
            raise invalid(
                "filter", f'unsupported term {term.strip()!r}; use schema_title="..." and parent_contexts:"..."'
            )
    return schema, parent


async def list_contexts(request: web.Request) -> web.Response:
    project, location, _ = parent_of(request)
    schema, parent = _context_filter(request.query.get("filter", ""))
    contexts = []
    for record in request.app[VERTEX].db.jobs(project, location):
        if not record["start_time"]:
            continue
        for run in (False, True):
            context = _context(record, run)
            if schema and context["schemaTitle"] != schema:
                continue
            if parent and parent not in context.get("parentContexts", []):
                continue
            contexts.append(context)
    return json_body({"contexts": contexts} if contexts else {})


# -- TensorBoard resources ----------------------------------------------------------------
def _run_of(request: web.Request) -> dict[str, Any]:
    tb, exp, run = request.match_info["tb"], request.match_info.get("exp"), request.match_info.get("run")
    name = (
        f"{parent_of(request)[2]}/tensorboards/{tb}"
        + (f"/experiments/{exp}" if exp else "")
        + (f"/runs/{run}" if run else "")
    )
    record = _started_job(request, tb, f"TensorBoard resource {name}")
    if (exp is not None and exp != experiment_id(tb)) or (run is not None and run != RUN):
        raise not_found(f"TensorBoard resource {name} does not exist.")
    return record


def _tb_name(record: dict[str, Any]) -> str:
    return f"projects/{record['project']}/locations/{record['location']}/tensorboards/{record['id']}"


def _run_name(record: dict[str, Any]) -> str:
    return f"{_tb_name(record)}/experiments/{experiment_id(record['id'])}/runs/{RUN}"


async def get_tensorboard(request: web.Request) -> web.Response:
    record = _run_of(request)
    return json_body(
        {
            "name": _tb_name(record),
            "displayName": f"tuning-{record['id']}",
            "runCount": 1,
            "createTime": record["start_time"],
            "updateTime": record["update_time"],
        }
    )


async def get_experiment(request: web.Request) -> web.Response:
    record = _run_of(request)
    return json_body(
        {
            "name": f"{_tb_name(record)}/experiments/{experiment_id(record['id'])}",
            "displayName": experiment_id(record["id"]),
            "source": "vertex-ai-tuning",
            "createTime": record["start_time"],
            "updateTime": record["update_time"],
        }
    )


def _run_json(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _run_name(record),
        "displayName": RUN,
        "createTime": record["start_time"],
        "updateTime": record["update_time"],
    }


async def list_runs(request: web.Request) -> web.Response:
    return json_body({"tensorboardRuns": [_run_json(_run_of(request))]})


async def get_run(request: web.Request) -> web.Response:
    return json_body(_run_json(_run_of(request)))


def _series_json(request: web.Request, record: dict[str, Any], ts: str) -> dict[str, Any]:
    column = SERIES[ts]
    body: dict[str, Any] = {
        "name": f"{_run_name(record)}/timeSeries/{ts}",
        "displayName": f"/{column}",
        "valueType": "SCALAR",
        "pluginName": "scalars",
        "createTime": record["start_time"],
        "updateTime": record["update_time"],
    }
    count, last_step, last_time = request.app[VERTEX].db.series_extent(record["id"], column)
    if count:
        body["metadata"] = {"maxStep": str(last_step), "maxWallTime": last_time}
    return body


def _series_of(request: web.Request) -> tuple[dict[str, Any], str]:
    record = _run_of(request)
    ts = request.match_info["ts"]
    if ts not in _series_ids(record):
        raise not_found(f"TensorBoard time series {_run_name(record)}/timeSeries/{ts} does not exist.")
    return record, ts


async def list_series(request: web.Request) -> web.Response:
    record = _run_of(request)
    return json_body({"tensorboardTimeSeries": [_series_json(request, record, ts) for ts in _series_ids(record)]})


async def get_series(request: web.Request) -> web.Response:
    record, ts = _series_of(request)
    return json_body(_series_json(request, record, ts))


# -- reading points -----------------------------------------------------------------------
def step_filter(text: str) -> tuple[int | None, int | None]:
    """[low, high] step bounds of a filter like `step >= 10 AND step < 200`."""
    low = high = None
    for term in re.split(r"\s+AND\s+", text.strip()) if text.strip() else []:
        match = _STEP_TERM.match(term)
        if match is None:
            raise invalid(
                "filter", f"unsupported term {term.strip()!r}; filter by step, e.g. step >= 10 AND step < 200"
            )
        op, value = match[1], int(match[2])
        if op in (">", ">=", "="):
            low = max(low or 0, value + (op == ">"))
        if op in ("<", "<=", "="):
            bound = value - (op == "<")
            high = bound if high is None else min(high, bound)
    return low, high


def _point(step: int, wall_time: str, value: float) -> dict[str, Any]:
    return {"wallTime": wall_time, "step": str(step), "scalar": {"value": value}}


def _sampled(request: web.Request, record: dict[str, Any], ts: str, limit: int, text: str = "") -> dict[str, Any]:
    low, high = step_filter(text)
    points = request.app[VERTEX].db.series(record["id"], SERIES[ts], low, high)
    if len(points) > limit:
        picks = sorted({round(i * (len(points) - 1) / max(1, limit - 1)) for i in range(limit)})
        points = [points[i] for i in picks]
    return {"tensorboardTimeSeriesId": ts, "valueType": "SCALAR", "values": [_point(*p) for p in points]}


def _max_points(request: web.Request) -> int:
    raw = request.query.get("maxDataPoints", "")
    return as_integer(raw, "maxDataPoints", 1, READ_MAX) if raw not in ("", "0") else READ_DEFAULT


async def read_series(request: web.Request) -> web.Response:
    record, ts = _series_of(request)
    data = _sampled(request, record, ts, _max_points(request), request.query.get("filter", ""))
    return json_body({"timeSeriesData": data})


async def batch_read(request: web.Request) -> web.Response:
    record = _run_of(request)
    prefix = f"{_run_name(record)}/timeSeries/"
    wanted = request.query.getall("timeSeries", [])
    if not wanted:
        raise invalid("timeSeries", "name at least one time series (repeat timeSeries= for more)")
    data = []
    for name in wanted:
        ts = name.removeprefix(prefix)
        if not name.startswith(prefix) or ts not in _series_ids(record):
            raise not_found(f"TensorBoard time series {name} does not exist.")
        data.append(_sampled(request, record, ts, READ_DEFAULT))
    return json_body({"timeSeriesData": data})


async def export_series(request: web.Request) -> web.Response:
    record, ts = _series_of(request)
    body = as_object(await read_body(request), "request")
    order = str(body.get("orderBy") or "step").strip()
    if order not in ("step", "step asc", "step desc"):
        raise invalid("orderBy", f"unsupported order {order!r}; use step or step desc")
    descending = order == "step desc"
    size = as_integer(body.get("pageSize") or EXPORT_DEFAULT, "pageSize", 1, EXPORT_MAX)
    text = str(body.get("filter") or "")
    low, high = step_filter(text)
    query = {"filter": text, "orderBy": order}
    after = decode_token(_Token(str(body.get("pageToken") or "")), query)  # type: ignore[arg-type]
    rows = request.app[VERTEX].db.series(record["id"], SERIES[ts], low, high, after, size + 1, descending)
    out: dict[str, Any] = {"timeSeriesDataPoints": [_point(*p) for p in rows[:size]]}
    if len(rows) > size:
        out["nextPageToken"] = encode_token(rows[size - 1][0], query)
    return json_body(out)


class _Token:
    """Lets `decode_token` read a page token from a JSON body instead of the query."""

    def __init__(self, token: str) -> None:
        self.query = {"pageToken": token}


def add_routes(app: web.Application) -> None:
    for prefix in parents():
        contexts = f"{prefix}/metadataStores/default/contexts"
        app.router.add_get(contexts, list_contexts)
        app.router.add_get(contexts + "/{context:[^/:]+}", get_context)
        board = f"{prefix}/tensorboards/{TB}"
        app.router.add_get(board, get_tensorboard)
        app.router.add_get(board + ":batchRead", batch_read)
        app.router.add_get(f"{board}/experiments/{EXP}", get_experiment)
        app.router.add_get(f"{board}/experiments/{EXP}/runs", list_runs)
        run = f"{board}/experiments/{EXP}/runs/{RUN_P}"
        app.router.add_get(run, get_run)
        app.router.add_get(f"{run}/timeSeries", list_series)
        app.router.add_get(f"{run}/timeSeries/{TS}", get_series)
        app.router.add_get(f"{run}/timeSeries/{TS}:read", read_series)
        app.router.add_post(f"{run}/timeSeries/{TS}:exportTensorboardTimeSeries", export_series)
