"""A file's first rows come before its index: `tunedeck PATH` opens the app on the file (a
preview of its first records in the first frame), and a file opened in the app shows its
rows while the index and the lint go on behind them."""

from __future__ import annotations

import json
from pathlib import Path

import tui.app
from tests.app.conftest import DATA, SIZE, open_path, settle, until_checked
from tui.app import TuneDeckApp, make_app
from tui.cli import main
from tui.datasets.first_page import FIRST_ROWS, FirstPage
from tui.messages import DatasetOpened, WorkProgress
from tui.widgets.example_table import WINDOW

BROKEN = DATA / "broken.jsonl"


def big_file(tmp_path, n: int = 60_000):
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps({"text_input": f"question: what comes after {i}?", "output": str(i + 1)}) + "\n")
    return path


def test_tunedeck_path_hands_the_file_and_format_to_the_app(monkeypatch):
    from tui import launch

    seen = []
    monkeypatch.setattr(launch, "run_app", lambda args: seen.append((args.path, args.format)) or 0)
    assert main(["--backend", "local", "data/train.csv", "--format", "csv"]) == 0
    assert main([]) == 0
    assert seen == [("data/train.csv", "csv"), (None, None)]


async def test_tunedeck_path_opens_the_file(manager, settings):
    first_frame: list[str] = []

    class Probe(TuneDeckApp):
        CSS_PATH = [str(Path(tui.app.__file__).parent / path) for path in TuneDeckApp.CSS_PATH]  # noqa: RUF012

        def on_ready(self) -> None:  # the first frame is out: what it shows of the file
            first_frame.extend(str(widget.render()) for widget in self.screen.query("#first-rows"))
            super().on_ready()

    app = Probe(settings, manager)
    app.open_on_start = FirstPage(BROKEN)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await until_checked(app, pilot, BROKEN.name)
        assert first_frame and "seven" in first_frame[0] and 'missing "output"' in first_frame[0]
        assert not app.screen.query("#first-rows")  # the table took its place
        table = app.screen.query_one("#example-table")
        assert table.total == 24 and table.has_focus
        assert [table.get_row_at(i)[2] for i in (0, 1)] == ["7", "seven"]
        assert app.screen.query_one("#path").value == "tests/app/data/broken.jsonl"
        assert app.dataset is not None and app.dataset.report.has_errors  # checked, as if opened by hand
        assert app.first_rows_shown.is_set()


async def test_tunedeck_path_to_a_missing_file_says_so(manager, settings, tmp_path):
    app = make_app(settings, manager)
    app.open_on_start = FirstPage(tmp_path / "nowhere.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "no such file" in str(app.screen.query_one("#dataset-summary").render())
        assert app.is_running


async def test_rows_show_before_the_index_is_complete(manager, settings, tmp_path):
    path = big_file(tmp_path)
    seen: list[object] = []

    def hook(message) -> None:
        if isinstance(message, DatasetOpened):
            seen.append(("opened", message.reader.complete, len(message.rows)))
        elif isinstance(message, WorkProgress) and message.stage == "Indexing":
            seen.append(("indexing", message.done, message.total))

    app = make_app(settings, manager)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await settle(app, pilot)
        await open_path(app, pilot, str(path))
        assert seen[0] == ("opened", False, FIRST_ROWS)  # the first rows, with no index yet
        assert any(kind == "indexing" for kind, _, _ in seen[1:])  # reported as it goes (coalesced when busy)
        table = app.screen.query_one("#example-table")
        assert table.total == 60_000 and table.reader.complete
        await pilot.press("end")
        await settle(app, pilot)
        assert table.current_index == 59_999
        assert "what comes after 59999?" in str(app.screen.query_one("#viewer-input").render())
        assert not app.screen.query(".progress-bar")


async def test_end_while_indexing_follows_the_index_to_the_last_example(manager, settings, tmp_path):
    from tui.datasets.reader import open_reader

    path = big_file(tmp_path)
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#example-table")
        reader = open_reader(path)
        table.show(reader, rows=reader.first_rows(WINDOW))
        table.focus()
        await pilot.press("end")  # only the first rows are known
        await pilot.pause()
        assert table.current_index == WINDOW - 1
        reader.build_index()
        table.grow(len(reader))
        await pilot.pause()
        assert table.current_index == 59_999
        await pilot.press("up")
        table.grow(len(reader) + 10)  # as if the index had grown further: the cursor stays
        assert table.current_index == 59_998
