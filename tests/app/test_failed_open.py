"""A failed open (a binary or missing file after a good one) leaves no dataset active: the
panels clear, the summary names the file that failed, and Configure cannot launch on the
file opened before."""

from __future__ import annotations

import pytest

from tests.app.conftest import SIZE, open_path, open_sample, settle
from tui.app import make_app


def text_of(widget) -> str:
    return str(widget.render())


@pytest.mark.parametrize("kind", ["missing", "binary"])
async def test_a_failed_open_clears_the_previous_dataset(manager, settings, tmp_path, kind):
    path = tmp_path / f"{kind}.jsonl"
    if kind == "binary":
        path.write_bytes(bytes(range(256)) * 64)
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await open_sample(app, pilot, "number-increment.jsonl")
        for _ in range(600):  # the index and the lint run in the background after the first rows
            if app.dataset is not None:
                break
            await settle(app, pilot)
        assert app.dataset is not None
        await open_path(app, pilot, str(path))
        screen = app.screen
        assert app.dataset is None
        assert screen.query_one("#example-table").row_count == 0
        assert screen.query_one("#findings-table").row_count == 0
        assert screen.query_one("#dataset-tabs").get_tab("findings").label.plain == "Findings"
        assert "No dataset open." in text_of(screen.query_one("#stats-text"))
        summary = text_of(screen.query_one("#dataset-summary"))
        assert f"Could not open {path.name}" in summary and "No dataset is open" in summary
        assert "number-increment" not in summary
        # Configure follows: no dataset, and launching is refused.
        await pilot.press("2")
        await settle(app, pilot)
        assert "No dataset open" in text_of(app.screen.query_one("#configure-dataset"))
        await pilot.press("escape", "ctrl+l")
        await settle(app, pilot)
        assert "Open a dataset first" in text_of(app.screen.query_one("#launch-status"))
        assert manager.jobs == []
