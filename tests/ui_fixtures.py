"""Fixtures shared by the app and monitor tests: one emulator per module, settings on a
fresh data dir, a real job manager, and an app whose frames are the same on every run.

Each conftest imports the fixtures it uses from here. What varies between runs is pinned
here, not in the product: no clock-based figures, no blinking cursor, no periodic health
check, and the emulator's random port masked in the header.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from pathlib import Path

import pytest

from tui.config import load_settings

REPO = Path(__file__).resolve().parents[1]
SIZE = (120, 36)


@pytest.fixture(scope="module")
def ui_emulator(tmp_path_factory):
    """One emulator per test module; steps are slowed so running jobs can be watched and cancelled."""
    from tui.emulator.process import start_emulator

    emulator = start_emulator(
        tmp_path_factory.mktemp("emulator"), port=0, extra_args=["--step-delay", "0.03", "--trainers", "2"]
    )
    yield emulator
    emulator.stop()


@pytest.fixture(autouse=True)
def steady_app(monkeypatch):
    """Every frame the same on every run: the app's clock figures, blinking cursor and
    health timer off, and the emulator's port masked in the backend label."""
    from tui.app import TuneDeckApp

    monkeypatch.setattr(TuneDeckApp, "show_clock", False)
    monkeypatch.setattr(TuneDeckApp, "cursor_blink", False)
    monkeypatch.setattr(TuneDeckApp, "health_interval", None)
    label = TuneDeckApp.backend_label

    def masked(app: TuneDeckApp) -> str:
        return re.sub(r"(127\.0\.0\.1|localhost):\d+", r"\1:PORT", label.fget(app))

    monkeypatch.setattr(TuneDeckApp, "backend_label", property(masked))


@pytest.fixture
def settings(tmp_path, ui_emulator, monkeypatch):
    """Settings on the module's emulator with a fresh data dir; paths show relative to the repo."""
    monkeypatch.chdir(REPO)
    base = load_settings(env={}, data_dir=tmp_path / "data", config_dir=tmp_path / "config", backend="local")
    return replace(base, local_url=ui_emulator.url, local_api_key=ui_emulator.api_key)


@contextlib.asynccontextmanager
async def fast_manager(settings):
    """A real job manager on `settings`' backend, polling fast; jobs left training are cancelled after."""
    from tui.jobs.polling import PollPolicy
    from tui.jobs.service import open_manager

    manager = await open_manager(settings, policy=PollPolicy(fast=0.2, slow=0.5, discover_every=600))
    try:
        yield manager
    finally:
        for job in manager.jobs:
            if not job.state.finished:
                with contextlib.suppress(Exception):  # best effort: the emulator stops after the module
                    await manager.cancel(job.name)
        await manager.close()


@pytest.fixture
async def manager(settings):
    """A real job manager on the emulator, polling fast."""
    async with fast_manager(settings) as manager:
        yield manager


async def settle(app, pilot) -> None:
    """Let background work finish and the screen catch up."""
    await pilot.pause()
    await app.settle()
    await pilot.pause()
