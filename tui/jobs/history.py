"""Job history in SQLite (WAL): every job launched here, what it was trained on, its loss curve.

One row per (backend, tuned model name) with the dataset fingerprint, hyperparameters,
timestamps and last known state, and one row per snapshot. A job the user cancelled stays
CANCELLED whatever the backend reports later. Writes are a few rows at a time, so the
store is used synchronously from the manager's event loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from tui.models import Hyperparameters, Job, JobState, Snapshot

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    backend TEXT NOT NULL,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    base_model TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    operation TEXT,
    hyperparameters TEXT NOT NULL,
    total_steps INTEGER NOT NULL DEFAULT 0,
    completed_steps INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    dataset_path TEXT,
    dataset_sha256 TEXT,
    dataset_examples INTEGER,
    launched_here INTEGER NOT NULL DEFAULT 0,
    user_cancelled INTEGER NOT NULL DEFAULT 0,
    created TEXT, updated TEXT, started TEXT, completed TEXT, last_polled TEXT,
    PRIMARY KEY (backend, name)
);
CREATE TABLE IF NOT EXISTS snapshots (
    backend TEXT NOT NULL,
    name TEXT NOT NULL,
    step INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    mean_loss REAL NOT NULL,
    compute_time TEXT,
    PRIMARY KEY (backend, name, step)
);
"""

_TIMES = ("created", "updated", "started", "completed", "last_polled")
_COLUMNS = (
    "backend", "name", "display_name", "base_model", "state", "operation", "hyperparameters", "total_steps",
    "completed_steps", "error", "dataset_path", "dataset_sha256", "dataset_examples", "launched_here", *_TIMES,
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class History:
    """The SQLite store behind `JobManager`; safe to open from several processes at once."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=5.0, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def save(self, job: Job) -> None:
        """Insert or update a job's row (snapshots are stored with `add_snapshots`)."""
        values = (
            job.backend, job.name, job.display_name, job.base_model, job.state.value, job.operation,
            job.hyperparameters.model_dump_json(), job.total_steps, job.completed_steps, job.error, job.dataset_path,
            job.dataset_sha256, job.dataset_examples, int(job.launched_here), *(_iso(getattr(job, t)) for t in _TIMES),
        )
        updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[2:])
        self._db.execute(
            f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
            f"ON CONFLICT (backend, name) DO UPDATE SET {updates}",
            values,
        )

    def add_snapshots(self, backend: str, name: str, snapshots: Iterable[Snapshot]) -> None:
        rows = [(backend, name, s.step, s.epoch, s.mean_loss, _iso(s.compute_time)) for s in snapshots]
        if rows:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR IGNORE INTO snapshots VALUES (?, ?, ?, ?, ?, ?)", rows)

    def mark_cancelled(self, backend: str, name: str) -> None:
        self._db.execute(
            "UPDATE jobs SET user_cancelled = 1, state = ? WHERE backend = ? AND name = ?",
            (JobState.CANCELLED.value, backend, name),
        )

    def was_cancelled(self, backend: str, name: str) -> bool:
        row = self._db.execute("SELECT user_cancelled FROM jobs WHERE backend = ? AND name = ?", (backend, name)).fetchone()
        return bool(row and row[0])

    def load(self, backend: str, include_deleted: bool = False) -> list[Job]:
        """Jobs of one backend with all their snapshots, newest first."""
        where = "" if include_deleted else " AND state != 'DELETED'"
        rows = self._db.execute(
            f"SELECT {', '.join(_COLUMNS)}, user_cancelled FROM jobs WHERE backend = ?{where} ORDER BY created DESC", (backend,)
        ).fetchall()
        return [self._job(row) for row in rows]

    def get(self, backend: str, name: str) -> Job | None:
        row = self._db.execute(
            f"SELECT {', '.join(_COLUMNS)}, user_cancelled FROM jobs WHERE backend = ? AND name = ?", (backend, name)
        ).fetchone()
        return self._job(row) if row else None

    def _job(self, row: tuple) -> Job:
        data = dict(zip((*_COLUMNS, "user_cancelled"), row))
        snaps = self._db.execute(
            "SELECT step, epoch, mean_loss, compute_time FROM snapshots WHERE backend = ? AND name = ? ORDER BY step",
            (data["backend"], data["name"]),
        ).fetchall()
        state = JobState(data["state"])
        if data.pop("user_cancelled") and state is not JobState.DELETED:
            state = JobState.CANCELLED
        return Job(
            **{k: data[k] for k in ("name", "backend", "display_name", "base_model", "operation", "total_steps", "completed_steps")},
            state=state,
            error=data["error"],
            hyperparameters=Hyperparameters.model_validate_json(data["hyperparameters"]),
            dataset_path=data["dataset_path"],
            dataset_sha256=data["dataset_sha256"],
            dataset_examples=data["dataset_examples"],
            launched_here=bool(data["launched_here"]),
            snapshots=[Snapshot(step=s, epoch=e, mean_loss=m, compute_time=_dt(t)) for s, e, m, t in snaps],
            **{t: _dt(data[t]) for t in _TIMES},
        )

    def close(self) -> None:
        self._db.close()
