"""The dataset open in the app: where it is, its lazy reader and its lint report.

Reading and linting are blocking: call `read_and_check` from a thread worker. Progress is
reported through a plain callback, so this module knows nothing of the UI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui.datasets.values import Finding, Severity

# Through the package's lazy names only: importing the `tui.datasets.lint` module by its own
# name would make `tui.datasets.lint` the module instead of the function.
if TYPE_CHECKING:
    from tui.datasets import DatasetReader, LintReport

# (stage, done, total): e.g. ("Indexing", 1_200_000, 52_000_000); total None when unknown.
Progress = Callable[[str, float, float | None], None]


@dataclass(frozen=True)
class OpenedDataset:
    """A dataset the user opened: where it is, its lazy reader and its lint report."""

    path: Path
    reader: DatasetReader
    report: LintReport

    @property
    def examples(self) -> int:
        return len(self.reader)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.report.findings if f.severity is Severity.ERROR]


def read_and_check(
    path: Path,
    format: str | None,
    progress: Progress,
    indexed: Callable[[DatasetReader], None] | None = None,
) -> OpenedDataset:
    """Index and lint a dataset (blocking: call it in a thread worker), reporting progress."""
    from tui.datasets import lint, open_dataset

    def stage(name: str) -> Callable[..., None]:
        def report(done: float, total: float | None = None) -> None:
            progress(name, done, total)

        return report

    reader = open_dataset(path, format=format, progress=stage("Indexing"))
    if indexed is not None:
        indexed(reader)
    report = lint(reader, progress=stage("Checking"))
    return OpenedDataset(Path(path).resolve(), reader, report)


def finish_reading(
    reader: DatasetReader,
    progress: Progress,
    indexed: Callable[[DatasetReader], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> OpenedDataset | None:
    """Index and lint a dataset whose first rows are on screen (blocking: call it in a thread worker).
    Both run in a forked process, so the app's interpreter stays free to draw; the index grows in
    `reader` as it is built (rows already indexed can be read meanwhile). None if `cancelled()`
    turns true, or the index is stopped, before the end."""
    from tui.datasets.apart import Cancelled, index_apart, lint_apart
    from tui.datasets.index import IndexingStopped

    def stage(name: str) -> Callable[..., None]:
        def report(done: float, total: float | None = None) -> None:
            progress(name, done, total)

        return report

    try:
        index_apart(reader, stage("Indexing"), cancelled)
        if indexed is not None:
            indexed(reader)
        report = lint_apart(reader, progress=stage("Checking"), cancelled=cancelled)
    except (Cancelled, IndexingStopped):
        return None
    return OpenedDataset(reader.path.resolve(), reader, report)


def count_by_severity(findings: list[Finding]) -> dict[str, int]:
    counts = {severity.value: 0 for severity in Severity}
    for finding in findings:
        counts[finding.severity.value] += 1
    return counts


def index_of_line(reader: DatasetReader, line: int) -> int:
    """The index of the example at (or just before) `line`: binary search over the lazy reader."""
    low, high = 0, len(reader) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if reader.page(middle, 1)[0].line <= line:
            low = middle
        else:
            high = middle - 1
    return max(0, low)
