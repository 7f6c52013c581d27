"""Job history in SQLite (WAL): every job launched here, what it was trained on, its curves.

One row per (backend, job name) with the dataset fingerprint, hyperparameters,
timestamps and last known state, and one row per curve point (curve name, step). A
database from before named curves keeps its loss points: they move to `train_loss`. A job the user cancelled stays
CANCELLED whatever the backend reports later. Writes are a few rows at a time, so the
store is used synchronously from the manager's event loop.

Every database failure (locked, damaged, disk full, read-only) is a `HistoryError` that
names the file, what is wrong and what to do; `History.in_memory()` stands in when the
file cannot be used, so the backend's jobs can still be listed and watched.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from pydantic import TypeAdapter

from tui.models import TRAIN_LOSS, Checkpoint, CurvePoint, DataStats, Hyperparameters, Job, JobState, ValidationChoice

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
CREATE TABLE IF NOT EXISTS curve_points (
    backend TEXT NOT NULL,
    name TEXT NOT NULL,
    curve TEXT NOT NULL,
    step INTEGER NOT NULL,
    value REAL NOT NULL,
    epoch INTEGER,
    time TEXT,
    PRIMARY KEY (backend, name, curve, step)
);
"""
# Columns added to `jobs` after its first release: (name, SQL type).
_ADDED = (
    ("sub_state", "TEXT"), ("endpoint", "TEXT"), ("checkpoints", "TEXT"), ("data_stats", "TEXT"),
    ("validation_examples", "INTEGER"), ("dataset_uri", "TEXT"), ("system_instruction", "TEXT"),
    ("validation", "TEXT"),
)

_INSERT_POINTS = "INSERT OR IGNORE INTO curve_points VALUES (?, ?, ?, ?, ?, ?, ?)"
_TIMES = ("created", "updated", "started", "completed", "last_polled")
_COLUMNS = (
    "backend", "name", "display_name", "base_model", "state", "operation", "hyperparameters", "total_steps",
    "completed_steps", "error", "dataset_path", "dataset_sha256", "dataset_examples", "launched_here", *_TIMES,
    *(name for name, _ in _ADDED),
)
_UPSERT_JOB = (
    f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    f"ON CONFLICT (backend, name) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _COLUMNS[2:])}"
)


_CHECKPOINTS = TypeAdapter(list[Checkpoint])


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
        return HistoryError(path, f"cannot be opened ({exc.strerror or exc})",
                            "check the folder's permissions and free space, or use --data-dir elsewhere")
    if "locked" in text or "busy" in text:
        return HistoryError(path, "is locked by another program (another tunedeck, or a SQLite tool, is writing to it)",
                            "close that program, or wait a moment and try again")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return HistoryError(path, "is damaged (truncated, or not a SQLite database)",
                            f"move it aside (`mv {path} {path}.broken`): tunedeck then starts a new history, "
                            "and the backend's jobs are listed again")
    if "full" in text:
        return HistoryError(path, "cannot be written: the disk is full",
                            "free space on the disk that holds it, or use --data-dir elsewhere")
    if "disk i/o" in text:
        return HistoryError(path, "could not be written (disk I/O error: the disk may be full or failing)",
                            "free space on the disk that holds it, or use --data-dir elsewhere")
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return HistoryError(path, "cannot be written (a read-only file or folder)",
                            "check the permissions of the file and its folder, or use --data-dir elsewhere")
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
                self._migrate()
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

    def _migrate(self) -> None:
        """Bring a database written by an earlier version up to this schema, keeping its rows."""
        if not self._outdated():
            return
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")  # another process may be migrating too: look again
            present = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
            for name, kind in _ADDED:
                if name not in present:
                    self._db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")
            if self._has_snapshots_table():
                self._db.execute(
                    "INSERT OR IGNORE INTO curve_points (backend, name, curve, step, value, epoch, time) "
                    "SELECT backend, name, ?, step, mean_loss, epoch, compute_time FROM snapshots",
                    (TRAIN_LOSS,),
                )
                self._db.execute("DROP TABLE snapshots")

    def _outdated(self) -> bool:
        present = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
        return any(name not in present for name, _ in _ADDED) or self._has_snapshots_table()

    def _has_snapshots_table(self) -> bool:
        found = self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'snapshots'").fetchone()
        return found is not None

    def save(self, job: Job) -> None:
        """Insert or update a job's row (its curve points are stored with `record` or `add_points`)."""
        self.record(job)

    def record(self, job: Job, curves: Mapping[str, Iterable[CurvePoint]] | None = None) -> None:
        """`save` and `add_points` in one transaction: one write to the file instead of two."""
        with self._guard(), self._db:
            self._db.execute("BEGIN")
            self._upsert(job)
            if rows := self._point_rows(job.backend, job.name, curves or {}):
                self._db.executemany(_INSERT_POINTS, rows)

    def _upsert(self, job: Job) -> None:
        values = (
            job.backend, job.name, job.display_name, job.base_model, job.state.value, job.operation,
            job.hyperparameters.model_dump_json(), job.total_steps, job.completed_steps, job.error,
            job.dataset_path, job.dataset_sha256, job.dataset_examples, int(job.launched_here),
            *(_iso(getattr(job, t)) for t in _TIMES),
            job.sub_state, job.endpoint,
            _CHECKPOINTS.dump_json(job.checkpoints).decode() if job.checkpoints else None,
            job.data_stats.model_dump_json() if job.data_stats else None, job.validation_examples, job.dataset_uri,
            job.system_instruction,
            job.validation.model_dump_json() if job.validation else None,
        )
        self._db.execute(_UPSERT_JOB, values)

    def add_points(self, backend: str, name: str, curves: Mapping[str, Iterable[CurvePoint]]) -> None:
        """Store new curve points (a point already stored for that curve and step is kept)."""
        with self._guard():
            if rows := self._point_rows(backend, name, curves):
                with self._db:
                    self._db.execute("BEGIN")
                    self._db.executemany(_INSERT_POINTS, rows)

    @staticmethod
    def _point_rows(backend: str, name: str, curves: Mapping[str, Iterable[CurvePoint]]) -> list[tuple]:
        return [(backend, name, curve, p.step, p.value, p.epoch, _iso(p.time)) for curve, points in curves.items()
                for p in points]

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
        """Jobs of one backend with all their curve points, newest first."""
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
        curves: dict[str, list[CurvePoint]] = {}
        for curve, step, value, epoch, time in self._db.execute(
            "SELECT curve, step, value, epoch, time FROM curve_points "
            "WHERE backend = ? AND name = ? ORDER BY curve, step",
            (data["backend"], data["name"]),
        ):
            curves.setdefault(curve, []).append(CurvePoint(step=step, value=value, epoch=epoch, time=_dt(time)))
        state = JobState(data["state"])
        if data.pop("user_cancelled") and state is not JobState.DELETED:
            state = JobState.CANCELLED
        return Job(
            **{k: data[k] for k in ("name", "backend", "display_name", "base_model", "operation", "total_steps",
                                    "completed_steps")},
            state=state,
            error=data["error"],
            hyperparameters=Hyperparameters.model_validate_json(data["hyperparameters"]),
            dataset_path=data["dataset_path"],
            dataset_sha256=data["dataset_sha256"],
            dataset_examples=data["dataset_examples"],
            launched_here=bool(data["launched_here"]),
            curves=curves,
            sub_state=data["sub_state"],
            endpoint=data["endpoint"],
            checkpoints=_CHECKPOINTS.validate_json(data["checkpoints"]) if data["checkpoints"] else [],
            data_stats=DataStats.model_validate_json(data["data_stats"]) if data["data_stats"] else None,
            validation_examples=data["validation_examples"],
            dataset_uri=data["dataset_uri"],
            system_instruction=data["system_instruction"],
            validation=ValidationChoice.model_validate_json(data["validation"]) if data["validation"] else None,
            created=_dt(data["created"]),
            updated=_dt(data["updated"]),
            started=_dt(data["started"]),
            completed=_dt(data["completed"]),
            last_polled=_dt(data["last_polled"]),
        )

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # closing never fails the caller
            self._db.close()
