"""Datasets: reading tuning data from disk, linting it, and writing it back out.

No UI here; the app calls these from worker threads, and every call is thread-safe.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from tui.datasets.errors import DatasetError
from tui.datasets.export import export_jsonl
from tui.datasets.lint import LintReport, lint
from tui.datasets.profile import FormatProfile
from tui.datasets.reader import DatasetReader, Row, open_dataset

SAMPLE_ORDER = ("number-increment.jsonl", "classification.jsonl", "summarization.jsonl")

__all__ = ["DatasetError", "DatasetReader", "FormatProfile", "LintReport", "Row", "export_jsonl", "lint",
           "open_dataset", "sample_paths"]


def sample_paths() -> list[Path]:
    """The datasets shipped with the package, in the order a new user sees them."""
    folder = Path(str(files("tui") / "samples"))
    return [folder / name for name in SAMPLE_ORDER if (folder / name).is_file()]
