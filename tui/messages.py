"""The app's own Textual messages, in one place.

Cross-screen requests (`OpenJob`, `TryModel`, `Relaunch`) bubble from any screen to the
app, which switches mode and calls the target screen's typed method. Dataset messages
carry a background read's progress and results to the screen that started it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from tui.datasets.lint import LintReport
    from tui.datasets.reader import DatasetReader, Row
    from tui.models import Job


@dataclass
class OpenJob(Message):
    """Show this job in the Monitor."""

    name: str


@dataclass
class TryModel(Message):
    """Open the Playground on this tuned model."""

    name: str


@dataclass
class Relaunch(Message):
    """Open the job form pre-filled from `job` (optionally with another epoch count)."""

    job: Job
    epochs: int | None = None


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
    reader: DatasetReader
    rows: list[Row]


@dataclass
class DatasetIndexed(Message):
    """The file is indexed: its first page can be shown."""

    path: Path
    reader: DatasetReader


@dataclass
class DatasetLinted(Message):
    """The lint finished for the dataset at `path`."""

    path: Path
    reader: DatasetReader
    report: LintReport
