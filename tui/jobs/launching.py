"""The steps of a launch that need no manager state: read and lint, name, create with retries."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from tui.jobs.backend import LaunchData, TuningBackend
from tui.jobs.errors import BackendError
from tui.jobs.polling import PollPolicy
from tui.models import Job, JobSpec

LAUNCH_ATTEMPTS = 4


def new_model_id(display_name: str) -> str:
    """A job id like the Gemini API's own: the display name's words plus a random suffix."""
    words = re.findall(r"[a-z0-9]+", display_name.lower())
    stem = "-".join(words)[:30].strip("-")
    if not stem or not stem[0].isalpha():
        stem = ("job-" + stem).strip("-")[:30].strip("-")
    return f"{stem}-{secrets.token_hex(3)}"


def read_dataset(path: Path, format=None, target: str = "gemini", keep_examples: bool = True):
    """(Dataset metadata, valid examples, lint report) for a dataset file, linted for `target`; blocking.

    An example with an error (empty, or over the length limits) is not valid: a forced launch leaves it
    out. A backend that uploads the file itself (`keep_examples=False`) gets no examples in memory.
    """
    from tui.datasets import lint, open_dataset
    from tui.datasets.lint import tunable

    reader = open_dataset(path, format=format)
    report = lint(reader, target=target)
    examples = [e for e in reader.iter_examples() if tunable(e)] if keep_examples else []
    return reader.dataset, examples, report


async def create_job(
    call: Callable[[Callable[[], Awaitable[Job]]], Awaitable[Job]],
    backend: TuningBackend,
    spec: JobSpec,
    data: LaunchData,
    policy: PollPolicy,
    on_retry: Callable[[BackendError], None],
    progress: Callable[[int, int], None] | None = None,
) -> Job:
    """Create with an id chosen for this launch, retrying transient failures; the backend
    tells a retry that already got through from a new job by that id."""
    data = replace(data, job_id=data.job_id or new_model_id(spec.display_name))
    for attempt in range(1, LAUNCH_ATTEMPTS + 1):
        attempt_data = replace(data, retry=attempt > 1)
        try:
            return await call(partial(backend.create, spec, attempt_data, progress))
        except BackendError as exc:
            if not exc.retryable or attempt == LAUNCH_ATTEMPTS:
                raise
            on_retry(exc)
            await asyncio.sleep(policy.backoff(attempt, exc.retry_after))
    raise AssertionError("unreachable")
