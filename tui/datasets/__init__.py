"""Datasets: reading tuning data from disk, linting it, and writing it back out.

No UI here; the app calls these from worker threads, and every call is thread-safe.
The names below are loaded on first use, so importing one module of the package (the
reader, to show a first page) does not load the lint engine and numpy with it.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.datasets.errors import DatasetError
    from tui.datasets.export import export_jsonl
    from tui.datasets.lint import LintReport, lint
    from tui.datasets.onepass import check_file
    from tui.datasets.profile import FormatProfile
    from tui.datasets.reader import DatasetReader, Row, open_dataset, open_reader
    from tui.samples import SAMPLE_ORDER, sample_paths

_WHERE = {
    "DatasetError": "tui.datasets.errors",
    "export_jsonl": "tui.datasets.export",
    "LintReport": "tui.datasets.lint",
    "lint": "tui.datasets.lint",
    "check_file": "tui.datasets.onepass",
    "FormatProfile": "tui.datasets.profile",
    "DatasetReader": "tui.datasets.reader",
    "Row": "tui.datasets.reader",
    "open_dataset": "tui.datasets.reader",
    "open_reader": "tui.datasets.reader",
    "SAMPLE_ORDER": "tui.samples",
    "sample_paths": "tui.samples",
}

__all__ = ["SAMPLE_ORDER", "DatasetError", "DatasetReader", "FormatProfile", "LintReport", "Row", "check_file",
           "export_jsonl", "lint", "open_dataset", "open_reader", "sample_paths"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


class _Package(ModuleType):
    """The function `lint` shares its name with the module `tui.datasets.lint`: importing the module
    would set the package's `lint` to it. The package keeps offering the function, as it always has."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "lint" and isinstance(value, ModuleType):
            value = value.lint
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
