"""After Enter on a path, the Datasets screen holds its next frame for the file's first rows
(one frame with them, rather than a frame of emptied panels first that would delay them), but
never longer than `ROWS_FRAME_WAIT_S`: a file whose rows are slow still shows, at once after
that wait, that it is being read."""

from __future__ import annotations

import asyncio
import shutil
import threading

from textual.screen import Screen

import tui.datasets.reader as reader
from tests.app.conftest import SIZE, settle, until_checked
from tui.app import make_app
from tui.samples import sample_paths


async def test_a_slow_file_is_shown_being_read_once_the_wait_is_over(manager, settings, tmp_path, monkeypatch):
    path = tmp_path / "slow.jsonl"
    shutil.copy(sample_paths()[0], path)
    gate = threading.Event()
    original = reader.open_reader

    def slow_open(*args, **kwargs):
        gate.wait(30)  # the file's first rows come only when the test says so
        return original(*args, **kwargs)

    monkeypatch.setattr(reader, "open_reader", slow_open)
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "o")
        await settle(app, pilot)
        app.screen.query_one("#path").value = str(path)
        await settle(app, pilot)
        drawn: list[str] = []
        draw = Screen._compositor_refresh

        def counting(screen: Screen) -> None:
            draw(screen)
            drawn.append(str(screen.query_one("#dataset-summary").render()))

        monkeypatch.setattr(Screen, "_compositor_refresh", counting)
        try:
            await pilot.press("enter")
            # Plain sleeps: Pilot.pause would draw the screen itself and hide a screen that never wakes.
            for _ in range(800):
                await asyncio.sleep(0.025)
                if app._batch_count == 0 and drawn:
                    break
            assert app._batch_count == 0, "the frame is held for good"
            assert drawn, "the screen did not draw once the wait was over"
            assert f"Reading {path.name}" in drawn[-1]
        finally:
            gate.set()
        await until_checked(app, pilot, path.name)
        assert app.dataset is not None and app.dataset.path == path
