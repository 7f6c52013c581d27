"""SVG snapshots of the monitor, compare view, playground and model library.

The app opens its own job manager on an emulator, over a history seeded with finished
jobs whose curves, times and fingerprints are fixed, so every picture is the same on
every run. Update with `pytest tests/monitor/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from datetime import timedelta

from tests.monitor.conftest import SIZE, T0, app_ready, settle
from tui.app import make_app
from tui.jobs.playground_history import Exchange, PlaygroundHistory

NEWEST, MIDDLE, OLDEST = "tunedModels/increment-g7h8i9", "tunedModels/increment-d4e5f6", "tunedModels/increment-a1b2c3"


def monitor_on(name: str, *keys: str):
    async def run_before(pilot) -> None:
        app = pilot.app
        await app_ready(app, pilot)
        await app.open_job(name)
        await settle(app, pilot)
        if keys:
            await pilot.press(*keys)
            await settle(app, pilot)

    return run_before


def test_monitor_finished_curve(snap_compare, seeded_settings):
    """A finished job: curve with epoch boundaries, the suggested epoch marked, summary and advice."""
    assert snap_compare(make_app(seeded_settings, None), terminal_size=SIZE, run_before=monitor_on(OLDEST))


def test_monitor_smoothed_log_zoomed(snap_compare, seeded_settings):
    """Smoothing, log scale and zoom to the last half of the steps."""
    app = make_app(seeded_settings, None)
    assert snap_compare(app, terminal_size=SIZE, run_before=monitor_on(OLDEST, "s", "l", "z"))


def test_compare_view(snap_compare, seeded_settings):
    """Two jobs marked and compared: overlaid curves and a table of settings and losses."""

    async def run_before(pilot) -> None:
        app = pilot.app
        await monitor_on(OLDEST)(pilot)
        await pilot.press("space")
        app.screen.select_job(MIDDLE)
        await pilot.press("space", "c")
        await settle(app, pilot)

    assert snap_compare(make_app(seeded_settings, None), terminal_size=SIZE, run_before=run_before)


def test_delete_confirmation(snap_compare, seeded_settings):
    """Delete asks first."""
    assert snap_compare(make_app(seeded_settings, None), terminal_size=SIZE, run_before=monitor_on(MIDDLE, "d"))


def test_monitor_empty(snap_compare, settings):
    """No jobs yet: the list says how to start one, the chart says why it is empty."""
    assert snap_compare(make_app(settings, None), terminal_size=SIZE, run_before=monitor_on("tunedModels/none"))


def test_playground_with_history(snap_compare, seeded_settings):
    """The playground on a tuned model with two earlier prompts and a prompt being typed."""
    history = PlaygroundHistory(seeded_settings.data_dir / "playground.sqlite3")
    history.add(Exchange(OLDEST, "41", "42", 0.2, None, T0 + timedelta(hours=3)))
    history.add(Exchange(OLDEST, "999", "1000", None, 16, T0 + timedelta(hours=3, minutes=1)))

    async def run_before(pilot) -> None:
        app = pilot.app
        await app_ready(app, pilot)
        await app.try_model(OLDEST)
        await settle(app, pilot)
        await pilot.pause(0.2)
        await pilot.press(*"1233")
        await pilot.pause(0.4)
        await settle(app, pilot)

    assert snap_compare(make_app(seeded_settings, None), terminal_size=SIZE, run_before=run_before)


def test_models_library(snap_compare, seeded_settings):
    """Tuned models with state, base model, created time and where they were launched."""

    async def run_before(pilot) -> None:
        await app_ready(pilot.app, pilot)
        await pilot.press("5")
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(seeded_settings, None), terminal_size=SIZE, run_before=run_before)


def test_rename_dialog(snap_compare, seeded_settings):
    """Rename asks for the new display name."""

    async def run_before(pilot) -> None:
        await app_ready(pilot.app, pilot)
        await pilot.press("5", "n")
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(seeded_settings, None), terminal_size=SIZE, run_before=run_before)
