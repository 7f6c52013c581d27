"""The playground's short per-model history of prompts and answers, kept in SQLite.

Lives next to the job history in the data directory (`playground.sqlite3`). An exchange
names what answered when it was not the tuned model itself (`target`: a checkpoint, as
the playground labelled it), and the exchanges of one prompt sent to every checkpoint
share a `comparison` key. Only the newest `KEEP_PER_MODEL` entries of each tuned model are
kept, a comparison counting as one entry (it is kept or dropped whole). No UI code here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

KEEP_PER_MODEL = 20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS exchange (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model TEXT NOT NULL,
    prompt TEXT NOT NULL,
    answer TEXT NOT NULL,
    temperature REAL,
    max_output_tokens INTEGER,
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS exchange_model ON exchange (model, id);
"""
# Columns added after the first release: (name, SQL type).
_ADDED = (("target", "TEXT"), ("comparison", "TEXT"), ("failed", "INTEGER NOT NULL DEFAULT 0"))
_COLUMNS = "model, prompt, answer, temperature, max_output_tokens, created, target, comparison, failed"
# An entry: a comparison's exchanges together, any other exchange alone.
_ENTRY = "COALESCE(comparison, 'exchange ' || id)"


@dataclass(frozen=True)
class Exchange:
    """One prompt sent to a tuned model (or one of its checkpoints) and the answer it gave.

    `failed`: `answer` is the error that stopped the answer (kept in a comparison, where one
    checkpoint failing does not lose the others' answers).
    """

    model: str
    prompt: str
    answer: str
    temperature: float | None = None
    max_output_tokens: int | None = None
    created: datetime | None = None
    target: str | None = None
    comparison: str | None = None
    failed: bool = False


class PlaygroundHistory:
    """Recent exchanges per tuned model. Each call opens its own connection (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in a transaction, committed and closed on the way out."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=5)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)
            present = {row[1] for row in connection.execute("PRAGMA table_info(exchange)")}
            for name, kind in _ADDED:
                if name not in present:  # a file written by an earlier version keeps its rows
                    try:
                        connection.execute(f"ALTER TABLE exchange ADD COLUMN {name} {kind}")
                    except sqlite3.OperationalError as exc:  # another process added it just now
                        if "duplicate column" not in str(exc):
                            raise
            with connection:
                yield connection
        finally:
            connection.close()

    def add(self, exchange: Exchange) -> None:
        """Store an exchange and drop the model's oldest entries beyond `KEEP_PER_MODEL`."""
        self.add_all([exchange])

    def add_all(self, exchanges: Sequence[Exchange]) -> None:
        """Store exchanges (e.g. a comparison's) in one transaction, then drop the oldest entries."""
        now = datetime.now(UTC)
        with self._connect() as db:
            db.executemany(
                f"INSERT INTO exchange ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (e.model, e.prompt, e.answer, e.temperature, e.max_output_tokens,
                     (e.created or now).isoformat(), e.target, e.comparison, int(e.failed))
                    for e in exchanges
                ],
            )
            for model in {e.model for e in exchanges}:
                db.execute(
                    f"DELETE FROM exchange WHERE model = ? AND {_ENTRY} NOT IN (SELECT entry FROM "
                    f"(SELECT {_ENTRY} AS entry, MAX(id) AS newest FROM exchange WHERE model = ? "
                    "GROUP BY entry ORDER BY newest DESC LIMIT ?))",
                    (model, model, KEEP_PER_MODEL),
                )

    def recent(self, model: str, limit: int = KEEP_PER_MODEL) -> list[Exchange]:
        """The model's exchanges of its newest `limit` entries, oldest first."""
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM exchange WHERE model = ? AND {_ENTRY} IN (SELECT entry FROM "
                f"(SELECT {_ENTRY} AS entry, MAX(id) AS newest FROM exchange WHERE model = ? "
                "GROUP BY entry ORDER BY newest DESC LIMIT ?)) ORDER BY id",
                (model, model, limit),
            ).fetchall()
        return [
            Exchange(m, p, a, t, n, datetime.fromisoformat(c), target, comparison, bool(failed))
            for m, p, a, t, n, c, target, comparison, failed in rows
        ]

    def clear(self, model: str) -> int:
        """Forget a model's exchanges; returns how many were removed."""
        with self._connect() as db:
            return db.execute("DELETE FROM exchange WHERE model = ?", (model,)).rowcount
