"""The keys' help table (tui.screens.help.KeyTable): a heading row and one row a key, in
columns as wide as their longest cell, cut with … where the panel ends."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.screens.help import KeyHelp, KeyTable

KEYS = [
    KeyHelp("o", "Open path", "this screen", "Type a path (→ completes)"),
    KeyHelp("^c super+c", "Copy selected text", "everywhere", ""),
    KeyHelp("m", "More of the example", "this screen", "The next part of a long value " * 4),
]


class Table(App[None]):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def compose(self) -> ComposeResult:
        table = KeyTable(KEYS, id="table")
        table.styles.width = self.width
        yield table


async def lines_at(width: int) -> list[str]:
    app = Table(width)
    async with app.run_test(size=(120, 10)) as pilot:
        await pilot.pause()
        table = app.query_one(KeyTable)
        assert table.size.height == len(KEYS) + 1
        return table.render().plain.split("\n")


async def test_a_heading_then_a_row_a_key_in_aligned_columns():
    lines = await lines_at(100)
    assert len(lines) == 4
    assert lines[0].split() == ["Key", "Action", "Where", "Detail"]
    assert lines[1].startswith(" o           Open path            this screen  Type a path")
    assert lines[2].startswith(" ^c super+c  Copy selected text   everywhere")
    columns = [line.index("Action") if n == 0 else None for n, line in enumerate(lines)]
    assert lines[3][columns[0]:].startswith("More of the example")
    assert all(len(line) == 100 for line in lines)


async def test_a_long_detail_is_cut_with_an_ellipsis_at_the_edge():
    lines = await lines_at(60)
    assert all(len(line) == 60 for line in lines)
    assert lines[3].endswith("… ") and "long value" not in lines[3][-12:]
    assert lines[1].endswith("Type a path… ")
    assert not lines[2].endswith("… ")  # what fits is not cut
