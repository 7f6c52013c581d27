"""The Monitor's layout at several widths, where its toasts go, and what it sends to the terminal."""

from __future__ import annotations

import pytest
from textual.strip import Strip

from tests.monitor.conftest import app_ready, launch, settle, wait_for
from tui.app import make_app
from tui.widgets.line_diff import changed_runs
from tui.widgets.monitor_job_table import JobTable, fit_columns
from tui.widgets.monitor_summary import JobSummary

OLDEST = "tunedModels/increment-a1b2c3"


def test_columns_fit_the_width_job_names_taking_the_rest():
    keys = lambda width: [key for key, _, _ in fit_columns(width)]  # noqa: E731
    assert keys(59) == ["mark", "job", "state", "progress", "loss", "updated"]
    assert keys(44) == ["mark", "job", "state", "progress", "loss"]  # Updated goes first
    assert keys(30) == ["mark", "job", "state", "loss"]
    assert all(width >= 14 for key, _, width in fit_columns(44) if key == "job")
    assert sum(width + 2 for _, _, width in fit_columns(71)) == 71


@pytest.mark.parametrize(("width", "updated"), [(80, True), (100, False), (120, True), (200, True)])
async def test_the_list_shows_every_column_that_fits(seeded_settings, width, updated, monkeypatch):
    """At 120 and 200 columns (and stacked at 80) every column shows, Updated included; at
    100 Updated gives way and Loss is whole; the list never scrolls sideways."""
    from tui.app import TuneDeckApp

    monkeypatch.setattr(TuneDeckApp, "show_clock", True)  # with clocks: the Updated column
    app = make_app(seeded_settings, None)
    async with app.run_test(size=(width, 36)) as pilot:
        await app_ready(app, pilot)
        await app.open_job(OLDEST)
        await settle(app, pilot)
        table = app.screen.query_one(JobTable)
        labels = [str(column.label) for column in table.columns.values()]
        assert labels[-1] == ("Updated" if updated else "Loss"), labels
        assert table.virtual_size.width <= table.size.width  # no horizontal scrollbar
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        pane = slice(table.region.x, table.region.right)
        rows = lines[table.region.y : table.region.bottom + 2]
        assert any("0.0551" in line[pane] for line in rows)  # a whole loss
        assert not any("▎" in line[pane] for line in rows)


@pytest.mark.parametrize("width", [100, 120])
async def test_toasts_leave_the_summary_readable(seeded_settings, width):
    app = make_app(seeded_settings, None)
    async with app.run_test(size=(width, 36), notifications=True) as pilot:
        await app_ready(app, pilot)
        await app.open_job(OLDEST)
        await settle(app, pilot)
        app.screen.notify("Deleted increment lr 0.003. " * 3)
        await pilot.pause(0.3)
        toasts = list(app.screen.query("Toast"))
        assert toasts
        summary = app.screen.query_one("#summary-scroll").region
        for toast in toasts:
            assert not toast.region.overlaps(summary), (toast.region, summary)


def test_changed_runs_find_each_changed_stretch():
    from rich.segment import Segment

    old = Strip([Segment("latest 0.7157 · lowest 0.3022 · step 30")])
    new = Strip([Segment("latest 0.5606 · lowest 0.3022 · step 31")])
    assert changed_runs(old, new) == [(9, 13), (38, 39)]  # 0.[7157] and the step's last digit
    assert changed_runs(old, old) == []


async def test_the_summary_repaints_only_what_changed(seeded_settings):
    from tests.monitor.conftest import seeded_jobs

    app = make_app(seeded_settings, None)
    async with app.run_test(size=(120, 36)) as pilot:
        await app_ready(app, pilot)
        await app.open_job(OLDEST)
        await settle(app, pilot)
        summary = app.screen.query_one(JobSummary)
        job = seeded_jobs()[0]
        summary.show(job.model_copy(update={"completed_steps": 100}), app.screen.suggestion(job), clock=False)
        assert 0 < summary.repainted_cells <= 3  # "120/120 … (100%)" became "100/120 … (83%)"
        assert "100/120 steps" in str(summary.render())


async def test_selecting_a_job_polls_it_at_once(settings):
    """The selected job's watcher is woken when the Monitor focuses it, and polled at the
    focus pace: here the only polls after the first are the ones focus asks for."""
    from tui.jobs.polling import PollPolicy
    from tui.jobs.service import open_manager

    manager = await open_manager(settings, policy=PollPolicy(fast=3600, slow=3600, focus=3600, discover_every=3600))
    try:
        job = await launch(manager, "focused", epochs=30)
        app = make_app(settings, manager)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: manager.job(job.name).last_polled is not None, what="the first poll")
            sent = manager.requests_sent
            await pilot.press("3")
            await settle(app, pilot)
            assert app.screen.query_one(JobTable).selected_name == job.name
            await wait_for(pilot, lambda: manager.requests_sent > sent, what="a poll of the focused job")
        if not manager.job(job.name).state.finished:
            await manager.cancel(job.name)
    finally:
        await manager.close()


async def test_the_playground_format_warning_stays_visible_under_a_toast(seeded_settings):
    app = make_app(seeded_settings, None)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await app_ready(app, pilot)
        await app.try_model(OLDEST)
        await settle(app, pilot)
        app.screen.notify("This prompt does not follow the training format (see the warnings under it). " * 2)
        await pilot.pause(0.3)
        toasts = list(app.screen.query("Toast"))
        assert toasts
        for widget in ("#prompt", "#prompt-check", "#transcript"):
            region = app.screen.query_one(widget).region
            assert all(not toast.region.overlaps(region) for toast in toasts), (widget, region)


async def test_the_whole_summary_at_80_by_24(seeded_settings):
    """Stacked at 80×24 the summary has a few lines under the chart; `i` gives it the pane
    (the advice and everything under it can be read), and `i` again brings the chart back."""
    app = make_app(seeded_settings, None)
    async with app.run_test(size=(80, 24)) as pilot:
        await app_ready(app, pilot)
        await app.open_job(OLDEST)
        await settle(app, pilot)
        screen = app.screen
        summary, scroll = screen.query_one(JobSummary), screen.query_one("#summary-scroll")
        chart = screen.query_one("#chart")
        shown_before = scroll.region.height
        assert shown_before < summary.virtual_region.height  # cut off under the chart
        await pilot.press("i")
        await settle(app, pilot)
        assert not chart.display and not screen.query_one("#jobs-pane").display
        assert scroll.region.height > 2 * shown_before and app.focused is scroll
        await pilot.press("i")
        await settle(app, pilot)
        assert chart.display and chart.region.height >= 12 and app.focused is screen.query_one(JobTable)
