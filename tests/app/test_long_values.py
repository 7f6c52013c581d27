"""A value of megabytes is never rendered whole: the table, the detail view and the request
view show a bounded part with its full length and how to see more; the detail view never
keeps the previous file's example."""

from __future__ import annotations

import json

from tests.app.conftest import SIZE, open_path, open_sample, settle
from tui.app import make_app
from tui.datasets.excerpt import PART_CHARS, one_line, part, shorten
from tui.widgets.example_table import INPUT_CHARS

LONG = 2_000_003  # characters of the long input


def text_of(widget) -> str:
    return str(widget.render())


def test_one_line_reads_only_a_prefix() -> None:
    assert one_line("a  b\nc", 10) == "a b c"
    cut = one_line("word " * 1_000_000, 12)
    assert len(cut) == 12 and cut.endswith("…")
    # Whitespace that would fit once flattened still says the value goes on.
    assert one_line(" " * 1000 + "end", 10) == "…"


def test_parts_cover_the_value_exactly() -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(10_001))
    parts = [part(text, n, 4_000) for n in range(part(text, 0, 4_000).parts)]
    assert "".join(p.text for p in parts) == text
    assert parts[-1].where() == "characters 8,001 to 10,001 of 10,001 (part 3 of 3)"
    assert part(text, 99, 4_000).number == 2  # past the end: the last part
    assert shorten("short") == "short"
    assert shorten("y" * 5000, 100) == "y" * 100 + "… [4,900 more characters, 5,000 in all]"


async def test_a_huge_example_is_shown_in_parts(manager, settings, tmp_path):
    path = tmp_path / "huge.jsonl"
    value = "x" * (LONG - 3) + "END"
    path.write_text(json.dumps({"text_input": value, "output": "the answer"}) + "\n", encoding="utf-8")
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await open_sample(app, pilot, "number-increment.jsonl")
        await open_path(app, pilot, str(path))
        for _ in range(600):  # the index and the lint run in the background after the first rows
            if app.dataset is not None and app.dataset.path.name == "huge.jsonl":
                break
            await settle(app, pilot)
        screen = app.screen
        table = screen.query_one("#example-table")
        assert table.row_count == 1
        cell = str(table.get_cell_at((0, 2)))
        assert len(cell) <= INPUT_CHARS and cell.endswith("…")
        shown = text_of(screen.query_one("#viewer-input"))
        assert len(shown) == PART_CHARS and set(shown) == {"x"}
        label = text_of(screen.query_one("#viewer-input-label"))
        assert f"of {LONG:,}" in label and "m: next part" in label and "$PAGER" in label
        assert text_of(screen.query_one("#viewer-output")) == "the answer"
        await pilot.press("m")
        await settle(app, pilot)
        label = text_of(screen.query_one("#viewer-input-label"))
        assert f"characters {PART_CHARS + 1:,} to {2 * PART_CHARS:,}" in label
        await pilot.press("M", "M")  # back to the first part, then round to the last
        await settle(app, pilot)
        assert text_of(screen.query_one("#viewer-input")).endswith("END")
        # The findings and their detail are bounded too.
        await pilot.press("f")
        await settle(app, pilot)
        assert all(len(text_of(w)) < 5_000 for w in screen.query("#finding-detail"))
        # The request view shows each value cut, with its length.
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("escape", "ctrl+o")
        await settle(app, pilot)
        request = app.screen.query_one("#dialog-text").text
        assert f"{LONG:,} in all" in request
        assert "x" * 10_000 not in request


async def test_the_viewer_forgets_the_previous_file(manager, settings, tmp_path):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await open_sample(app, pilot, "number-increment.jsonl")
        viewer = app.screen.query_one("#example-viewer")
        assert "example 1" in text_of(app.screen.query_one("#viewer-where"))
        await open_path(app, pilot, str(tmp_path / "missing.jsonl"))
        assert viewer.row is None
        assert text_of(app.screen.query_one("#viewer-where")) == "No example selected."
        assert text_of(app.screen.query_one("#viewer-input")) == ""
