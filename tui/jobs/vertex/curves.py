"""A Vertex tuning job's loss and accuracy curves, read incrementally from its TensorBoard.

Vertex has no "curves of this job" call; the chain (reference: vertex-tuning-api.md §2.2) is
1. `job.experiment` → the Experiment context → `metadata.backing_tensorboard_resource`;
2. the ExperimentRun context under it (`contexts?filter=schema_title="system.ExperimentRun"
   AND parent_contexts:"<experiment>"`) → the TensorBoard run
   `<tensorboard>/experiments/<experiment id>/runs/<run context id minus "<experiment id>-">`;
3. the run's time series, mapped by display name (`/train_total_loss`, …) to curve names;
4. each series' points through `exportTensorboardTimeSeries`, ordered by step, paged, with
   `step > N` so a poll reads only the points it has not seen (never `:read`/`batchRead`,
   which return a random sample of at most 1000 points).
The resolved chain is cached per job; series that do not exist yet (eval series before the
first evaluation) are looked for again at most once a minute.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.vertex.rest import Rest

SERIES = {  # TensorBoard display name → curve name (tui.models constants)
    "/train_total_loss": "train_loss",
    "/eval_total_loss": "eval_loss",
    "/train_fraction_of_correct_next_step_preds": "train_accuracy",
    "/eval_fraction_of_correct_next_step_preds": "eval_accuracy",
}
TRAIN_CURVES = ("train_loss", "train_accuracy")
EVAL_CURVES = ("eval_loss", "eval_accuracy")
LOSS_CURVES = ("train_loss", "eval_loss")
BACKING_TENSORBOARD = "backing_tensorboard_resource"
RUN_SCHEMA = "system.ExperimentRun"
PAGE_SIZE = 1000
RELIST_S = 60.0

RawPoint = tuple[int, float, datetime | None]  # step, value, wall time


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def points_from_api(values: list) -> list[RawPoint]:
    """TimeSeriesDataPoints (`{"step": "3", "wallTime": …, "scalar": {"value": 1.2}}`) with a scalar value."""
    points = []
    for value in values:
        if not isinstance(value, dict) or not isinstance(value.get("scalar"), dict):
            continue
        try:
            points.append((int(value.get("step") or 0), float(value["scalar"].get("value") or 0.0),
                           _time(value.get("wallTime"))))
        except (TypeError, ValueError):
            continue
    return points


@dataclass
class CurveChain:
    """The resolved chain from a job's experiment to its time series."""

    experiment: str
    tensorboard: str
    run: str
    series: dict[str, str] = field(default_factory=dict)  # curve name → time series resource name
    listed_at: float = 0.0


def location_parent(resource: str) -> str:
    """`projects/P/locations/L` of a resource name under it."""
    parts = resource.split("/")
    if len(parts) < 4 or parts[0] != "projects" or parts[2] != "locations":
        raise BackendError(ErrorKind.INVALID, f"{resource!r} is not a Vertex resource name",
                           "expected projects/P/locations/L/...")
    return "/".join(parts[:4])


class CurveReader:
    """Reads curves through `rest` (the aiplatform host) under `api_version`; caches each job's chain."""

    def __init__(self, rest: Rest, api_version: str = "v1beta1", relist_s: float = RELIST_S,
                 page_size: int = PAGE_SIZE) -> None:
        self.rest = rest
        self.version = api_version
        self.relist_s = relist_s
        self.page_size = page_size
        self.chains: dict[str, CurveChain] = {}

    def _path(self, resource: str) -> str:
        return f"{self.version}/{resource}"

    async def _pages(self, method: str, resource: str, key: str, *, query: Mapping | None = None,
                     body: Mapping | None = None) -> list:
        items: list = []
        token = ""
        while True:
            if method == "GET":
                page_query = {**(query or {}), **({"pageToken": token} if token else {})}
                answer = await self.rest.call("GET", self._path(resource), query=page_query)
            else:
                answer = await self.rest.call("POST", self._path(resource), json={**(body or {}), "pageToken": token})
            items.extend(answer.get(key) or [])
            token = str(answer.get("nextPageToken") or "")
            if not token:
                return items

    async def resolve(self, experiment: str) -> CurveChain | None:
        """The experiment's TensorBoard run, or None while Vertex has not made it yet."""
        context = await self.rest.call("GET", self._path(experiment))
        tensorboard = (context.get("metadata") or {}).get(BACKING_TENSORBOARD)
        if not tensorboard:
            return None
        store = experiment.rsplit("/contexts/", 1)[0]
        experiment_id = experiment.rsplit("/", 1)[-1]
        runs = await self._pages("GET", f"{store}/contexts", "contexts", query={
            "filter": f'schema_title="{RUN_SCHEMA}" AND parent_contexts:"{experiment}"'})
        names = sorted(str(run.get("name", "")) for run in runs if isinstance(run, dict) and run.get("name"))
        if not names:
            return None
        run_id = names[0].rsplit("/", 1)[-1].removeprefix(f"{experiment_id}-")
        return CurveChain(experiment, str(tensorboard), f"{tensorboard}/experiments/{experiment_id}/runs/{run_id}")

    async def _list_series(self, chain: CurveChain) -> None:
        listed = await self._pages("GET", f"{chain.run}/timeSeries", "tensorboardTimeSeries")
        for series in listed:
            curve = SERIES.get(str(series.get("displayName", "")))
            if curve and series.get("name"):
                chain.series[curve] = str(series["name"])
        chain.listed_at = time.monotonic()

    async def chain(self, job: str, experiment: str, expect_eval: bool) -> CurveChain | None:
        """The cached chain of `job`, resolved on first use; series looked for again while some are missing."""
        chain = self.chains.get(job)
        if chain is None or chain.experiment != experiment:
            chain = await self.resolve(experiment)
            if chain is None:
                return None
            self.chains[job] = chain
        wanted = TRAIN_CURVES + (EVAL_CURVES if expect_eval else ())
        missing = [c for c in wanted if c not in chain.series]
        if missing and (not chain.listed_at or time.monotonic() - chain.listed_at >= self.relist_s):
            await self._list_series(chain)
        return chain

    async def export(self, series: str, after_step: int = -1) -> list[RawPoint]:
        """Every point of one time series after `after_step`, in step order."""
        body: dict = {"pageSize": self.page_size, "orderBy": "step"}
        if after_step >= 0:
            body["filter"] = f"step > {after_step}"
        values = await self._pages("POST", f"{series}:exportTensorboardTimeSeries", "timeSeriesDataPoints", body=body)
        return sorted((p for p in points_from_api(values) if p[0] > after_step), key=lambda p: p[0])

    async def read(self, job: str, experiment: str, after: Mapping[str, int], expect_eval: bool = False,
                   only: Collection[str] | None = None) -> dict[str, list[RawPoint]]:
        """New points of each curve of `job` (or of those in `only`): those after `after[curve]`
        (the last step already known)."""
        chain = await self.chain(job, experiment, expect_eval)
        if chain is None:
            return {}
        return await self.read_chain(job, chain, after, only)

    async def read_chain(self, job: str, chain: CurveChain, after: Mapping[str, int],
                         only: Collection[str] | None = None) -> dict[str, list[RawPoint]]:
        """New points of each curve of `chain` (or of those in `only`), as `read`."""
        found: dict[str, list[RawPoint]] = {}
        for curve, series in chain.series.items():
            if only is not None and curve not in only:
                continue
            try:
                points = await self.export(series, after.get(curve, -1))
            except BackendError as exc:
                if exc.kind is not ErrorKind.NOT_FOUND:
                    raise
                self.chains.pop(job, None)  # the run was replaced; resolve it again next time
                return found
            if points:
                found[curve] = points
        return found

    def forget(self, job: str) -> None:
        self.chains.pop(job, None)
