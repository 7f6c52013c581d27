"""The TuningBackend protocol: what the job manager needs from a tuning service.

There is one implementation (`tui.jobs.gemini.GeminiBackend`), used for both the real
Gemini API and the local emulator. Every method raises `BackendError` on failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from tui.models import BaseModelInfo, Example, Job, JobSpec


@dataclass(frozen=True)
class OperationStatus:
    """What a tuned model's create operation says: progress, and the failure if any."""

    completed_steps: int = 0
    total_steps: int = 0
    done: bool = False
    error: str | None = None


class TuningBackend(Protocol):
    name: str  # "local" or "gemini"
    description: str  # e.g. "local emulator at http://127.0.0.1:8765" or "Gemini API (key AIza…x9Q2)"

    async def create(self, spec: JobSpec, examples: Sequence[Example], tuned_model_id: str | None = None) -> Job: ...

    async def get(self, name: str, after_step: int = -1) -> Job:
        """The tuned model as a Job; snapshots up to `after_step` may be left out."""
        ...

    async def operation_status(self, operation: str) -> OperationStatus: ...

    async def find_operation(self, name: str) -> str | None: ...

    async def list(self) -> list[Job]: ...

    async def cancel(self, job: Job) -> Job: ...

    async def delete(self, name: str) -> None: ...

    async def rename(self, name: str, display_name: str) -> Job: ...

    async def base_models(self) -> list[BaseModelInfo]: ...

    async def generate(
        self, model: str, prompt: str, temperature: float | None = None, max_output_tokens: int | None = None
    ) -> str: ...

    async def close(self) -> None: ...
