"""Folding what the backend reports into what we already know about a job.

Pure: no I/O. Curve points are only ever appended (a backend that forgets some after a
restart cannot make a curve lose points), a user's cancel sticks, and fields the backend
does not report (dataset, operation, total steps) are kept.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tui.models import CurvePoint, Job, JobState

Curves = dict[str, list[CurvePoint]]


def new_points(known: Curves, fetched: Curves) -> Curves:
    """Per curve, the fetched points after the last known step, in step order (one per step)."""
    added: Curves = {}
    for name, points in fetched.items():
        have = known.get(name)
        last = have[-1].step if have else -1
        fresh = sorted({p.step: p for p in points if p.step > last}.values(), key=lambda p: p.step)
        if fresh:
            added[name] = fresh
    return added


def fold(old: Job, fetched: Job, cancelled: bool = False, cancel_sticks: bool = True) -> tuple[Job, Curves]:
    """The updated job and, per curve, the points that are new to it (by step). With
    `cancel_sticks` a job the user cancelled stays CANCELLED whatever the backend says next;
    without it (a backend that reports cancels itself) the backend's state is taken."""
    added = new_points(old.curves, fetched.curves)
    curves = {**old.curves, **{name: [*old.curve(name), *points] for name, points in added.items()}}
    sticks = cancel_sticks and (cancelled or old.state is JobState.CANCELLED)
    state = JobState.CANCELLED if sticks else fetched.state
    total = fetched.total_steps or old.total_steps
    completed = max(old.completed_steps, fetched.completed_steps)
    if state is JobState.ACTIVE and total:
        completed = total
    new = old.model_copy(
        update={
            "state": state,
            "sub_state": fetched.sub_state,
            "display_name": fetched.display_name or old.display_name,
            "base_model": fetched.base_model or old.base_model,
            "hyperparameters": old.hyperparameters if old.launched_here else fetched.hyperparameters,
            "operation": old.operation or fetched.operation,
            "endpoint": fetched.endpoint or old.endpoint,
            "total_steps": total,
            "completed_steps": completed,
            "curves": curves,
            "checkpoints": fetched.checkpoints or old.checkpoints,
            "data_stats": fetched.data_stats or old.data_stats,
            "validation_examples": fetched.validation_examples or old.validation_examples,
            "dataset_uri": old.dataset_uri or fetched.dataset_uri,
            "error": fetched.error or old.error,
            "created": old.created or fetched.created,
            "updated": fetched.updated or old.updated,
            "started": fetched.started or old.started,
            "completed": fetched.completed or old.completed,
            "last_polled": datetime.now(UTC),
        }
    )
    return new, added
