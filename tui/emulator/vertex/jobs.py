"""Vertex tuning jobs: `projects/P/locations/L/tuningJobs` create, get, list and `:cancel`.

Create answers the TuningJob itself (no long-running operation). The datasets are checked
and linked into the job's directory when it is created, so replacing or deleting the
objects afterwards does not change what the job trains on.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from typing import Any

from aiohttp import web

from tui.emulator.bodies import json_body
from tui.emulator.paging import decode_token, encode_token, page_size
from tui.emulator.state import STATE
from tui.emulator.storage import OBJECT_STORE, parse_gs_uri
from tui.emulator.vertex.common import DIGITS, VERTEX, new_id, parent_of, parents, read_body
from tui.emulator.vertex.runner import checkpoint_path, key_of, learning_rate
from tui.emulator.vertex.validate import MAX_VALIDATION_EXAMPLES, check_adapter, check_dataset, parse_create
from tui.emulator.wire import ApiError, failed_precondition, invalid, not_found, stamp
from tui.models import total_steps

JOB = r"{job:" + DIGITS + "}"
STATES = (
    "JOB_STATE_QUEUED",
    "JOB_STATE_PENDING",
    "JOB_STATE_RUNNING",
    "JOB_STATE_SUCCEEDED",
    "JOB_STATE_FAILED",
    "JOB_STATE_CANCELLING",
    "JOB_STATE_CANCELLED",
    "JOB_STATE_PAUSED",
    "JOB_STATE_EXPIRED",
)
ENDED = ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED")


def experiment_id(job_id: str) -> str:
    return f"tuning-experiment-{job_id}"


def job_json(record: dict[str, Any]) -> dict[str, Any]:
    """A TuningJob as Vertex answers it (int64 fields as strings, empty fields left out)."""
    parent = f"projects/{record['project']}/locations/{record['location']}"
    request = record["request"]
    body: dict[str, Any] = {"name": f"{parent}/tuningJobs/{record['id']}"}
    for key in ("tunedModelDisplayName", "description", "baseModel", "preTunedModel", "supervisedTuningSpec", "labels"):
        if request.get(key):
            body[key] = request[key]
    body["state"] = record["state"]
    body["createTime"] = record["create_time"]
    if record["start_time"]:
        body["startTime"] = record["start_time"]
        body["experiment"] = f"{parent}/metadataStores/default/contexts/{experiment_id(record['id'])}"
    if record["end_time"]:
        body["endTime"] = record["end_time"]
    body["updateTime"] = record["update_time"]
    if record["tuning_state"]:
        body["tuningJobState"] = record["tuning_state"]
    if record["stats"]:
        body["tuningDataStats"] = {"supervisedTuningDataStats": record["stats"]}
    if record["start_time"]:
        steps = record["completed_steps"]
        epochs = 0
        if record["example_count"] and record["batch_size"]:
            epochs = sum(
                1
                for e in range(1, record["epochs"] + 1)
                if total_steps(record["example_count"], e, record["batch_size"]) <= steps
            )
        body["tuningJobMetadata"] = {"completedEpochCount": str(epochs), "completedStepCount": str(steps)}
    if record["tuned_model"]:
        body["tunedModel"] = record["tuned_model"]
    if record["error"]:
        body["error"] = {"code": record["error"]["code"], "message": record["error"]["message"], "details": []}
    return body


def _job(request: web.Request) -> dict[str, Any]:
    project, location, parent = parent_of(request)
    record = request.app[VERTEX].db.job(request.match_info["job"])
    if record is None or (record["project"], record["location"]) != (project, location):
        raise not_found(f"The TuningJob {parent}/tuningJobs/{request.match_info['job']} does not exist.")
    return record


def _link(source: os.PathLike[str], target: os.PathLike[str]) -> None:
    """Keep these exact bytes for the job: a hard link (objects are never rewritten in place), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


async def create(request: web.Request) -> web.Response:
    project, location, _parent = parent_of(request)
    vertex = request.app[VERTEX]
    objects = request.app[OBJECT_STORE]
    spec = parse_create(await read_body(request))
    source_weights = None
    echo = spec.echo
    if spec.pre_tuned is not None:
        p, loc, model_id, checkpoint = spec.pre_tuned
        model = vertex.db.model(model_id)
        name = echo["preTunedModel"]["tunedModelName"]
        if model is None or (model["project"], model["location"]) != (p, loc):
            raise invalid("preTunedModel.tunedModelName", f"{name} does not exist")
        checkpoint = checkpoint or model["default_checkpoint"]
        if checkpoint not in {c["checkpointId"] for c in model["checkpoints"]}:
            raise invalid("preTunedModel.checkpointId", f"{name} has no checkpoint {checkpoint!r}")
        if spec.adapter is not None:
            check_adapter(model["base_model"], spec.adapter)
        echo["baseModel"] = model["base_model"]
        source_weights = checkpoint_path(vertex.job_dir(model["job_id"]), checkpoint)
        if not source_weights.exists():
            raise failed_precondition(f"the weights of {name} checkpoint {checkpoint} are missing; tune it again")
        hidden = model["hidden"]
    else:
        echo["baseModel"] = spec.base_model
        hidden = spec.hidden
    datasets: list[tuple[str, str, int | None]] = [("supervisedTuningSpec.trainingDatasetUri", spec.train_uri, None)]
    if spec.validation_uri:
        datasets.append(("supervisedTuningSpec.validationDatasetUri", spec.validation_uri, MAX_VALIDATION_EXAMPLES))
    paths = []
    for where, uri, limit in datasets:
        bucket, name = parse_gs_uri(uri)
        if objects.stat(bucket, name) is None:
            raise invalid(where, f"{uri} does not exist (no such Cloud Storage object); upload it first")
        path = objects.path(bucket, name)
        await asyncio.to_thread(check_dataset, path, uri, where, limit)
        paths.append(path)
    job_id = new_id()
    directory = vertex.job_dir(job_id)
    directory.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(_link, paths[0], directory / "train.jsonl")
    if len(paths) > 1:
        await asyncio.to_thread(_link, paths[1], directory / "validation.jsonl")
    if source_weights is not None:
        await asyncio.to_thread(_link, source_weights, directory / "source.npz")
    moment = stamp()
    record = {
        "id": job_id,
        "project": project,
        "location": location,
        "state": "JOB_STATE_PENDING",
        "request": echo,
        "create_time": moment,
        "update_time": moment,
        "epochs": spec.epochs,
        "hidden": hidden,
        "learning_rate": learning_rate(spec.learning_rate_multiplier),
        "checkpoint_epochs": spec.checkpoint_epochs,
        "has_validation": int(len(paths) > 1),
        "source_weights": str(directory / "source.npz") if source_weights is not None else None,
    }
    vertex.db.insert_job(record)
    request.app[STATE].pool.submit(key_of(job_id))
    return json_body(job_json(vertex.db.job(job_id) or record))


async def get_job(request: web.Request) -> web.Response:
    return json_body(job_json(_job(request)))


_FILTER_TERM = re.compile(r'^\s*state\s*(=|!=)\s*"?([A-Z_]+)"?\s*$')


def parse_state_filter(text: str) -> list[tuple[bool, str]]:
    """`state="JOB_STATE_RUNNING"` (also `!=`, joined by OR): (wanted, state) terms; [] for no filter."""
    if not text.strip():
        return []
    terms = []
    for part in re.split(r"\s+OR\s+", text.strip()):
        match = _FILTER_TERM.match(part)
        if match is None or match[2] not in STATES:
            raise invalid("filter", f'unsupported filter {text!r}; use state="JOB_STATE_..." (with OR, or !=)')
        terms.append((match[1] == "=", match[2]))
    return terms


def _matches(state: str, terms: list[tuple[bool, str]]) -> bool:
    return not terms or any((state == wanted) == equal for equal, wanted in terms)


async def list_jobs(request: web.Request) -> web.Response:
    project, location, _ = parent_of(request)
    size = page_size(request, 50)
    text = request.query.get("filter", "")
    terms = parse_state_filter(text)
    after = decode_token(request, {"pageSize": size, "filter": text})
    found: list[dict[str, Any]] = []
    more = False
    for record in request.app[VERTEX].db.jobs(project, location, after):
        if not _matches(record["state"], terms):
            continue
        if len(found) == size:
            more = True
            break
        found.append(record)
    body: dict[str, Any] = {"tuningJobs": [job_json(r) for r in found]} if found else {}
    if more:
        body["nextPageToken"] = encode_token(found[-1]["seq"], {"pageSize": size, "filter": text})
    return json_body(body)


async def cancel_job(request: web.Request) -> web.Response:
    record = _job(request)
    vertex = request.app[VERTEX]
    name = job_json(record)["name"]
    if record["state"] in ENDED or record["state"] == "JOB_STATE_CANCELLING":
        raise ApiError(
            400, f"Cannot cancel tuning job {name} in state {record['state']}.", status="FAILED_PRECONDITION"
        )
    pool = request.app[STATE].pool
    if vertex.runner is None:
        raise ApiError(503, "The service is currently unavailable.")
    if pool.cancel(key_of(record["id"])):
        vertex.db.update_job(record["id"], state="JOB_STATE_CANCELLING", update_time=stamp())
    else:  # still queued: no trainer to stop
        vertex.runner.cancelled(record["id"])
    return json_body({})


def add_routes(app: web.Application) -> None:
    for prefix in parents():
        app.router.add_post(f"{prefix}/tuningJobs", create)
        app.router.add_get(f"{prefix}/tuningJobs", list_jobs)
        app.router.add_get(f"{prefix}/tuningJobs/{JOB}", get_job)
        app.router.add_post(f"{prefix}/tuningJobs/{JOB}:cancel", cancel_job)
