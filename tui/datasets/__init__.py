"""Datasets: reading tuning data from disk, linting it, and writing it back out.

No UI here; the app calls these from worker threads, and every call is thread-safe.
"""

from __future__ import annotations

from tui.datasets.errors import DatasetError
from tui.datasets.export import export_jsonl
from tui.datasets.lint import LintReport, lint
from tui.datasets.profile import FormatProfile
from tui.datasets.reader import DatasetReader, Row, open_dataset
from tui.samples import SAMPLE_ORDER, sample_paths

__all__ = ["SAMPLE_ORDER", "DatasetError", "DatasetReader", "FormatProfile", "LintReport", "Row", "export_jsonl", "lint",
           "open_dataset", "sample_paths"]
