"""The Gemini tuning protocol over google-genai's async client, and its wire translation.

Used both for Google's Gemini API and for the local emulator, which differ only in base
URL and key. This module owns the mapping between the API's camelCase TunedModel and the
domain types, both ways. Calls the SDK drops data on go through `tui.jobs.raw`; everything
else uses the typed API. Every failure becomes a `BackendError`. The create operation
(totals, the reason a job failed) is a Gemini detail: `get` consults it when it must.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from tui.jobs import raw
from tui.jobs.backend import BackendCapabilities, CallPreview, LaunchData
from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.http import client_session
from tui.jobs.translate import from_exception
from tui.models import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_EPOCHS,
    DEFAULT_LEARNING_RATE,
    MAX_INLINE_BYTES,
    MAX_INPUT_CHARS,
    MAX_OUTPUT_CHARS,
    TRAIN_LOSS,
    BaseModelInfo,
    CurvePoint,
    Example,
    Hyperparameters,
    Job,
    JobSpec,
    JobState,
)

T = TypeVar("T")

STATES = {"CREATING": JobState.CREATING, "ACTIVE": JobState.ACTIVE, "FAILED": JobState.FAILED}
DEFAULT_TIMEOUT_S = 30.0

CAPABILITIES = BackendCapabilities(
    protocol="gemini",
    hyperparameters=frozenset({"epoch_count", "batch_size", "learning_rate", "learning_rate_multiplier"}),
    defaults=Hyperparameters(
        epoch_count=DEFAULT_EPOCHS, batch_size=DEFAULT_BATCH_SIZE, learning_rate=DEFAULT_LEARNING_RATE
    ),
    base_learning_rate=DEFAULT_LEARNING_RATE,
    curves=(TRAIN_LOSS,),
    inline_examples=True,
    max_request_bytes=MAX_INLINE_BYTES,
    max_input_chars=MAX_INPUT_CHARS,
    max_output_chars=MAX_OUTPUT_CHARS,
)

# Wire name -> Hyperparameters field. The API reports the multiplier and, for a job
# launched with it, may also report the rate it became: the multiplier is what was asked.
_HYPERPARAMETERS = {
    "epochCount": "epoch_count",
    "batchSize": "batch_size",
    "learningRateMultiplier": "learning_rate_multiplier",
    "learningRate": "learning_rate",
}


@dataclass(frozen=True)
class OperationStatus:
    """What a tuned model's create operation says: progress, and the failure if any."""

    completed_steps: int = 0
    total_steps: int = 0
    done: bool = False
    error: str | None = None


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def hyperparameters_from_wire(body: dict) -> Hyperparameters:
    """Hyperparameters from a TunedModel's `tuningTask.hyperparameters`.

    A value that is missing or cannot be decoded stays None: a job never shows a setting
    it did not have.
    """
    values: dict[str, Any] = {}
    for wire, name in _HYPERPARAMETERS.items():
        value = body.get(wire)
        if value is None or (name == "learning_rate" and "learning_rate_multiplier" in values):
            continue
        try:
            Hyperparameters(**{name: value})
        except ValidationError:
            continue
        values[name] = value
    return Hyperparameters(**values)


def hyperparameters_to_wire(hyperparameters: Hyperparameters) -> dict:
    """The camelCase `hyperparameters` object of a create request, the API's defaults filled in."""
    hp = hyperparameters.with_defaults(CAPABILITIES.defaults)
    body: dict[str, Any] = {"epochCount": hp.epoch_count, "batchSize": hp.batch_size}
    if hp.learning_rate_multiplier is not None:
        body["learningRateMultiplier"] = hp.learning_rate_multiplier
    else:
        body["learningRate"] = hp.effective_learning_rate(CAPABILITIES.base_learning_rate)
    return body


def job_from_tuned_model(body: dict, backend: str, after_step: int = -1) -> Job:
    """A Job from a TunedModel JSON object (camelCase, defaults omitted).

    The snapshots become the `train_loss` curve. Only points after `after_step` are built:
    a poll already holds the earlier ones, and building every point of a long curve on
    every poll is most of its cost.
    """
    task = body.get("tuningTask") or {}
    raw_snapshots = task.get("snapshots") or []
    points = [
        CurvePoint(
            step=int(s.get("step", 0)),
            value=float(s.get("meanLoss", 0.0)),
            epoch=int(s.get("epoch", 0)),
            time=_time(s.get("computeTime")),
        )
        for s in raw_snapshots
        if int(s.get("step", 0)) > after_step
    ]
    state = STATES.get(body.get("state", ""), JobState.PENDING)
    return Job(
        name=body["name"],
        backend=backend,
        display_name=body.get("displayName", ""),
        base_model=body.get("baseModel") or (body.get("tunedModelSource") or {}).get("baseModel") or "",
        state=state,
        endpoint=body["name"] if state is JobState.ACTIVE else None,
        hyperparameters=hyperparameters_from_wire(task.get("hyperparameters") or {}),
        completed_steps=max((int(s.get("step", 0)) for s in raw_snapshots), default=0),
        curves={TRAIN_LOSS: points} if points else {},
        created=_time(body.get("createTime")),
        updated=_time(body.get("updateTime")),
        started=_time(task.get("startTime")),
        completed=_time(task.get("completeTime")),
    )


def tuned_model_body(spec: JobSpec, examples: Sequence[Example]) -> dict:
    """The camelCase TunedModel body of a create request, examples inline."""
    body: dict[str, Any] = {
        "baseModel": spec.base_model,
        "tuningTask": {
            "hyperparameters": hyperparameters_to_wire(spec.hyperparameters),
            "trainingData": {
                "examples": {"examples": [{"textInput": e.text_input, "output": e.output} for e in examples]}
            },
        },
    }
    if spec.display_name:
        body["displayName"] = spec.display_name
    if spec.description:
        body["description"] = spec.description
    return body


class GeminiBackend:
    """TuningBackend over google-genai (`HttpOptions(base_url=..., api_version='v1beta')`)."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        name: str = "gemini",
        description: str = "Gemini API",
        timeout: float = DEFAULT_TIMEOUT_S,
        unreachable_hint: str | Callable[[], str] = "check your network connection",
    ) -> None:
        # Loaded now, where the app expects the cost (it opens the manager off the UI's
        # critical path), rather than on the first call.
        from google import genai  # noqa: F401

        self.name = name
        self.description = description
        self.base_url = base_url
        self._api_key = api_key
        self._timeout = timeout
        self._unreachable_hint = unreachable_hint
        self._where = "the local emulator" if name == "local" else "the Gemini API"
        self._bound: tuple[asyncio.AbstractEventLoop, Any, Any] | None = None  # loop, client, session
        self._looked_up: set[str] = set()  # tuned models whose create operation was looked for

    @property
    def capabilities(self) -> BackendCapabilities:
        return CAPABILITIES

    @property
    def _client(self) -> Any:
        """google-genai's client on this event loop's HTTP session (made on first use)."""
        loop = asyncio.get_running_loop()
        if self._bound is None or self._bound[0] is not loop:
            from google import genai
            from google.genai import types

            session = client_session(self.base_url)
            options = types.HttpOptions(
                base_url=self.base_url,
                api_version="v1beta",
                timeout=int(self._timeout * 1000),
                # One attempt per call: the job manager owns retries, backoff and Retry-After.
                retry_options=types.HttpRetryOptions(attempts=1),
                aiohttp_client=session,
            )
            client = genai.Client(vertexai=False, api_key=self._api_key, http_options=options)
            self._bound = (loop, client, session)
        return self._bound[1]

    async def _guard(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except Exception as exc:  # noqa: BLE001 - every failure is translated (cancellation passes through)
            hint = self._unreachable_hint() if callable(self._unreachable_hint) else self._unreachable_hint
            raise from_exception(exc, self._where, hint, self._api_key) from None

    async def retarget(self, base_url: str, description: str) -> None:
        """Talk to another address from now on (the local emulator moved or was restarted)."""
        await self.close()
        self.base_url, self.description = base_url, description

    async def create(
        self, spec: JobSpec, dataset: LaunchData, progress: Callable[[int, int], None] | None = None
    ) -> Job:
        hyperparameters = spec.hyperparameters.with_defaults(CAPABILITIES.defaults)
        body = tuned_model_body(spec, dataset.examples)
        total = hyperparameters.total_steps(len(dataset.examples)) or 0
        try:
            operation = await self._guard(raw.create_tuned_model(self._client, body, dataset.job_id))
        except BackendError as exc:
            if exc.status == 409 and dataset.retry and dataset.job_id:
                # The id was chosen for this launch: an earlier attempt got through.
                job = await self.get(f"tunedModels/{dataset.job_id}")
                return job.model_copy(update={"total_steps": total, "hyperparameters": hyperparameters})
            raise
        meta = operation.get("metadata") or {}
        name = meta.get("tunedModel") or operation.get("name", "").split("/operations/")[0]
        if not name:
            raise BackendError(
                ErrorKind.SERVER, f"{self._where} accepted the job but did not name it", "run `tunedeck jobs list`"
            )
        return Job(
            name=name,
            backend=self.name,
            display_name=spec.display_name,
            base_model=spec.base_model,
            state=JobState.CREATING,
            operation=operation.get("name"),
            hyperparameters=hyperparameters,
            total_steps=int(meta.get("totalSteps", 0) or total),
        )

    def preview_create(self, spec: JobSpec, examples: Sequence[Example]) -> CallPreview:
        return CallPreview("POST", "/v1beta/tunedModels", tuned_model_body(spec, examples))

    async def fresh(self, known: Job) -> Job:
        """The tuned model carries its loss points: one read is the cheapest."""
        return await self.get(known.name, known)

    async def get(self, name: str, known: Job | None = None, curves: Collection[str] | None = None) -> Job:
        """The tuned model as a Job. With `known`, only new loss points are built, and the
        create operation is asked for what the tuned model does not say: the total steps
        (once) and why a job failed. The tuned model carries its one curve: `curves` changes nothing."""
        loss = known.loss_curve if known is not None else []
        body = await self._guard(raw.get_tuned_model(self._client, name))
        fetched = job_from_tuned_model(body, self.name, loss[-1].step if loss else -1)
        if known is None:
            return fetched
        operation = known.operation or await self._look_up_operation(name)
        if operation is None:
            return fetched
        fetched = fetched.model_copy(update={"operation": operation})
        if known.total_steps and not (fetched.state is JobState.FAILED and not known.error):
            return fetched
        try:
            status = await self.operation_status(operation)
        except BackendError as exc:
            if exc.retryable:
                raise
            return fetched
        return fetched.model_copy(
            update={
                "total_steps": status.total_steps or fetched.total_steps,
                "completed_steps": max(fetched.completed_steps, status.completed_steps),
                "error": status.error or fetched.error,
            }
        )

    async def _look_up_operation(self, name: str) -> str | None:
        """The create operation of a tuned model not launched here, asked once per model."""
        if name in self._looked_up:
            return None
        self._looked_up.add(name)
        try:
            return await self.find_operation(name)
        except BackendError as exc:
            if exc.retryable:
                self._looked_up.discard(name)
                raise
            return None

    async def operation_status(self, operation: str) -> OperationStatus:
        """Steps done and total, and the failure message, from the create operation."""
        body = await self._guard(raw.get_operation(self._client, operation))
        meta = body.get("metadata") or {}
        error = body.get("error") or None
        return OperationStatus(
            completed_steps=int(meta.get("completedSteps", 0) or 0),
            total_steps=int(meta.get("totalSteps", 0) or 0),
            done=bool(body.get("done")),
            error=(error.get("message") or f"code {error.get('code')}") if error else None,
        )

    async def find_operation(self, name: str) -> str | None:
        """The create operation of a tuned model not launched here (None if the backend keeps none)."""
        operations = await self._guard(raw.list_operations(self._client, name))
        return operations[0].get("name") if operations else None

    async def list_jobs(self) -> list[Job]:
        return [
            job_from_tuned_model(body, self.name) for body in await self._guard(raw.list_tuned_models(self._client))
        ]

    async def cancel(self, job: Job) -> Job:
        operation = job.operation or await self.find_operation(job.name)
        if not operation:
            raise BackendError(
                ErrorKind.FAILED_PRECONDITION,
                f"{self._where} lists no operation for {job.name}, so it cannot be cancelled",
                "delete the tuned model instead",
            )
        await self._guard(raw.cancel_operation(self._client, operation))
        cancelled = await self.get(job.name)
        return cancelled.model_copy(update={"operation": operation})

    async def delete(self, name: str) -> None:
        await self._guard(self._client.aio.models.delete(model=name))

    async def rename(self, name: str, display_name: str) -> Job:
        await self._guard(self._client.aio.models.update(model=name, config={"display_name": display_name}))
        return await self.get(name)

    async def base_models(self) -> list[BaseModelInfo]:
        async def collect() -> list[BaseModelInfo]:
            found = []
            async for model in await self._client.aio.models.list(config={"page_size": 100}):
                if "createTunedModel" in (model.supported_actions or []):
                    found.append(
                        BaseModelInfo(
                            name=model.name or "",
                            display_name=model.display_name or "",
                            input_token_limit=model.input_token_limit,
                            output_token_limit=model.output_token_limit,
                        )
                    )
            return found

        return await self._guard(collect())

    async def generate(
        self,
        target: str,
        prompt: str,
        temperature: float | None = None,
        max_output_tokens: int | None = None,
        system_instruction: str | None = None,
    ) -> str:
        """Call a tuned model or a base model. Tuned models refuse `systemInstruction`, so a system
        instruction goes first in the prompt, on a line of its own, as a preamble of the training inputs."""
        config: dict[str, Any] = {}
        if temperature is not None:
            config["temperature"] = temperature
        if max_output_tokens is not None:
            config["max_output_tokens"] = max_output_tokens
        if system_instruction and target.startswith("tunedModels/"):
            prompt = f"{system_instruction}\n{prompt}"
        elif system_instruction:
            config["system_instruction"] = system_instruction
        response = await self._guard(
            self._client.aio.models.generate_content(model=target, contents=prompt, config=config or None)
        )
        return response.text or ""

    async def close(self) -> None:
        bound, self._bound = self._bound, None
        if bound is None:
            return
        _loop, client, session = bound
        try:
            await client.aio.aclose()
            await session.close()
        except Exception:  # noqa: BLE001 - closing must never fail the caller
            pass
