"""Words and numbers for jobs as the monitor, compare view and model library show them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tui.models import Hyperparameters, Job, JobState

STATE_STYLE = {
    JobState.PENDING: "$text-muted",
    JobState.CREATING: "$text-warning",
    JobState.ACTIVE: "$text-success",
    JobState.FAILED: "$text-error",
    JobState.CANCELLED: "$text-error",
    JobState.DELETED: "$text-muted",
}

# The tuning guide's warning, shown before cancelling and on cancelled models.
CANCEL_WARNING = (
    "A cancelled model's answers are unpredictable, especially when it is cancelled early. "
    "To stop at an earlier epoch, let this job finish or relaunch it with fewer epochs "
    "instead of cancelling."
)


def job_title(job: Job) -> str:
    """The name a person gave the job, else its id."""
    return job.display_name or job.id


def percent(job: Job) -> str:
    return f"{job.progress * 100:.0f}%"


def loss_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def duration(seconds: float | None) -> str:
    """`42 s`, `3 min 05 s`, `2 h 07 min`."""
    if seconds is None or seconds < 0:
        return "—"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


JUST_NOW_S = 10  # two of the app's polls of a training job: a healthy list reads "just now"


def ago(moment: datetime | None, now: datetime) -> str:
    """`just now` (under 10 s), `15 s ago`, `12 min ago`, `5 h ago`, `2 d ago`; `—` when never.

    Seconds count in steps of 5: a job polled every few seconds stays `just now` instead
    of flickering, and a stalled one visibly ages.
    """
    if moment is None:
        return "—"
    seconds = int(max(0.0, (now - _aware(moment)).total_seconds()))
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now" if seconds < JUST_NOW_S else f"{seconds - seconds % 5} s ago"


def ago_changes_in(moment: datetime | None, now: datetime) -> float | None:
    """Seconds until `ago(moment, now)` says something else; None when it never will."""
    if moment is None:
        return None
    seconds = max(0.0, (now - _aware(moment)).total_seconds())
    if seconds < JUST_NOW_S:
        return JUST_NOW_S - seconds
    step = 5 if seconds < 60 else 60 if seconds < 3_600 else 3_600 if seconds < 86_400 else 86_400
    return (seconds // step + 1) * step - seconds


def last_heard(job: Job) -> datetime | None:
    """What the list's "updated" column counts from: the last poll while a job can still
    change, and when it ended once it cannot (later polls only confirm it)."""
    if job.state.finished:
        return job.completed or job.updated or job.last_polled
    return job.last_polled or job.updated


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def elapsed(job: Job, now: datetime | None) -> float | None:
    """Seconds of training: start to completion, or start to `now` while running."""
    if job.started is None:
        return None
    end = job.completed or (now if not job.state.finished else None)
    if end is None:
        return None
    return (_aware(end) - _aware(job.started)).total_seconds()


def eta(job: Job, now: datetime | None) -> float | None:
    """Seconds left while running, from the pace so far; None when it cannot be told."""
    if job.state.finished or not job.total_steps or job.completed_steps <= 0:
        return None
    spent = elapsed(job, now)
    if spent is None:
        return None
    return spent / job.completed_steps * (job.total_steps - job.completed_steps)


def or_dash(value: float | None) -> str:
    """A number as shown, or `—` when the backend did not report it."""
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def hyperparameters_text(hp: Hyperparameters) -> str:
    """The settings a job was tuned with; only those the backend reported."""
    parts = [f"{or_dash(hp.epoch_count)} epochs"]
    if hp.batch_size is not None:
        parts.append(f"batch size {hp.batch_size}")
    if hp.learning_rate_multiplier is not None:
        parts.append(f"learning-rate multiplier {hp.learning_rate_multiplier:g}")
    elif hp.learning_rate is not None:
        parts.append(f"learning rate {hp.learning_rate:g}")
    if hp.adapter_size is not None:
        parts.append(f"adapter size {hp.adapter_size}")
    return " · ".join(parts)


def learning_rate_text(hp: Hyperparameters) -> str:
    if hp.learning_rate_multiplier is not None:
        return f"×{hp.learning_rate_multiplier:g}"
    return or_dash(hp.learning_rate)


def fingerprint(job: Job) -> str:
    """Which data the job was tuned on: sha256 prefix, example count and file."""
    if not job.dataset_sha256 and not job.dataset_path:
        return "unknown (job found on the backend)"
    parts = []
    if job.dataset_sha256:
        parts.append(f"sha256 {job.dataset_sha256[:12]}")
    if job.dataset_examples is not None:
        parts.append(f"{job.dataset_examples} examples")
    if job.dataset_path:
        parts.append(short_path(job.dataset_path))
    return " · ".join(parts)


def short_path(path: str) -> str:
    """A path relative to the working directory when it is under it, else with ~ for home."""
    full = Path(path)
    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~/")):
        try:
            return prefix + str(full.relative_to(base))
        except ValueError:
            continue
    return path


def best_loss(job: Job) -> float | None:
    return min((p.value for p in job.loss_curve), default=None)
