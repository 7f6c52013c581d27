"""Tuned models in Vertex's Model Registry: rename (display name) and delete with their endpoints.

A tuning job leaves a Model (`tunedModel.model`, `projects/P/locations/L/models/M@1`) and
Endpoints serving it (`tunedModel.endpoint`, and one per checkpoint). Vertex deletes a
model only once no endpoint serves it, so `delete` undeploys it from each endpoint (and
waits for those operations), deletes the endpoints, then the model. Raw REST
(aiplatform `models.patch/delete`, `endpoints.get/undeployModel/delete`); google-genai has no
call for these in Vertex mode.
"""

from __future__ import annotations

import asyncio
import time

from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.vertex.rest import Rest
from tui.models import Job

OPERATION_WAIT_S = 600.0


def model_name(versioned: str) -> str:
    """The model without its version: `projects/…/models/M@1` → `projects/…/models/M`."""
    return versioned.split("@", 1)[0]


def endpoints_of(job: Job) -> list[str]:
    """Every endpoint a tuned job serves from: the model's and each checkpoint's, once each."""
    found = [job.endpoint] if job.endpoint else []
    found += [c.endpoint for c in job.checkpoints if c.endpoint and c.endpoint not in found]
    return found


def what_goes(job: Job, model: str | None) -> str:
    """The confirmation's words: what a delete removes."""
    endpoints = endpoints_of(job)
    parts = [f"tuned model {model_name(model)}" if model else f"the tuned model of {job.name}"]
    if endpoints:
        parts.append(f"{len(endpoints)} endpoint{'s' if len(endpoints) > 1 else ''} ({', '.join(endpoints)})")
    return " and ".join(parts) + "; the tuning job's record stays in Vertex"


class TunedModels:
    """Rename and delete tuned models through `rest` (the aiplatform host)."""

    def __init__(self, rest: Rest, api_version: str = "v1beta1", wait_s: float = OPERATION_WAIT_S) -> None:
        self.rest = rest
        self.version = api_version
        self.wait_s = wait_s

    def _path(self, resource: str) -> str:
        return f"{self.version}/{resource}"

    async def model_of(self, job: Job) -> str:
        """The tuned model a job made (asks the job again; the domain job keeps only its endpoint)."""
        body = await self.rest.call("GET", self._path(job.name))
        model = (body.get("tunedModel") or {}).get("model")
        if not model:
            raise BackendError(ErrorKind.FAILED_PRECONDITION, f"{job.name} has no tuned model (yet)",
                               "wait until the job has succeeded")
        return str(model)

    async def rename(self, job: Job, display_name: str) -> None:
        model = model_name(await self.model_of(job))
        await self.rest.call("PATCH", self._path(model) + "?updateMask=displayName", json={"displayName": display_name})

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

    async def _undeploy_all(self, endpoint: str, model: str) -> bool:
        """Undeploy `model` from `endpoint`; False when the endpoint is already gone."""
        try:
            body = await self.rest.call("GET", self._path(endpoint))
        except BackendError as exc:
            if exc.kind is ErrorKind.NOT_FOUND:
                return False
            raise
        for deployed in body.get("deployedModels") or []:
            if model_name(str(deployed.get("model", ""))) == model_name(model) and deployed.get("id"):
                try:
                    operation = await self.rest.call("POST", self._path(endpoint) + ":undeployModel",
                                                     json={"deployedModelId": deployed["id"]})
                except BackendError as exc:
                    if exc.kind is ErrorKind.NOT_FOUND:  # undeployed (or the endpoint deleted) meanwhile
                        return False
                    raise
                await self.wait(operation)
        return True

    async def _delete(self, resource: str) -> None:
        try:
            await self.rest.call("DELETE", self._path(resource))
        except BackendError as exc:
            if exc.kind is not ErrorKind.NOT_FOUND:
                raise

    async def delete(self, job: Job | None, name: str) -> None:
        """Delete a job's tuned model (or the model `name`) with the endpoints serving it."""
        if job is not None:
            model = await self.model_of(job)
            endpoints = endpoints_of(job)
        else:
            model = name
            body = await self.rest.call("GET", self._path(model_name(model)))
            endpoints = sorted({str(d["endpoint"]) for d in body.get("deployedModels") or [] if d.get("endpoint")})
        for endpoint in endpoints:
            if await self._undeploy_all(endpoint, model):
                await self._delete(endpoint)
        await self._delete(model_name(model))
