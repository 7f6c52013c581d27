"""The error raised when a dataset file cannot be read at all, or its format is unknown.

Problems inside a readable file are not errors but lint findings (see `lint.py`).
"""

from __future__ import annotations

from pathlib import Path

from tui.errors import TunedeckError


class DatasetError(TunedeckError):
    """A dataset that cannot be opened; `str()` reads like `PATH:LINE: message`."""

    def __init__(self, path: str | Path, message: str, *, line: int | None = None, hint: str = "",
                 rule: str = "unreadable-file") -> None:
        self.path = str(path)
        self.rule = rule  # "unreadable-file" or "unknown-format"
        self.line = line
        self.hint = hint
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}", hint)
        self.message = message
