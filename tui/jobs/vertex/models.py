"""Tuned models in Vertex's Model Registry: list them with their endpoints, rename (display name), delete.

A tuning job leaves a Model (`tunedModel.model`, `projects/P/locations/L/models/M@1`) and
Endpoints serving it (`tunedModel.endpoint`, and one per checkpoint). The registry's Model
says where it is deployed (`deployedModels[].endpoint`); the tuning job says which model it
made, so a listing joins the two (one `models.list` and one `tuningJobs.list`, each paged).
Rename is `models.patch` with `updateMask=displayName`. Vertex deletes a model only once no
endpoint serves it, so a delete is planned first (read the model and each endpoint) and then
done in order: undeploy it from each endpoint (waiting for the operation), delete each endpoint
nothing else is deployed on, delete the model. Raw REST; google-genai has no call for these.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.library import DeletionFailed, DeletionPlan, DeletionProgress, DeletionStep, StepDone, TunedModel
from tui.jobs.vertex.rest import Rest

OPERATION_WAIT_S = 600.0
PAGE_SIZE = 100


def model_name(versioned: str) -> str:
    """The model without its version: `projects/…/models/M@1` → `projects/…/models/M`."""
    return versioned.split("@", 1)[0]


def _time(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def tuned_model(body: dict[str, Any], job: dict[str, Any] | None) -> TunedModel:
    """A TunedModel from a registry Model (and the tuning job that made it, when known)."""
    base = ((body.get("baseModelSource") or {}).get("genieSource") or {}).get("baseModelUri") or ""
    endpoints = tuple(dict.fromkeys(str(d["endpoint"]) for d in body.get("deployedModels") or [] if d.get("endpoint")))
    return TunedModel(name=model_name(str(body.get("name", ""))), display_name=str(body.get("displayName") or ""),
                      base_model=str(base or (job or {}).get("baseModel") or ""), endpoints=endpoints,
                      created=_time(body.get("createTime")), job=str(job["name"]) if job else None)


class TunedModels:
    """The Model Registry's tuned models under `parent` (projects/P/locations/L), through `rest`."""

    def __init__(self, rest: Rest, api_version: str = "v1beta1", parent: str = "",
                 wait_s: float = OPERATION_WAIT_S) -> None:
        self.rest = rest
        self.version = api_version
        self.parent = parent
        self.wait_s = wait_s

    def _path(self, resource: str) -> str:
        return f"{self.version}/{resource}"

    async def _pages(self, collection: str, key: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token = ""
        while True:
            query = {"pageSize": PAGE_SIZE, **({"pageToken": token} if token else {})}
            body = await self.rest.call("GET", self._path(f"{self.parent}/{collection}"), query=query)
            found += [item for item in body.get(key) or [] if isinstance(item, dict)]
            token = str(body.get("nextPageToken") or "")
            if not token:
                return found

    # -- listing -----------------------------------------------------------------------------

    async def list(self) -> list[TunedModel]:
        """The tuned models, newest first: those a tuning job made, and any tuned from a Google base model."""
        models, jobs = await asyncio.gather(self._pages("models", "models"), self._pages("tuningJobs", "tuningJobs"))
        made_by = {model_name(str((j.get("tunedModel") or {}).get("model"))): j
                   for j in jobs if (j.get("tunedModel") or {}).get("model")}
        found = []
        for body in models:
            name = model_name(str(body.get("name", "")))
            if name in made_by or (body.get("baseModelSource") or {}).get("genieSource"):
                found.append(tuned_model(body, made_by.get(name)))
        return sorted(found, key=lambda m: m.created.timestamp() if m.created else 0.0, reverse=True)

    async def model_of(self, name: str) -> str:
        """The model a name stands for: a model's own name, or the tuning job that made it."""
        if "/tuningJobs/" not in name:
            return model_name(name)
        body = await self.rest.call("GET", self._path(name))
        model = (body.get("tunedModel") or {}).get("model")
        if not model:
            raise BackendError(ErrorKind.FAILED_PRECONDITION, f"{name} has no tuned model (yet)",
                               "wait until the job has succeeded")
        return model_name(str(model))

    async def get(self, name: str) -> TunedModel:
        model = await self.model_of(name)
        return tuned_model(await self.rest.call("GET", self._path(model)), {"name": name} if "/tuningJobs/" in name
                           else None)

    # -- rename ------------------------------------------------------------------------------

    async def rename(self, name: str, display_name: str) -> TunedModel:
        """Change the model's display name (the tuning job keeps the name it was launched with)."""
        model = await self.model_of(name)
        body = await self.rest.call("PATCH", self._path(model), query={"updateMask": "displayName"},
                                    json={"displayName": display_name})
        return tuned_model(body, {"name": name} if "/tuningJobs/" in name else None)

    # -- delete ------------------------------------------------------------------------------

    async def plan_delete(self, name: str) -> DeletionPlan:
        """Read the model and the endpoints serving it; the steps that delete it, in order.

        `name` is the model, or better the job that made it: then the job's endpoints (the model's and each
        checkpoint's) are looked at too, so an endpoint left empty by an earlier delete that stopped half way
        is deleted as well (the registry lists only endpoints where the model is still deployed)."""
        made_for: list[str] = []
        job = None
        if "/tuningJobs/" in name:
            job = name
            tuned = (await self.rest.call("GET", self._path(name))).get("tunedModel") or {}
            if not tuned.get("model"):
                raise BackendError(ErrorKind.FAILED_PRECONDITION, f"{name} has no tuned model (yet)",
                                   "wait until the job has succeeded")
            model = model_name(str(tuned["model"]))
            made_for = [str(e) for e in [tuned.get("endpoint"), *(c.get("endpoint") for c in
                                                                   tuned.get("checkpoints") or [])] if e]
        else:
            model = model_name(name)
        try:
            body = await self.rest.call("GET", self._path(model))
        except BackendError as exc:
            if exc.kind is not ErrorKind.NOT_FOUND or not made_for:
                raise
            body = {}  # the model is gone; endpoints made for it may remain
        serving = [str(d["endpoint"]) for d in body.get("deployedModels") or [] if d.get("endpoint")]
        steps: list[DeletionStep] = []
        shared: list[str] = []
        for endpoint in dict.fromkeys([*serving, *made_for]):
            try:
                found = await self.rest.call("GET", self._path(endpoint))
            except BackendError as exc:
                if exc.kind is ErrorKind.NOT_FOUND:
                    continue  # gone already
                raise
            deployed = found.get("deployedModels") or []
            ours = [d for d in deployed if model_name(str(d.get("model", ""))) == model and d.get("id")]
            steps += [DeletionStep("undeploy", endpoint, str(d["id"])) for d in ours]
            if len(ours) == len(deployed) and (ours or endpoint in made_for):
                steps.append(DeletionStep("delete-endpoint", endpoint))
            elif ours:
                shared.append(endpoint)
        if body:
            steps.append(DeletionStep("delete-model", model))
        return DeletionPlan(model=model, display_name=str(body.get("displayName") or ""), steps=tuple(steps),
                            shared_endpoints=tuple(shared), job=job)

    async def wait(self, operation: dict) -> None:
        """Wait for a long-running operation to finish; raise its error."""
        deadline = time.monotonic() + self.wait_s
        delay = 0.5
        while not operation.get("done"):
            if time.monotonic() > deadline:
                raise BackendError(ErrorKind.TIMEOUT, f"{operation.get('name')} is still running after "
                                   f"{self.wait_s:.0f} s", "run the delete again later to finish it")
            await asyncio.sleep(delay)
            delay = min(5.0, delay * 2)
            operation = await self.rest.call("GET", self._path(str(operation["name"])))
        error = operation.get("error")
        if error:
            raise BackendError(ErrorKind.SERVER, f"{self.rest.where}: {error.get('message') or error}",
                               "run the delete again; if it persists, delete it in the Cloud console")

    async def _do(self, step: DeletionStep) -> None:
        if step.action == "undeploy":
            operation = await self.rest.call("POST", self._path(step.resource) + ":undeployModel",
                                             json={"deployedModelId": step.deployed_model_id})
            await self.wait(operation)
        else:
            operation = await self.rest.call("DELETE", self._path(step.resource))
            if operation.get("name") and "/operations/" in str(operation["name"]):
                await self.wait(operation)

    async def delete(self, plan: DeletionPlan, on_step: StepDone | None = None) -> DeletionProgress:
        """Do the plan's steps in order; a resource already gone counts as done. A step that fails
        stops the delete with `DeletionFailed` (what was done, what failed, what is left)."""
        progress = DeletionProgress()
        for step in plan.steps:
            try:
                await self._do(step)
            except BackendError as exc:
                if exc.kind is not ErrorKind.NOT_FOUND:
                    raise DeletionFailed(plan, progress, step, exc) from None
                progress.already_gone.append(step)
            progress.done.append(step)
            if on_step is not None:
                on_step(step)
        return progress
