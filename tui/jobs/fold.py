"""Folding what the backend reports into what we already know about a job.

Pure: no I/O. Snapshots are only ever appended (a backend that forgets some after a
restart cannot make the curve lose points), a user's cancel sticks, and fields the
backend does not report (dataset, operation, total steps) are kept.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tui.jobs.backend import OperationStatus
from tui.models import Job, JobState, Snapshot


def fold(old: Job, fetched: Job, status: OperationStatus | None, cancelled: bool = False) -> tuple[Job, list[Snapshot]]:
    """The updated job and the snapshots that are new to it (by step)."""
    last = old.snapshots[-1].step if old.snapshots else -1
    new_snaps = sorted({s.step: s for s in fetched.snapshots if s.step > last}.values(), key=lambda s: s.step)
    state = JobState.CANCELLED if cancelled or old.state is JobState.CANCELLED else fetched.state
    total = (status.total_steps if status and status.total_steps else 0) or old.total_steps or fetched.total_steps
    completed = max(old.completed_steps, fetched.completed_steps, status.completed_steps if status else 0)
    if state is JobState.ACTIVE and total:
        completed = total
    new = old.model_copy(
        update={
            "state": state,
            "display_name": fetched.display_name or old.display_name,
            "base_model": fetched.base_model or old.base_model,
            "hyperparameters": old.hyperparameters if old.launched_here else fetched.hyperparameters,
            "operation": old.operation or fetched.operation,
            "total_steps": total,
            "completed_steps": completed,
            "snapshots": [*old.snapshots, *new_snaps],
            "error": (status.error if status and status.error else None) or fetched.error or old.error,
            "created": old.created or fetched.created,
            "updated": fetched.updated or old.updated,
            "started": fetched.started or old.started,
            "completed": fetched.completed or old.completed,
            "last_polled": datetime.now(UTC),
        }
    )
    return new, new_snaps
