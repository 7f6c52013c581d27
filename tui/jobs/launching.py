"""The steps of a launch that need no manager state: read and lint, name, create with retries."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from tui.jobs.backend import TuningBackend
from tui.jobs.errors import BackendError
from tui.jobs.polling import PollPolicy
from tui.models import Job, JobSpec

LAUNCH_ATTEMPTS = 4


def new_model_id(display_name: str) -> str:
    """A tunedModelId like the API's own: the display name's words plus a random suffix."""
    words = re.findall(r"[a-z0-9]+", display_name.lower())
    stem = "-".join(words)[:30].strip("-")
    if not stem or not stem[0].isalpha():
        stem = ("job-" + stem).strip("-")[:30].strip("-")
    return f"{stem}-{secrets.token_hex(3)}"


def read_dataset(path: Path, format=None):
    """(Dataset metadata, valid examples, lint report) for a dataset file; blocking."""
    from tui.datasets import lint, open_dataset

    reader = open_dataset(path, format=format)
    report = lint(reader)
    return reader.dataset, list(reader.iter_examples()), report


async def create_job(
    call: Callable[[Callable[[], Awaitable]], Awaitable],
    backend: TuningBackend,
    spec: JobSpec,
    examples: list,
    policy: PollPolicy,
    on_retry: Callable[[BackendError], None],
) -> Job:
    """Create with a chosen id, retrying transient failures; a 409 on a retry means an earlier try got through."""
    model_id = new_model_id(spec.display_name)
    for attempt in range(1, LAUNCH_ATTEMPTS + 1):
        try:
            return await call(lambda: backend.create(spec, examples, model_id))
        except BackendError as exc:
            if exc.status == 409 and attempt > 1:
                job = await call(lambda: backend.get(f"tunedModels/{model_id}"))
                total = spec.hyperparameters.total_steps(len(examples))
                return job.model_copy(update={"total_steps": total, "hyperparameters": spec.hyperparameters})
            if not exc.retryable or attempt == LAUNCH_ATTEMPTS:
                raise
            on_retry(exc)
            await asyncio.sleep(policy.backoff(attempt, exc.retry_after))
    raise AssertionError("unreachable")
