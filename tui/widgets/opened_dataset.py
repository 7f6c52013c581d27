"""The dataset open in the app: its reader and lint report, how it is read in the
background (with progress messages), and small helpers the screens share.

Reading and linting are blocking: call `read_and_check` from a thread worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.message import Message


@dataclass(frozen=True)
class OpenedDataset:
    """A dataset the user opened: where it is, its lazy reader and its lint report."""

    path: Path
    reader: Any
    report: Any

    @property
    def examples(self) -> int:
        return len(self.reader)

    @property
    def errors(self) -> list[Any]:
        return [f for f in self.report.findings if str(f.severity) == "error"]


@dataclass
class WorkProgress(Message):
    """How far indexing or linting has got (a newer one replaces a queued older one)."""

    stage: str
    done: float
    total: float | None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, WorkProgress)


@dataclass
class DatasetOpened(Message):
    """The first rows of the file are read; its index is not built yet."""

    path: Path
    reader: Any
    rows: list[Any]


@dataclass
class DatasetIndexed(Message):
    """The file is indexed: its first page can be shown."""

    path: Path
    reader: Any


@dataclass
class DatasetLinted(Message):
    """The lint finished for the dataset at `path`."""

    path: Path
    reader: Any
    report: Any


def display_path(path: str | Path) -> str:
    """A path as short as it can be said: relative to the working directory, or with ~."""
    path = Path(path).expanduser()
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        pass
    try:
        return "~/" + str(path.resolve().relative_to(Path.home().resolve()))
    except (ValueError, OSError, RuntimeError):
        return str(path)


def count_by_severity(findings: list[Any]) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for finding in findings:
        counts[str(finding.severity)] = counts.get(str(finding.severity), 0) + 1
    return counts

def _progress(poster: Any, stage: str):
    def report(done: float, total: float | None = None) -> None:
        poster.post_message(WorkProgress(stage, done, total))

    return report


def read_and_check(path: Path, format: str | None, poster: Any, indexed=None) -> OpenedDataset:
    """Index and lint a dataset (blocking: call it in a thread worker), posting progress to `poster`."""
    from tui.datasets import lint, open_dataset

    def progress(stage: str):
        return _progress(poster, stage)

    reader = open_dataset(path, format=format, progress=progress("Indexing"))
    if indexed is not None:
        indexed(reader)
    report = lint(reader, progress=progress("Checking"))
    return OpenedDataset(Path(path).resolve(), reader, report)


def finish_reading(reader: Any, poster: Any, indexed=None, cancelled=None) -> OpenedDataset | None:
    """Index and lint a dataset whose first rows are on screen (blocking: call it in a thread worker).
    Both run in a forked process, so the app's interpreter stays free to draw; the index grows in
    `reader` as it is built (rows already indexed can be read meanwhile). None if `cancelled()`
    turns true, or the index is stopped, before the end."""
    from tui.datasets.apart import Cancelled, index_apart, lint_apart
    from tui.datasets.index import IndexingStopped

    try:
        index_apart(reader, _progress(poster, "Indexing"), cancelled)
        if indexed is not None:
            indexed(reader)
        report = lint_apart(reader, progress=_progress(poster, "Checking"), cancelled=cancelled)
    except (Cancelled, IndexingStopped):
        return None
    return OpenedDataset(reader.path.resolve(), reader, report)


def index_of_line(reader: Any, line: int) -> int:
    """The index of the example at (or just before) `line`: binary search over the lazy reader."""
    low, high = 0, len(reader) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if reader.page(middle, 1)[0].line <= line:
            low = middle
        else:
            high = middle - 1
    return max(0, low)
