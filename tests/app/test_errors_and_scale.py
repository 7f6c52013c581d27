"""Errors land where the user is (the 403 scopes case explains OAuth user credentials), and
a large file is paged and indexed with progress instead of loaded into the table, and the
progress bar exists only while a file is read."""

from __future__ import annotations

import json

from tests.app.conftest import SIZE, open_form, open_path, settle
from tui.app import make_app
from tui.messages import WorkProgress
from tui.screens.dialogs import ErrorDialog
from tui.widgets.example_table import WINDOW


async def test_launch_denied_for_scopes_explains_oauth(manager, settings, ui_emulator):
    ui_emulator.configure(deny_scopes=True)
    try:
        app = make_app(settings, manager)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await open_form(app, pilot)
            await pilot.press("escape", "ctrl+l")
            await settle(app, pilot)
            assert isinstance(app.screen, ErrorDialog)
            shown = " ".join(str(widget.render()) for widget in app.screen.query("Static"))
            assert "403" in shown or "scopes" in shown
            assert "OAuth" in shown
            await pilot.press("escape")
            await settle(app, pilot)
            assert "Launch failed" in str(app.screen.query_one("#launch-status").render())
            assert manager.jobs == []
            assert app.is_running
    finally:
        ui_emulator.configure(deny_scopes=False)


async def test_large_file_is_paged_with_progress(manager, settings, tmp_path):
    path = tmp_path / "large.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for n in range(40_000):
            out.write(json.dumps({"text_input": f"question: what comes after {n}?", "output": str(n + 1)}) + "\n")
    progress: list[WorkProgress] = []

    def hook(message) -> None:
        if isinstance(message, WorkProgress):
            progress.append(message)

    app = make_app(settings, manager)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await settle(app, pilot)
        await open_path(app, pilot, str(path))
        table = app.screen.query_one("#example-table")
        assert table.total == 40_000
        assert table.row_count <= WINDOW
        assert {message.stage for message in progress} >= {"Indexing", "Checking"}
        assert any(message.total and message.done < message.total for message in progress)
        await pilot.pause()
        assert not app.screen.query(".progress-bar")  # gone when done: an idle bar would keep animating
        assert [w for w in app.screen.walk_children() if w.auto_refresh] == []

        # Jump to the end and step back across a window boundary: rows load as needed.
        table.focus()
        await pilot.press("end")
        await settle(app, pilot)
        assert table.current_index == 39_999 and table.row_count <= WINDOW
        assert "what comes after 39999?" in str(app.screen.query_one("#viewer-input").render())
        first_loaded = table.window_start
        table.go_to(first_loaded)
        await pilot.press("up", "up", "up")
        await settle(app, pilot)
        assert table.current_index == first_loaded - 3
        assert table.window_start < first_loaded and table.row_count <= WINDOW
        assert f"what comes after {first_loaded - 3}?" in str(app.screen.query_one("#viewer-input").render())


async def test_gemini_without_a_key_is_explained_in_the_header(settings):
    from dataclasses import replace

    from tui.config import BackendKind

    settings = replace(settings, backend=BackendKind.GEMINI, api_key=None, local_url=None)
    app = make_app(settings, None)  # the app opens its own manager, after the first frame
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.manager is None
        assert app.sub_title.startswith("✖ not available")
        assert "no API key" in app.sub_title
        notes = [note.message for note in app._notifications]
        assert any("doctor" in note for note in notes)
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("escape", "ctrl+l")
        await settle(app, pilot)
        assert app.is_running


async def test_datasets_screen_at_rest_animates_nothing(manager, settings):
    """No progress bar before a file is read: an idle one animates about 15 times a second."""
    from textual.widgets import ProgressBar

    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.screen.query("#example-table")  # the screen is fully built
        assert not app.screen.query(ProgressBar)
        assert [w for w in app.screen.walk_children() if w.auto_refresh] == []


async def test_a_hidden_screen_stops_blinking_its_cursor(manager, settings):
    """A text cursor left focused on a screen nobody sees must not wake the app twice a second."""
    from textual.widgets import Input

    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await app.run_action("switch_mode('configure')")
        await settle(app, pilot)
        field = app.focused
        assert isinstance(field, Input)
        field.cursor_blink = True  # test mode stills cursors for stable screenshots; a user's blinks
        await app.run_action("switch_mode('monitor')")
        await settle(app, pilot)
        assert field.cursor_blink is False
        await app.run_action("switch_mode('configure')")
        await settle(app, pilot)
        assert app.focused is field and field.cursor_blink is True
