"""Opening a file from the directory browser, and every built-in theme rendering the
Datasets screen (styles use theme variables only)."""

from __future__ import annotations

from tests.app.conftest import SIZE, open_sample, settle, until_checked
from tui.app import make_app
from tui.screens.dialogs import OpenFileDialog


async def test_browse_opens_the_picked_file(manager, settings, tmp_path):
    folder = tmp_path / "datasets"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a dataset", encoding="utf-8")
    lines = [f'{{"text_input": "{n}", "output": "{n + 1}"}}' for n in range(25)]
    (folder / "picked.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#path").value = str(folder)
        app.screen.query_one("#example-table").focus()
        await pilot.press("b")
        await settle(app, pilot)
        assert isinstance(app.screen, OpenFileDialog)
        tree = app.screen.query_one("#browser-tree")
        await pilot.pause(0.3)  # the tree lists the folder in a worker
        await settle(app, pilot)
        shown = [str(child.label) for child in tree.root.children]
        assert shown == ["picked.jsonl"]  # only dataset files (and folders) are offered
        tree.move_cursor(tree.root.children[0])
        await pilot.press("enter")
        await until_checked(app, pilot, "picked.jsonl")  # the index and the lint start a moment after the rows
        assert app.dataset is not None and app.dataset.path.name == "picked.jsonl"
        assert app.screen.query_one("#example-table").total == 25


async def test_every_builtin_theme_renders_the_datasets_screen(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_sample(app, pilot, "classification.jsonl")
        themes = sorted(app.available_themes)
        assert len(themes) > 5
        for theme in themes:
            app.theme = theme
            await pilot.pause()
            assert app.theme == theme
            assert "classification.jsonl" in app.export_screenshot()
