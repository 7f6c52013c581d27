"""The playground's short per-model history of prompts and answers, kept in SQLite.

Lives next to the job history in the data directory (`playground.sqlite3`). Only the
newest `KEEP_PER_MODEL` exchanges of each tuned model are kept. No UI code here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
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


@dataclass(frozen=True)
class Exchange:
    """One prompt sent to a tuned model and the answer it gave."""

    model: str
    prompt: str
    answer: str
    temperature: float | None = None
    max_output_tokens: int | None = None
    created: datetime | None = None


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
            with connection:
                yield connection
        finally:
            connection.close()

    def add(self, exchange: Exchange) -> None:
        """Store an exchange and drop the model's oldest beyond `KEEP_PER_MODEL`."""
        created = (exchange.created or datetime.now(UTC)).isoformat()
        with self._connect() as db:
            db.execute(
                "INSERT INTO exchange (model, prompt, answer, temperature, max_output_tokens, created) VALUES (?, ?, "
                "?, ?, ?, ?)",
                (
                    exchange.model,
                    exchange.prompt,
                    exchange.answer,
                    exchange.temperature,
                    exchange.max_output_tokens,
                    created,
                ),
            )
            db.execute(
                "DELETE FROM exchange WHERE model = ? AND id NOT IN "
                "(SELECT id FROM exchange WHERE model = ? ORDER BY id DESC LIMIT ?)",
                (exchange.model, exchange.model, KEEP_PER_MODEL),
            )

    def recent(self, model: str, limit: int = KEEP_PER_MODEL) -> list[Exchange]:
        """The model's exchanges, oldest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT model, prompt, answer, temperature, max_output_tokens, created FROM exchange "
                "WHERE model = ? ORDER BY id DESC LIMIT ?",
                (model, limit),
            ).fetchall()
        return [Exchange(m, p, a, t, n, datetime.fromisoformat(c)) for m, p, a, t, n, c in reversed(rows)]

    def clear(self, model: str) -> int:
        """Forget a model's exchanges; returns how many were removed."""
        with self._connect() as db:
            return db.execute("DELETE FROM exchange WHERE model = ?", (model,)).rowcount
