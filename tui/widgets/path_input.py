"""A path input that completes file and directory names as you type (→ accepts)."""

from __future__ import annotations

import os
from pathlib import Path

from textual.suggester import Suggester
from textual.widgets import Input


class PathSuggester(Suggester):
    """Suggests the first existing path that starts with what was typed."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        expanded = os.path.expanduser(value)
        folder, _, prefix = expanded.rpartition(os.sep)
        directory = Path(folder or ("/" if expanded.startswith(os.sep) else "."))
        try:
            names = sorted(entry.name for entry in os.scandir(directory) if entry.name.startswith(prefix))
        except OSError:
            return None
        names = [name for name in names if not name.startswith(".") or prefix.startswith(".")]
        if not names:
            return None
        completed = names[0]
        if (directory / completed).is_dir():
            completed += os.sep
        return value[: len(value) - len(prefix)] + completed


class PathInput(Input):
    """An Input for file paths with completion."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("placeholder", "path to a dataset (.jsonl .json .csv .tsv) — → completes, Enter opens")
        super().__init__(suggester=PathSuggester(), **kwargs)
