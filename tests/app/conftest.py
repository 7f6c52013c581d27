"""Fixtures for the app tests: a real emulator on a loopback port, a real job manager on
it, and settings in test mode (no clocks, no blinking cursor) with a fresh data dir."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tui.config import load_settings

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
SIZE = (120, 36)


@pytest.fixture(scope="module")
def app_emulator(tmp_path_factory):
    """One emulator per test module; training is slowed a little so jobs are seen running."""
    from tui.emulator.process import start_emulator

    emulator = start_emulator(
        tmp_path_factory.mktemp("emulator"), port=0, extra_args=["--step-delay", "0.02"]
    )
    yield emulator
    emulator.stop()


@pytest.fixture
def app_settings(tmp_path, app_emulator, monkeypatch):
    """Test-mode settings on the module's emulator; paths are shown relative to the repo."""
    monkeypatch.chdir(REPO)
    settings = load_settings(env={}, data_dir=tmp_path / "data", config_dir=tmp_path / "config")
    return replace(settings, local_url=app_emulator.url, local_api_key=app_emulator.api_key, test_mode=True)


@pytest.fixture
async def manager(app_settings):
    from tui.jobs.service import open_manager

    manager = await open_manager(app_settings)
    yield manager
    await manager.close()


async def settle(app, pilot) -> None:
    """Let background work finish and the screen catch up."""
    await pilot.pause()
    await app.settle()
    await pilot.pause()


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


async def open_form(app, pilot, sample: str = "number-increment.jsonl") -> None:
    """Open a shipped sample, then the job form (Configure) for it."""
    await open_sample(app, pilot, sample)
    await pilot.press("2")
    await settle(app, pilot)


async def open_path(app, pilot, path: str) -> None:
    """Type a path into the path input and press Enter."""
    await pilot.press("1", "o")
    app.screen.query_one("#path").value = ""
    await pilot.press(*path, "enter")
    await settle(app, pilot)
