"""Fixtures for the app tests: the shared UI fixtures (tests/ui_fixtures.py) and helpers
that drive the Datasets and Configure screens."""

from __future__ import annotations

from pathlib import Path

from tests.ui_fixtures import REPO, SIZE, manager, settings, settle, steady_app, ui_emulator

__all__ = ["REPO", "SIZE", "manager", "settings", "settle", "steady_app", "ui_emulator"]

DATA = Path(__file__).resolve().parent / "data"


async def open_sample(app, pilot, name: str) -> None:
    """Pick a shipped sample by file name in the Samples list and wait until it is checked."""
    await pilot.press("1")
    await settle(app, pilot)
    samples = app.screen.query_one("#samples")
    names = [samples.get_option_at_index(i).prompt for i in range(samples.option_count)]
    samples.focus()
    samples.highlighted = names.index(name)
    await pilot.press("enter")
    await settle(app, pilot)
    await until_checked(app, pilot, name)


async def open_form(app, pilot, sample: str = "number-increment.jsonl") -> None:
    """Open a shipped sample, then the job form (Configure) for it."""
    await open_sample(app, pilot, sample)
    await pilot.press("2")
    await settle(app, pilot)


async def open_path(app, pilot, path: str) -> None:
    """Type a path into the path input and press Enter; wait until the file is checked (or refused)."""
    await pilot.press("1", "o")
    app.screen.query_one("#path").value = ""
    await pilot.press(*path, "enter")
    await settle(app, pilot)
    await until_checked(app, pilot, Path(path).name)


async def until_checked(app, pilot, name: str) -> None:
    """The index and the lint start a moment after the first rows: wait until they have checked
    the file named `name`, or the open failed."""
    for _ in range(600):
        if app.dataset is not None and app.dataset.path.name == name:
            return
        if "Could not open" in str(app.screen.query_one("#dataset-summary").render()):
            return
        await settle(app, pilot)
