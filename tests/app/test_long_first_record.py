"""A file whose first record is long (megabytes on one line) is parsed only after the screen has
said it is being read: the parser holds the interpreter meanwhile, and the key that opened the
file (Enter, r) would otherwise answer only when the parse is over. A file of short lines keeps
its one frame with the first rows."""

from __future__ import annotations

import json

import pytest
from textual.app import App

import tui.datasets.reader as reader_module
from tests.app.conftest import SIZE, open_path, settle
from tui.app import make_app


@pytest.mark.parametrize(
    ("name", "first_chars", "drawn_first"), [("long.jsonl", 200_000, True), ("short.jsonl", 16, False)]
)
async def test_a_long_first_record_is_parsed_after_the_reading_frame(
    manager, settings, tmp_path, monkeypatch, name, first_chars, drawn_first
):
    path = tmp_path / name
    path.write_text(json.dumps({"text_input": "x" * first_chars, "output": "the answer"}) + "\n"
                    + json.dumps({"text_input": "second", "output": "two"}) + "\n", encoding="utf-8")
    shown: list[str] = []  # the summary in each frame sent to the terminal
    seen_at_parse: list[list[str]] = []
    display = App._display

    def recording(self, screen, renderable) -> None:
        if renderable is not None and not self._batch_count and screen.query("#dataset-summary"):
            shown.append(str(screen.query_one("#dataset-summary").render()))
        display(self, screen, renderable)

    first_rows = reader_module.DatasetReader.first_rows

    def parsing(self, count):
        if self.path == path:
            seen_at_parse.append(list(shown))
        return first_rows(self, count)

    monkeypatch.setattr(App, "_display", recording)
    monkeypatch.setattr(reader_module.DatasetReader, "first_rows", parsing)
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_path(app, pilot, str(path))
        assert app.dataset is not None and app.dataset.path == path
        assert len(seen_at_parse) == 1
        reading_drawn = any(f"Reading {name}" in summary for summary in seen_at_parse[0])
        assert reading_drawn is drawn_first
        assert app.screen.query_one("#example-table").row_count == 2
