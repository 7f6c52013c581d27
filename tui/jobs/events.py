"""Typed events the job manager publishes to its subscribers (the app, the CLI)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tui.jobs.errors import BackendError
from tui.jobs.history import HistoryError
from tui.models import TRAIN_LOSS, CurvePoint, Job, JobState


@dataclass(frozen=True)
class JobAdded:
    """A job appeared: launched here, loaded from history or found on the backend."""

    job: Job


@dataclass(frozen=True)
class JobStateChanged:
    """A job moved from one state to another."""

    job: Job
    old: JobState
    new: JobState


@dataclass(frozen=True)
class JobProgress:
    """A job's completed steps changed."""

    job: Job


@dataclass(frozen=True)
class CurvePointsAdded:
    """New curve points arrived for a job: per curve name, only the new ones."""

    job: Job
    curves: Mapping[str, tuple[CurvePoint, ...]]

    @property
    def loss(self) -> tuple[CurvePoint, ...]:
        """The new training-loss points."""
        return self.curves.get(TRAIN_LOSS, ())


@dataclass(frozen=True)
class JobFinished:
    """A job reached ACTIVE, FAILED or CANCELLED."""

    job: Job


@dataclass(frozen=True)
class JobUpdated:
    """A job's details changed without a state change (e.g. it was renamed)."""

    job: Job


@dataclass(frozen=True)
class JobRemoved:
    """A job was deleted."""

    name: str


@dataclass(frozen=True)
class BackendFailed:
    """A call to the backend failed; polling goes on and says so here."""

    error: BackendError
    job_name: str | None = None


@dataclass(frozen=True)
class BackendRecovered:
    """The backend answers again after a failure."""

    job_name: str | None = None


@dataclass(frozen=True)
class BackendMoved:
    """The local emulator answers at another address now (it moved, or tunedeck restarted it)."""

    message: str  # what happened, in a sentence
    description: str  # the backend's new description (e.g. "local emulator at http://127.0.0.1:PORT")


@dataclass(frozen=True)
class HistoryFailed:
    """The history database failed; jobs are kept in memory only from now on (the error says the fix)."""

    error: HistoryError


Event = (
    JobAdded
    | JobStateChanged
    | JobProgress
    | CurvePointsAdded
    | JobFinished
    | JobUpdated
    | JobRemoved
    | BackendFailed
    | BackendRecovered
    | BackendMoved
    | HistoryFailed
)
