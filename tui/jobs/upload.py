"""Following the progress reports of a dataset upload: bytes, rate, and whether anything was sent.

A backend that uploads reports `(bytes done, bytes total)`. A report that does not move the
count marks the start of sending (Cloud Storage's resumable upload says `0` when it opens a
session); a file already in the bucket jumps straight to its end, so an upload whose reports
never start sending uploaded nothing ("already uploaded").
"""

from __future__ import annotations

import time
from dataclasses import dataclass


def size_text(size: float) -> str:
    """`512 kB`, `12.3 MB`, `1.20 GB` (decimal units, as Cloud Storage counts)."""
    if size >= 1e9:
        return f"{size / 1e9:.2f} GB"
    if size >= 1e6:
        return f"{size / 1e6:.1f} MB"
    return f"{size / 1e3:.0f} kB"


@dataclass
class UploadState:
    """What the backend has reported so far (written from any thread, read by the UI)."""

    done: int = 0
    total: int = 0
    reports: int = 0
    sending: bool = False  # some bytes were sent (not only objects found already uploaded)
    send_from: int = 0  # `done` when sending started
    send_started: float = 0.0
    at: float = 0.0  # the latest report

    def record(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == (self.done if self.reports else 0) and not self.sending:
            self.sending, self.send_from, self.send_started = True, done, now
        self.done, self.total, self.at = done, total, now
        self.reports += 1

    @property
    def rate(self) -> float | None:
        """Bytes a second since sending started, once there is something to measure."""
        seconds = self.at - self.send_started
        sent = self.done - self.send_from
        return sent / seconds if self.sending and seconds > 0 and sent > 0 else None

    @property
    def finished(self) -> bool:
        return self.reports > 0 and self.done >= self.total

    def words(self) -> str:
        """`Uploading 12.0 / 48.3 MB · 5.2 MB/s`, or what the finished upload did."""
        state = self
        if state.finished and not state.sending:
            return f"Already uploaded: the bucket holds these {size_text(state.total)}; nothing was sent."
        rate = state.rate
        speed = f" · {size_text(rate)}/s" if rate is not None else ""
        if state.finished:
            return f"Uploaded {size_text(state.done - state.send_from)}{speed}."
        return f"Uploading {size_text(state.done)} / {size_text(state.total)}{speed}"
