"""The TuningBackend protocol: what the job manager needs from a tuning service.

A backend speaks one tuning protocol and translates it, both ways, to the domain types of
`tui.models` in its own module (`tui.jobs.gemini` for the Gemini API and the local
emulator). It states what it takes and reports in `BackendCapabilities`, so screens and
commands ask the capabilities instead of testing which backend is active. Every method
raises `BackendError` on failure.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from tui.models import TRAIN_LOSS, BaseModelInfo, Dataset, Example, Hyperparameters, Job, JobSpec

HYPERPARAMETER_FIELDS = frozenset(Hyperparameters.model_fields)


@dataclass(frozen=True)
class BackendCapabilities:
    """What a backend takes when launching and what it reports about a job."""

    protocol: Literal["gemini", "vertex"]
    # Which `Hyperparameters` fields the job form shows (and the backend sends).
    hyperparameters: frozenset[str]
    # Values a new job starts from; a field left empty by the user gets this value.
    defaults: Hyperparameters
    # The rate a learning-rate multiplier scales, when the protocol fixes one.
    base_learning_rate: float | None = None
    # Adapter sizes each base model accepts (empty: the backend has no adapter size).
    adapter_sizes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    validation_set: bool = False
    checkpoints: bool = False
    # The backend reports a cancelled job's state itself (Vertex: CANCELLING, then CANCELLED,
    # or SUCCEEDED when the best-effort cancel came too late); otherwise a user's cancel sticks.
    reports_cancel: bool = False
    curves: tuple[str, ...] = (TRAIN_LOSS,)
    inline_examples: bool = False  # examples travel inside the create request
    uploads_dataset: bool = False  # the dataset is uploaded first and named by URI
    max_examples: int | None = None
    max_request_bytes: int | None = None  # for inline examples: the create request's size limit
    max_input_chars: int | None = None
    max_output_chars: int | None = None

    def __post_init__(self) -> None:
        unknown = self.hyperparameters - HYPERPARAMETER_FIELDS
        if unknown:
            raise ValueError(f"unknown hyperparameters: {', '.join(sorted(unknown))}")

    def takes(self, hyperparameter: str) -> bool:
        return hyperparameter in self.hyperparameters


@dataclass(frozen=True)
class LaunchData:
    """The dataset of a launch, read and linted: what `TuningBackend.create` sends."""

    path: Path
    dataset: Dataset
    examples: Sequence[Example]
    validation: Sequence[Example] = ()
    # Chosen once per launch and kept across retries of it, so a backend that lets the
    # client name the job can tell a retry that already got through from a new job.
    job_id: str | None = None
    retry: bool = False  # an earlier attempt of this launch may have reached the backend


@dataclass(frozen=True)
class CallPreview:
    """The request a launch sends, as the backend would send it (for people to read)."""

    method: str
    path: str
    body: dict


class TuningBackend(Protocol):
    name: str  # backend key: "local", "gemini", "vertex" or "vertex-local"
    description: str  # e.g. "local emulator at http://127.0.0.1:8765" or "Gemini API (key AIza…x9Q2)"

    @property
    def capabilities(self) -> BackendCapabilities: ...

    async def create(
        self, spec: JobSpec, dataset: LaunchData, progress: Callable[[int, int], None] | None = None
    ) -> Job:
        """Start a job; `progress(done, total)` reports an upload's bytes when there is one."""
        ...

    def preview_create(self, spec: JobSpec, examples: Sequence[Example]) -> CallPreview:
        """The create request `create` would send for these examples (no I/O)."""
        ...

    async def get(self, name: str, known: Job | None = None, curves: Collection[str] | None = None) -> Job:
        """The job as the backend reports it; with `known`, points it already holds may be left out.
        With `curves`, a training job's other curves may be left out too (a backend that reads
        each curve apart skips them; they are read in full with a later `get` without `curves`)."""
        ...

    async def fresh(self, known: Job) -> Job:
        """`known` with the new points of its loss curves: the cheapest read that shows a
        training job's new points (the manager's between two `get`s of the job on screen).
        A backend whose job read carries the points returns `get`."""
        ...

    async def list_jobs(self) -> list[Job]: ...

    async def cancel(self, job: Job) -> Job: ...

    async def delete(self, name: str) -> None: ...

    async def rename(self, name: str, display_name: str) -> Job: ...

    async def base_models(self) -> list[BaseModelInfo]: ...

    async def generate(
        self,
        target: str,
        prompt: str,
        temperature: float | None = None,
        max_output_tokens: int | None = None,
        system_instruction: str | None = None,
    ) -> str:
        """Call a tuned model (its endpoint or name), a checkpoint's endpoint, or a base model.

        `system_instruction` is the one the model was tuned with (`Job.system_instruction`).
        """
        ...

    async def close(self) -> None: ...
