"""Job history in SQLite (WAL): every job launched here, what it was trained on, its loss curve.

One row per (backend, tuned model name) with the dataset fingerprint, hyperparameters,
timestamps and last known state, and one row per snapshot. A job the user cancelled stays
CANCELLED whatever the backend reports later. Writes are a few rows at a time, so the
store is used synchronously from the manager's event loop.

Every database failure (locked, damaged, disk full, read-only) is a `HistoryError` that
names the file, what is wrong and what to do; `History.in_memory()` stands in when the
file cannot be used, so the backend's jobs can still be listed and watched.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
    "backend",
    "name",
    "display_name",
    "base_model",
    "state",
    "operation",
    "hyperparameters",
    "total_steps",
    "completed_steps",
    "error",
    "dataset_path",
    "dataset_sha256",
    "dataset_examples",
    "launched_here",
    *_TIMES,
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class HistoryError(Exception):
    """The history database cannot be used; `str()` names the file, what is wrong and the fix."""

    kind = "history"
    status = None

    def __init__(self, path: Path | str, problem: str, fix: str) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        self.message = f"the job history {self.path} {problem}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.message} — {self.fix}"


def explain(path: Path | str, exc: BaseException) -> HistoryError:
    """A HistoryError saying, in plain words, why `exc` happened to the database at `path`."""
    text = str(exc).lower()
    if isinstance(exc, OSError) and not isinstance(exc, sqlite3.Error):
        return HistoryError(
            path,
            f"cannot be opened ({exc.strerror or exc})",
            "check the folder's permissions and free space, or use --data-dir elsewhere",
        )
    if "locked" in text or "busy" in text:
        return HistoryError(
            path,
            "is locked by another program (another tunedeck, or a SQLite tool, is writing to it)",
            "close that program, or wait a moment and try again",
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return HistoryError(
            path,
            "is damaged (truncated, or not a SQLite database)",
            f"move it aside (`mv {path} {path}.broken`): tunedeck then starts a new history, "
            "and the backend's jobs are listed again",
        )
    if "full" in text:
        return HistoryError(
            path,
            "cannot be written: the disk is full",
            "free space on the disk that holds it, or use --data-dir elsewhere",
        )
    if "disk i/o" in text:
        return HistoryError(
            path,
            "could not be written (disk I/O error: the disk may be full or failing)",
            "free space on the disk that holds it, or use --data-dir elsewhere",
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return HistoryError(
            path,
            "cannot be written (a read-only file or folder)",
            "check the permissions of the file and its folder, or use --data-dir elsewhere",
        )
    return HistoryError(path, f"failed ({exc})", f"check the disk, or move the file aside (`mv {path} {path}.broken`)")


class History:
    """The SQLite store behind `JobManager`; safe to open from several processes at once."""

    LOCK_TIMEOUT_S = 5.0  # how long a write waits for another process's lock

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        with self._guard():
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=self.LOCK_TIMEOUT_S, isolation_level=None)
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(SCHEMA)
            except BaseException:
                self._db.close()
                raise

    @classmethod
    def in_memory(cls) -> History:
        """A history that lives only as long as this process (stands in for a file that cannot be used)."""
        return cls(":memory:")

    @property
    def persistent(self) -> bool:
        return str(self.path) != ":memory:"

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            raise explain(self.path, exc) from exc

    def check_writable(self) -> None:
        """Raise HistoryError unless a write could start now (the file is not locked, damaged or read-only)."""
        with self._guard():
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("ROLLBACK")

    def save(self, job: Job) -> None:
        """Insert or update a job's row (snapshots are stored with `add_snapshots`)."""
        with self._guard():
            values = (
                job.backend,
                job.name,
                job.display_name,
                job.base_model,
                job.state.value,
                job.operation,
                job.hyperparameters.model_dump_json(),
                job.total_steps,
                job.completed_steps,
                job.error,
                job.dataset_path,
                job.dataset_sha256,
                job.dataset_examples,
                int(job.launched_here),
                *(_iso(getattr(job, t)) for t in _TIMES),
            )
            updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[2:])
            self._db.execute(
                f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
                f"ON CONFLICT (backend, name) DO UPDATE SET {updates}",
                values,
            )

    def add_snapshots(self, backend: str, name: str, snapshots: Iterable[Snapshot]) -> None:
        with self._guard():
            rows = [(backend, name, s.step, s.epoch, s.mean_loss, _iso(s.compute_time)) for s in snapshots]
            if rows:
                with self._db:
                    self._db.execute("BEGIN")
                    self._db.executemany("INSERT OR IGNORE INTO snapshots VALUES (?, ?, ?, ?, ?, ?)", rows)

    def mark_cancelled(self, backend: str, name: str) -> None:
        with self._guard():
            self._db.execute(
                "UPDATE jobs SET user_cancelled = 1, state = ? WHERE backend = ? AND name = ?",
                (JobState.CANCELLED.value, backend, name),
            )

    def was_cancelled(self, backend: str, name: str) -> bool:
        with self._guard():
            row = self._db.execute(
                "SELECT user_cancelled FROM jobs WHERE backend = ? AND name = ?", (backend, name)
            ).fetchone()
            return bool(row and row[0])

    def load(self, backend: str, include_deleted: bool = False) -> list[Job]:
        """Jobs of one backend with all their snapshots, newest first."""
        with self._guard():
            where = "" if include_deleted else " AND state != 'DELETED'"
            rows = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)}, user_cancelled FROM jobs "
                f"WHERE backend = ?{where} ORDER BY created DESC",
                (backend,),
            ).fetchall()
            return [self._job(row) for row in rows]

    def get(self, backend: str, name: str) -> Job | None:
        with self._guard():
            row = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)}, user_cancelled FROM jobs WHERE backend = ? AND name = ?",
                (backend, name),
            ).fetchone()
            return self._job(row) if row else None

    def _job(self, row: tuple) -> Job:
        data = dict(zip((*_COLUMNS, "user_cancelled"), row, strict=True))
        snaps = self._db.execute(
            "SELECT step, epoch, mean_loss, compute_time FROM snapshots WHERE backend = ? AND name = ? ORDER BY step",
            (data["backend"], data["name"]),
        ).fetchall()
        state = JobState(data["state"])
        if data.pop("user_cancelled") and state is not JobState.DELETED:
            state = JobState.CANCELLED
        return Job(
            **{
                k: data[k]
                for k in (
                    "name",
                    "backend",
                    "display_name",
                    "base_model",
                    "operation",
                    "total_steps",
                    "completed_steps",
                )
            },
            state=state,
            error=data["error"],
            hyperparameters=Hyperparameters.model_validate_json(data["hyperparameters"]),
            dataset_path=data["dataset_path"],
            dataset_sha256=data["dataset_sha256"],
            dataset_examples=data["dataset_examples"],
            launched_here=bool(data["launched_here"]),
            snapshots=[Snapshot(step=s, epoch=e, mean_loss=m, compute_time=_dt(t)) for s, e, m, t in snaps],
            created=_dt(data["created"]),
            updated=_dt(data["updated"]),
            started=_dt(data["started"]),
            completed=_dt(data["completed"]),
            last_polled=_dt(data["last_polled"]),
        )

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # closing never fails the caller
            self._db.close()
