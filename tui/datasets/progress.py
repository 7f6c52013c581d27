"""Rate-limited progress reporting for long passes over a file."""

from __future__ import annotations

import time
from collections.abc import Callable

ProgressCallback = Callable[[int, int], None]
MIN_INTERVAL = 0.05  # at most ~20 calls a second


class Throttle:
    """Calls `callback(done, total)` at most every MIN_INTERVAL seconds, and once at the end."""

    __slots__ = ("_last", "callback", "total")

    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self.callback = callback
        self.total = total
        self._last = 0.0

    def __call__(self, done: int) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if now - self._last >= MIN_INTERVAL:
            self._last = now
            self.callback(done, self.total)

    def finish(self) -> None:
        if self.callback is not None:
            self.callback(self.total, self.total)
