"""The first rows of a dataset file, read on a thread from the moment it is asked for.

`tunedeck PATH` starts this before the app loads. It first reads a preview (the first
lines of a JSON-lines file, parsed with orjson alone) in time for the first frame, then,
when asked (`read_rows`, once that frame is out), opens the file with the full reader for
the rows the example table shows. The module imports nothing heavy itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIRST_ROWS = 60  # a screenful and more: the table reads its full window once the cursor goes past them
PREVIEW_BYTES = 16 * 1024
PREVIEW_ROWS = 60


class FirstPage:
    """Reads a preview at once, then `open_reader(path, format).first_rows(count)` on `read_rows()`;
    `when_read` hands the rows over."""

    def __init__(self, path: str | Path, format: str | None = None, count: int = FIRST_ROWS) -> None:
        self.path = Path(path).expanduser()
        self.format = format
        self.count = count
        # (number, line, input, output) of the first records, or (number, line, None, error message)
        self.preview: list[tuple[int, int, str | None, str]] = []
        self.previewed = threading.Event()
        self.reader: Any = None  # a DatasetReader once read
        self.rows: list[Any] = []
        self.error: BaseException | None = None
        self._go = threading.Event()
        self._lock = threading.Lock()
        self._done = False
        self._callbacks: list[Callable[[FirstPage], None]] = []
        threading.Thread(target=self._run, name="dataset-first-page", daemon=True).start()

    def read_rows(self) -> None:
        """Go on to the full reader (it loads pydantic and the domain models: not before the first frame)."""
        self._go.set()

    def _run(self) -> None:
        try:
            self.preview = _preview(self.path, self.format)
        except Exception:  # noqa: BLE001 - no preview; reading the file again reports what is wrong
            self.preview = []
        self.previewed.set()
        self._go.wait()
        try:
            from tui.datasets.reader import open_reader

            self.reader = open_reader(self.path, self.format)
            self.rows = self.reader.first_rows(self.count)
        except BaseException as exc:  # noqa: BLE001 - handed over with the rows
            self.error = exc
        with self._lock:
            self._done = True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    def when_read(self, callback: Callable[[FirstPage], None]) -> None:
        """Call `callback(self)` once the rows are read (or reading failed): at once if they are, else
        on the reading thread."""
        with self._lock:
            if not self._done:
                self._callbacks.append(callback)
                return
        callback(self)


def _preview(path: Path, format: str | None) -> list[tuple[int, int, str | None, str]]:
    """The first records of a JSON-lines file (any other file: none), as the reader would parse them."""
    if format not in (None, "jsonl", "vertex", "chat"):
        return []
    with open(path, "rb") as f:
        head = f.read(PREVIEW_BYTES)
    body = head.removeprefix(b"\xef\xbb\xbf")
    if not body.lstrip().startswith(b"{"):
        return []
    from tui.datasets.records import RecordProblem, parse_json

    lines = body.split(b"\n")
    if len(head) == PREVIEW_BYTES:
        lines.pop()  # it may be cut short
    out: list[tuple[int, int, str | None, str]] = []
    for line, raw in enumerate(lines, 1):
        if not raw.strip(b"\r"):
            continue
        try:
            text_input, output = parse_json(raw, 0)
        except RecordProblem as problem:
            out.append((len(out), line, None, problem.message))
        else:
            out.append((len(out), line, text_input, output))
        if len(out) == PREVIEW_ROWS:
            break
    return out
