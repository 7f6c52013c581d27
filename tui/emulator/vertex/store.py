"""Vertex AI state in SQLite (`<data dir>/vertex.sqlite3`): tuning jobs, their curves, models, endpoints.

One connection, used from the server's event loop; WAL mode. A query waits at most
`busy.BUSY_TIMEOUT_MS` for a lock held by another process: requests then answer 503 and
the pool retries its bookkeeping (every runner write is one transaction, safe to repeat). A curve point holds every
metric of one optimizer step (train loss, accuracy, predictions, and the eval three when
the validation set was measured at that step), so a TensorBoard time series is a column.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from tui.emulator.busy import BUSY_TIMEOUT_MS

SCHEMA = """
CREATE TABLE IF NOT EXISTS tuning_jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    project TEXT NOT NULL,
    location TEXT NOT NULL,
    state TEXT NOT NULL,
    tuning_state TEXT,
    request TEXT NOT NULL,
    create_time TEXT NOT NULL,
    update_time TEXT NOT NULL,
    start_time TEXT,
    end_time TEXT,
    error TEXT,
    stats TEXT,
    tuned_model TEXT,
    epochs INTEGER NOT NULL,
    learning_rate REAL NOT NULL,
    hidden INTEGER,
    checkpoint_epochs TEXT NOT NULL,
    has_validation INTEGER NOT NULL,
    source_weights TEXT,
    example_count INTEGER,
    batch_size INTEGER,
    total_steps INTEGER,
    completed_steps INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tuning_jobs_parent ON tuning_jobs (project, location, seq);
CREATE TABLE IF NOT EXISTS curve_points (
    job_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    wall_time TEXT NOT NULL,
    train_total_loss REAL NOT NULL,
    train_fraction_of_correct_next_step_preds REAL NOT NULL,
    train_num_predictions REAL NOT NULL,
    eval_total_loss REAL,
    eval_fraction_of_correct_next_step_preds REAL,
    eval_num_predictions REAL,
    PRIMARY KEY (job_id, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS models (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    location TEXT NOT NULL,
    job_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    base_model TEXT NOT NULL,
    hidden INTEGER,
    checkpoints TEXT NOT NULL,
    default_checkpoint TEXT NOT NULL,
    labels TEXT NOT NULL DEFAULT '{}',
    create_time TEXT NOT NULL,
    update_time TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS endpoints (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    location TEXT NOT NULL,
    model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    checkpoint_id TEXT NOT NULL,
    deployed INTEGER NOT NULL DEFAULT 1,
    create_time TEXT NOT NULL
);
"""

JSON_COLUMNS = ("request", "error", "stats", "tuned_model", "checkpoint_epochs", "checkpoints", "labels")
METRICS = (
    "train_total_loss",
    "train_fraction_of_correct_next_step_preds",
    "train_num_predictions",
    "eval_total_loss",
    "eval_fraction_of_correct_next_step_preds",
    "eval_num_predictions",
)


def _decode(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    record = dict(row)
    for column in JSON_COLUMNS:
        if record.get(column) is not None:
            record[column] = orjson.loads(record[column])
    return record


def _encode(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (orjson.dumps(v).decode() if k in JSON_COLUMNS and v is not None else v) for k, v in values.items()}


class VertexStore:
    """Tuning jobs, curve points, models and endpoints."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")  # the event loop never waits long
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    # -- tuning jobs ------------------------------------------------------------------------
    def insert_job(self, record: dict[str, Any]) -> None:
        values = _encode(record)
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self.conn:
            self.conn.execute(f"INSERT INTO tuning_jobs ({columns}) VALUES ({marks})", tuple(values.values()))

    def job(self, job_id: str) -> dict[str, Any] | None:
        return _decode(self.conn.execute("SELECT * FROM tuning_jobs WHERE id = ?", (job_id,)).fetchone())

    def jobs(self, project: str, location: str, after_seq: int = 0) -> Iterable[dict[str, Any]]:
        """Jobs of a project and location, newest first, starting below `after_seq` (0: from the newest)."""
        bound = after_seq or 2**62
        rows = self.conn.execute(
            "SELECT * FROM tuning_jobs WHERE project = ? AND location = ? AND seq < ? ORDER BY seq DESC",
            (project, location, bound),
        )
        for row in rows:
            yield _decode(row)  # type: ignore[misc]

    def ids_in_states(self, states: Sequence[str]) -> list[str]:
        marks = ", ".join("?" for _ in states)
        sql = f"SELECT id FROM tuning_jobs WHERE state IN ({marks}) ORDER BY seq"
        return [r[0] for r in self.conn.execute(sql, tuple(states))]

    def update_job(self, job_id: str, **fields: Any) -> None:
        values = _encode(fields)
        assignments = ", ".join(f"{k} = ?" for k in values)
        with self.conn:
            self.conn.execute(f"UPDATE tuning_jobs SET {assignments} WHERE id = ?", (*values.values(), job_id))

    # -- curve points -----------------------------------------------------------------------
    def add_points(self, job_id: str, points: Sequence[dict[str, Any]], update_time: str) -> None:
        """Record points (replacing any of the same step) and the progress they mean."""
        rows = []
        for p in points:
            ev = p.get("eval") or {}
            rows.append(
                (
                    job_id,
                    p["step"],
                    p["epoch"],
                    p["time"],
                    p["loss"],
                    p["accuracy"],
                    p["predictions"],
                    ev.get("loss"),
                    ev.get("accuracy"),
                    ev.get("predictions"),
                )
            )
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany(f"INSERT OR REPLACE INTO curve_points VALUES ({', '.join('?' * 10)})", rows)
            self.conn.execute(
                "UPDATE tuning_jobs SET completed_steps = MAX(completed_steps, ?), update_time = ? WHERE id = ?",
                (max(p["step"] for p in points), update_time, job_id),
            )

    def truncate_points(self, job_id: str, last_step: int, update_time: str) -> None:
        """Drop points after `last_step` (the trainer resumed from a checkpoint there)."""
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.execute("DELETE FROM curve_points WHERE job_id = ? AND step > ?", (job_id, last_step))
            self.conn.execute(
                "UPDATE tuning_jobs SET completed_steps = ?, update_time = ? WHERE id = ?",
                (last_step, update_time, job_id),
            )

    def series(
        self,
        job_id: str,
        metric: str,
        low: int | None = None,
        high: int | None = None,
        after: int = 0,
        limit: int | None = None,
        descending: bool = False,
    ) -> list[tuple[int, str, float]]:
        """(step, wall time, value) of one metric, by step, within [low, high], after step `after` (or before)."""
        if metric not in METRICS:
            raise ValueError(metric)
        sql = f"SELECT step, wall_time, {metric} FROM curve_points WHERE job_id = ? AND {metric} IS NOT NULL"
        args: list[Any] = [job_id]
        if low is not None:
            sql += " AND step >= ?"
            args.append(low)
        if high is not None:
            sql += " AND step <= ?"
            args.append(high)
        if after:
            sql += " AND step < ?" if descending else " AND step > ?"
            args.append(after)
        sql += " ORDER BY step DESC" if descending else " ORDER BY step"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [(r[0], r[1], r[2]) for r in self.conn.execute(sql, args)]

    def series_extent(self, job_id: str, metric: str) -> tuple[int, int, str | None]:
        """Point count, last step and last wall time of one metric."""
        if metric not in METRICS:
            raise ValueError(metric)
        row = self.conn.execute(
            f"SELECT COUNT(*), MAX(step), MAX(wall_time) FROM curve_points WHERE job_id = ? AND {metric} IS NOT NULL",
            (job_id,),
        ).fetchone()
        return int(row[0]), int(row[1] or 0), row[2]

    # -- models and endpoints ---------------------------------------------------------------
    def insert_model(
        self, record: dict[str, Any], endpoints: Sequence[tuple[str, str]], create_time: str, job: dict[str, Any]
    ) -> None:
        """A model, its endpoints (given as (endpoint id, checkpoint id)) and its job's new fields, at once."""
        values = _encode(record)
        job_values = _encode(job)
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.execute(
                f"UPDATE tuning_jobs SET {', '.join(f'{k} = ?' for k in job_values)} WHERE id = ?",
                (*job_values.values(), record["job_id"]),
            )
            self.conn.execute(
                f"INSERT INTO models ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)})",
                tuple(values.values()),
            )
            self.conn.executemany(
                "INSERT INTO endpoints (id, project, location, model_id, checkpoint_id, create_time) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(e, record["project"], record["location"], record["id"], c, create_time) for e, c in endpoints],
            )

    def model(self, model_id: str) -> dict[str, Any] | None:
        return _decode(self.conn.execute("SELECT * FROM models WHERE id = ?", (model_id,)).fetchone())

    def models(self, project: str, location: str) -> list[dict[str, Any]]:
        """The models of a project and location, newest first."""
        rows = self.conn.execute(
            "SELECT * FROM models WHERE project = ? AND location = ? ORDER BY create_time DESC, id DESC",
            (project, location),
        )
        return [r for r in (_decode(row) for row in rows) if r is not None]

    def update_model(self, model_id: str, **fields: Any) -> None:
        values = _encode(fields)
        assignments = ", ".join(f"{k} = ?" for k in values)
        with self.conn:
            self.conn.execute(f"UPDATE models SET {assignments} WHERE id = ?", (*values.values(), model_id))

    def delete_model(self, model_id: str) -> None:
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.execute("DELETE FROM endpoints WHERE model_id = ?", (model_id,))
            self.conn.execute("DELETE FROM models WHERE id = ?", (model_id,))

    def endpoint(self, endpoint_id: str) -> dict[str, Any] | None:
        return _decode(self.conn.execute("SELECT * FROM endpoints WHERE id = ?", (endpoint_id,)).fetchone())

    def undeploy(self, endpoint_id: str) -> None:
        with self.conn:
            self.conn.execute("UPDATE endpoints SET deployed = 0 WHERE id = ?", (endpoint_id,))

    def delete_endpoint(self, endpoint_id: str) -> None:
        with self.conn:
            self.conn.execute("DELETE FROM endpoints WHERE id = ?", (endpoint_id,))

    def endpoints_of(self, model_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM endpoints WHERE model_id = ? ORDER BY create_time, id", (model_id,))
        return [dict(r) for r in rows]
