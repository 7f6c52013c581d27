"""A busy or locked `state.sqlite3` (another process holds a write lock) is waited out, never fatal.

The server's connection waits at most `BUSY_TIMEOUT_MS` for a lock, so the event loop keeps
answering (reads go on in WAL mode while another process writes). Then:

- a request that needs to write answers 503 `UNAVAILABLE` with `Retry-After` (`unavailable`);
- the trainer pool's bookkeeping (a job's progress, its end) is retried with backoff for
  as long as it takes (`retry`): a job never fails because the database was busy.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from tui.emulator.wire import ApiError

log = logging.getLogger("tunedeck.emulator")

BUSY_TIMEOUT_MS = 50  # how long one query on the server's connection waits for a lock
RETRY_AFTER_S = 1
FIRST_DELAY_S = 0.05
MAX_DELAY_S = 2.0

T = TypeVar("T")


def is_transient(exc: BaseException) -> bool:
    """True for SQLite's "database is locked" / "busy": another process holds the lock for now."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def unavailable() -> ApiError:
    return ApiError(
        503,
        "The service is currently unavailable: the emulator's database is locked by another process. "
        f"Retry in {RETRY_AFTER_S} s.",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def retry(what: str, call: Callable[..., T], *args: Any) -> T:
    """`call(*args)` until SQLite stops answering busy, sleeping with backoff in between (other errors raise)."""
    delay = FIRST_DELAY_S
    waited = 0.0
    while True:
        try:
            result = call(*args)
        except sqlite3.OperationalError as exc:
            if not is_transient(exc):
                raise
            if waited == 0.0:
                log.warning("the database is busy (%s): %s waits and retries", exc, what)
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, MAX_DELAY_S)
            continue
        if waited:
            log.info("the database is free again after %.1f s: %s went through", waited, what)
        return result
