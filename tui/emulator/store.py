"""The emulator's state in SQLite: tuned models, their training data and their snapshots.

One connection, owned by the server's event loop (every query is a few hundred
microseconds). Trainer processes only read training data, through their own read-only
connection (`read_examples`). WAL mode, so readers never wait on the writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from tui.emulator.busy import BUSY_TIMEOUT_MS
from tui.emulator.wire import float32

SCHEMA = """
CREATE TABLE IF NOT EXISTS tuned_models (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    operation_id TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    base_model TEXT NOT NULL,
    state TEXT NOT NULL,
    create_time TEXT NOT NULL,
    update_time TEXT NOT NULL,
    start_time TEXT,
    complete_time TEXT,
    temperature REAL,
    top_p REAL,
    top_k INTEGER,
    hyperparameters TEXT NOT NULL,
    example_count INTEGER NOT NULL,
    total_steps INTEGER NOT NULL,
    completed_steps INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    cancelled INTEGER NOT NULL DEFAULT 0,
    reader_project_numbers TEXT NOT NULL DEFAULT '[]',
    source_model TEXT
);
CREATE TABLE IF NOT EXISTS training_data (
    model_id TEXT PRIMARY KEY REFERENCES tuned_models(id) ON DELETE CASCADE,
    examples BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    model_id TEXT NOT NULL REFERENCES tuned_models(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    mean_loss REAL NOT NULL,
    compute_time TEXT NOT NULL,
    PRIMARY KEY (model_id, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS permissions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id TEXT NOT NULL REFERENCES tuned_models(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    grantee_type TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL,
    UNIQUE (model_id, id)
);
"""

JSON_COLUMNS = ("hyperparameters", "error", "reader_project_numbers")


def _connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    else:
        conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def read_examples(path: Path, model_id: str) -> list[tuple[str, str]]:
    """The training examples of a tuned model as (text_input, output) pairs."""
    conn = _connect(path, readonly=True)
    try:
        row = conn.execute("SELECT examples FROM training_data WHERE model_id = ?", (model_id,)).fetchone()
    finally:
        conn.close()
    if row is None:
        raise LookupError(f"no training data stored for tunedModels/{model_id}")
    return [(str(a), str(b)) for a, b in orjson.loads(row["examples"])]


def count_states(path: Path) -> dict[str, int]:
    """Tuned models per state, read without disturbing a running server ({} if no state yet)."""
    if not path.exists():
        return {}
    conn = _connect(path, readonly=True)
    try:
        return {r[0]: r[1] for r in conn.execute("SELECT state, COUNT(*) FROM tuned_models GROUP BY state")}
    except sqlite3.Error:
        return {}
    finally:
        conn.close()


class Store:
    """Tuned models, training data and snapshots in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = _connect(path)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.executescript(SCHEMA)
        columns = {row[1] for row in self.conn.execute("PRAGMA table_info(tuned_models)")}
        if "source_model" not in columns:  # state written by an earlier version
            self.conn.execute("ALTER TABLE tuned_models ADD COLUMN source_model TEXT")
        self._curves: dict[str, list[dict[str, Any]]] = {}  # model id -> snapshots, kept in step with the table
        self._encoded: dict[str, tuple[list[dict[str, Any]], int, bytes]] = {}  # model id -> (curve, points, JSON)
        # From now on a lock held by another process is not waited for on the event loop (tui/emulator/busy.py).
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def close(self) -> None:
        self.conn.close()

    @staticmethod
    def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
        if row is None:
            return None
        record = dict(row)
        for column in JSON_COLUMNS:
            if record.get(column) is not None:
                record[column] = orjson.loads(record[column])
        return record

    def insert_model(self, record: dict[str, Any], examples: Sequence[tuple[str, str]]) -> None:
        values = {
            k: (orjson.dumps(v).decode() if k in JSON_COLUMNS and v is not None else v) for k, v in record.items()
        }
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.execute(f"INSERT INTO tuned_models ({columns}) VALUES ({marks})", tuple(values.values()))
            self.conn.execute(
                "INSERT INTO training_data (model_id, examples) VALUES (?, ?)",
                (record["id"], orjson.dumps([list(e) for e in examples])),
            )

    def exists(self, model_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM tuned_models WHERE id = ?", (model_id,)).fetchone() is not None

    def get_model(self, model_id: str) -> dict[str, Any] | None:
        return self._row(self.conn.execute("SELECT * FROM tuned_models WHERE id = ?", (model_id,)).fetchone())

    def list_models(self, after_seq: int = 0) -> Iterable[dict[str, Any]]:
        """Models in creation order, starting after `after_seq`."""
        cursor = self.conn.execute("SELECT * FROM tuned_models WHERE seq > ? ORDER BY seq", (after_seq,))
        for row in cursor:
            if (model := self._row(row)) is not None:
                yield model

    def ids_in_state(self, state: str) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM tuned_models WHERE state = ? ORDER BY seq", (state,))]

    def update_model(self, model_id: str, **fields: Any) -> None:
        values = {
            k: (orjson.dumps(v).decode() if k in JSON_COLUMNS and v is not None else v) for k, v in fields.items()
        }
        assignments = ", ".join(f"{k} = ?" for k in values)
        with self.conn:
            self.conn.execute(f"UPDATE tuned_models SET {assignments} WHERE id = ?", (*values.values(), model_id))

    def delete_model(self, model_id: str) -> bool:
        with self.conn:
            cursor = self.conn.execute("DELETE FROM tuned_models WHERE id = ?", (model_id,))
        self._curves.pop(model_id, None)
        self._encoded.pop(model_id, None)
        return cursor.rowcount > 0

    # -- permissions --------------------------------------------------------------------
    def permissions(self, model_id: str, after_seq: int = 0) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT * FROM permissions WHERE model_id = ? AND seq > ? ORDER BY seq", (model_id, after_seq)
        )
        return [dict(r) for r in rows]

    def shared_with_everyone(self, model_id: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM permissions WHERE model_id = ? AND grantee_type = 'EVERYONE'", (model_id,)
        )
        return row.fetchone() is not None

    def add_permission(
        self, model_id: str, permission_id: str, grantee_type: str, email: str | None, role: str
    ) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT INTO permissions (model_id, id, grantee_type, email, role) VALUES (?, ?, ?, ?, ?)",
                (model_id, permission_id, grantee_type, email, role),
            )

    def set_permission_role(self, model_id: str, permission_id: str, role: str) -> None:
        with self.conn:
            self.conn.execute(
                "UPDATE permissions SET role = ? WHERE model_id = ? AND id = ?", (role, model_id, permission_id)
            )

    def delete_permission(self, model_id: str, permission_id: str) -> None:
        with self.conn:
            self.conn.execute("DELETE FROM permissions WHERE model_id = ? AND id = ?", (model_id, permission_id))

    # -- snapshots ----------------------------------------------------------------------
    def snapshots_json(self, model_id: str) -> orjson.Fragment | None:
        """The loss curve as encoded JSON (None if empty), for responses: encoded once, then appended to."""
        curve = self.snapshots(model_id)
        if not curve:
            return None
        cached = self._encoded.get(model_id)
        if cached is not None and cached[0] is curve and cached[1] == len(curve):
            encoded = cached[2]
        elif cached is not None and cached[0] is curve and 0 < cached[1] < len(curve):  # new points at the end
            encoded = cached[2][:-1] + b"," + orjson.dumps(curve[cached[1] :])[1:]
        else:
            encoded = orjson.dumps(curve)
        self._encoded[model_id] = (curve, len(curve), encoded)
        return orjson.Fragment(encoded)

    def snapshots(self, model_id: str) -> list[dict[str, Any]]:
        """The loss curve, oldest step first. Shared with the cache: do not modify it."""
        curve = self._curves.get(model_id)
        if curve is None:
            rows = self.conn.execute(
                "SELECT step, epoch, mean_loss, compute_time FROM snapshots WHERE model_id = ? ORDER BY step",
                (model_id,),
            )
            curve = [{"step": r[0], "epoch": r[1], "meanLoss": float32(r[2]), "computeTime": r[3]} for r in rows]
            self._curves[model_id] = curve
        return curve

    def add_snapshots(
        self, model_id: str, snapshots: Sequence[dict[str, Any]], completed_steps: int, update_time: str
    ) -> None:
        """Record snapshots (replacing any with the same step) and the progress they mean."""
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany(
                "INSERT OR REPLACE INTO snapshots (model_id, step, epoch, mean_loss, compute_time) "
                "VALUES (?, ?, ?, ?, ?)",
                [(model_id, s["step"], s["epoch"], s["meanLoss"], s["computeTime"]) for s in snapshots],
            )
            self.conn.execute(
                "UPDATE tuned_models SET completed_steps = ?, update_time = ? WHERE id = ?",
                (completed_steps, update_time, model_id),
            )
        curve = self._curves.get(model_id)
        if curve is not None:
            if all(s["step"] > (curve[-1]["step"] if curve else 0) for s in snapshots[:1]):
                curve.extend(dict(s) for s in snapshots)
            else:
                self._curves.pop(model_id)

    def truncate_snapshots(self, model_id: str, last_step: int, update_time: str) -> None:
        """Drop the snapshots after `last_step` (a trainer resumed from a checkpoint at that step)."""
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.execute("DELETE FROM snapshots WHERE model_id = ? AND step > ?", (model_id, last_step))
            self.conn.execute(
                "UPDATE tuned_models SET completed_steps = ?, update_time = ? WHERE id = ?",
                (last_step, update_time, model_id),
            )
        curve = self._curves.get(model_id)
        if curve is not None:
            del curve[sum(1 for s in curve if s["step"] <= last_step) :]

    def replace_snapshots(self, model_id: str, snapshots: Sequence[dict[str, Any]], update_time: str) -> None:
        """Make the stored curve exactly `snapshots` (used when a trainer resumes from a checkpoint)."""
        completed = max((s["step"] for s in snapshots), default=0)
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.execute("DELETE FROM snapshots WHERE model_id = ?", (model_id,))
            self.conn.executemany(
                "INSERT INTO snapshots (model_id, step, epoch, mean_loss, compute_time) VALUES (?, ?, ?, ?, ?)",
                [(model_id, s["step"], s["epoch"], s["meanLoss"], s["computeTime"]) for s in snapshots],
            )
            self.conn.execute(
                "UPDATE tuned_models SET completed_steps = ?, update_time = ? WHERE id = ?",
                (completed, update_time, model_id),
            )
        self._curves.pop(model_id, None)
