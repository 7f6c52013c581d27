"""Path completion in the Datasets screen's path input."""

from __future__ import annotations

import os

from tui.widgets.path_input import PathSuggester


async def test_completes_files_and_folders(tmp_path):
    (tmp_path / "tickets.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "train").mkdir()
    (tmp_path / ".hidden.jsonl").write_text("", encoding="utf-8")
    suggester = PathSuggester()
    base = str(tmp_path) + os.sep
    assert await suggester.get_suggestion(base + "tic") == base + "tickets.jsonl"
    assert await suggester.get_suggestion(base + "tr") == base + "train" + os.sep
    assert await suggester.get_suggestion(base + "nothing-like-this") is None
    assert await suggester.get_suggestion(base + ".hid") == base + ".hidden.jsonl"
    assert await suggester.get_suggestion(base + "t") == base + "tickets.jsonl"  # first in order, not hidden
    assert await suggester.get_suggestion(str(tmp_path / "missing-folder" / "x")) is None
