"""Monitor flows on the real app, manager and emulator: live curve, toggles, compare, actions."""

from __future__ import annotations

import asyncio
import csv
import itertools

from tests.monitor.conftest import SIZE, finished, launch, settle, wait_for
from tui.app import make_app
from tui.jobs.curve import suggest_epochs
from tui.models import JobState
from tui.screens.compare import CompareScreen
from tui.screens.dialogs import ConfirmDialog
from tui.screens.monitor import MonitorScreen
from tui.widgets.loss_chart import LossChart
from tui.widgets.monitor_job_table import JobTable


async def open_monitor(app, pilot) -> MonitorScreen:
    await pilot.press("3")
    await settle(app, pilot)
    assert isinstance(app.screen, MonitorScreen)
    return app.screen


async def test_watch_a_curve_grow_to_active(settings, manager):
    job = await launch(manager, "grows", epochs=12)  # about 7 s of training: the curve is redrawn every 5 s
    app = make_app(settings, manager)
    notes = []
    async with app.run_test(size=SIZE, message_hook=None) as pilot:
        app.notify = lambda message, **kw: notes.append((message, kw))  # record what the user is told
        screen = await open_monitor(app, pilot)
        chart = screen.query_one(LossChart)
        await wait_for(pilot, lambda: chart.series and len(chart.series[0]) >= 3, what="the first loss points")
        early = len(chart.series[0])
        await wait_for(pilot, lambda: manager.job(job.name).state is JobState.ACTIVE, timeout=60, what="ACTIVE")
        await settle(app, pilot)
        final = manager.job(job.name)
        assert len(chart.series[0]) == len(final.loss_curve) == final.total_steps > early
        table = screen.query_one(JobTable)
        assert str(table.get_cell(job.name, "state")) == "ACTIVE"
        assert table.get_cell(job.name, "progress") == "100%"
        # Announced once, by the app: the monitor does not repeat it.
        assert [message for message, _ in notes if "grows finished" in message] == [
            "grows finished: the tuned model is ready. Try it in the Playground (4)."
        ]
        summary = str(screen.query_one("#summary").render())
        assert "ACTIVE" in summary and f"{final.total_steps}/{final.total_steps} steps" in summary
        assert "Advice" in summary


async def test_progress_is_applied_at_most_once_per_update_pass(settings, manager, monkeypatch):
    """News arrives with every poll (here every 0.2 s); the list, summary and curve take in
    the jobs not selected in one pass per UPDATE_S, the first soon after the screen opens."""
    from time import monotonic

    from tui.screens import monitor

    monkeypatch.setattr(monitor, "UPDATE_S", 1.0)
    job = await launch(manager, "paced", epochs=20)
    watched = await launch(manager, "watched", epochs=60)  # the newest: selected, shown as news comes
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_monitor(app, pilot)
        assert screen.query_one(JobTable).selected_name == watched.name
        passes, apply = [], screen._flush

        def flush() -> None:
            if job.name in screen._dirty and not manager.job(job.name).state.finished:
                passes.append(monotonic())
            apply()

        screen._flush = flush
        opened = monotonic()
        await wait_for(pilot, lambda: manager.job(job.name).state is JobState.ACTIVE, timeout=60, what="ACTIVE")
    assert len(passes) >= 3
    assert passes[0] - opened < 1.0 + monitor.SETTLE_S + 1.0  # the first pass soon after opening
    gaps = [later - earlier for earlier, later in itertools.pairwise(passes)]
    assert min(gaps) >= 0.95, gaps


async def test_the_selected_jobs_news_shows_at_once(settings, monkeypatch):
    """The selected job's new points are on screen one message pass after the poll that
    brought them; its summary and the list's rows wait for the update pass."""
    from tui.jobs.polling import PollPolicy
    from tui.jobs.service import open_manager
    from tui.screens import monitor
    from tui.screens.monitor_format import loss_text

    monkeypatch.setattr(monitor, "UPDATE_S", 3600.0)
    monkeypatch.setattr(monitor, "SETTLE_S", 3600.0)
    # Nothing polls by itself: every poll after the first is the test's.
    manager = await open_manager(settings, policy=PollPolicy(fast=3600, slow=3600, focus=3600, discover_every=3600))

    async def news(name: str) -> None:
        """Poll until the job has new loss points."""
        before = len(manager.job(name).loss_curve)
        while True:
            await manager.refresh(name)
            if len(manager.job(name).loss_curve) > before:
                return
            await asyncio.sleep(0.05)

    try:
        other = await launch(manager, "other", epochs=30)
        job = await launch(manager, "selected", epochs=30)
        app = make_app(settings, manager)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_monitor(app, pilot)
            table, chart = screen.query_one(JobTable), screen.query_one(LossChart)
            assert table.selected_name == job.name
            rows = {name: table.get_row(name) for name in (job.name, other.name)}
            summary = str(screen.query_one("#summary").render())
            try:
                for _ in range(2):  # twice: the second news finds the curve already drawn
                    await news(other.name)
                    await news(job.name)
                    await pilot.pause()
                    await pilot.pause()
                    assert len(chart.series[0]) == len(manager.job(job.name).loss_curve)
                    assert {name: table.get_row(name) for name in rows} == rows  # the rows wait
                    assert str(screen.query_one("#summary").render()) == summary  # and so does the summary
                screen._flush()  # the update pass
                await pilot.pause()
                now = manager.job(job.name)
                assert f"{now.completed_steps}/{now.total_steps} steps" in str(screen.query_one("#summary").render())
                for name in rows:
                    assert table.get_cell(name, "loss") == loss_text(manager.job(name).latest_loss)
            finally:  # the jobs must not finish during the next tests
                for name in rows:
                    if not manager.job(name).state.finished:
                        await manager.cancel(name)
    finally:
        await manager.close()


async def test_a_job_finishing_elsewhere_is_announced_with_the_bell(settings, manager):
    """The notice comes from the app: the Monitor need never have been opened."""
    from dataclasses import replace

    app = make_app(replace(settings, bell=True), manager)
    bells = []
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.bell = lambda: bells.append(app.screen.__class__.__name__)
        await settle(app, pilot)
        assert app.screen.__class__.__name__ == "DatasetsScreen"
        # Launched once the app listens: a job that had finished before would not be news.
        job = await launch(manager, "elsewhere", epochs=2)
        await wait_for(pilot, lambda: manager.job(job.name).state is JobState.ACTIVE, timeout=60, what="ACTIVE")
        await wait_for(pilot, lambda: app._notifications, what="the notification")
        await settle(app, pilot)
        notes = [(note.title, note.message, note.severity) for note in app._notifications]
        message = "elsewhere finished: the tuned model is ready. Try it in the Playground (4)."
        assert notes == [("Job finished", message, "information")]
        assert bells == ["DatasetsScreen"]
        toasts = [str(toast.render()) for toast in app.screen.query("Toast")]
        assert len(toasts) == 1 and "elsewhere finished" in toasts[0]  # shown over the Datasets screen
        assert "monitor" not in app._screen_stacks or not app._screen_stacks.get("monitor")


async def test_keys_reach_the_monitor_before_any_job_exists(settings, manager):
    """An empty job list still takes the focus: the hidden filter must not swallow the keys."""
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_monitor(app, pilot)
        assert isinstance(app.focused, JobTable)
        await pilot.press("s")
        await settle(app, pilot)
        assert screen.query_one(LossChart).view.smoothing
        assert screen.query_one("#job-filter").value == ""


async def test_toggles_replot_and_say_what_they_show(settings, manager):
    job = await finished(manager, (await launch(manager, "toggles")).name)
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_monitor(app, pilot)
        screen.select_job(job.name)
        await settle(app, pilot)
        chart = screen.query_one(LossChart)
        builds = chart.builds
        await pilot.press("s")
        await settle(app, pilot)
        assert chart.view.smoothing and chart.builds == builds + 1
        assert "loss (smoothed)" in chart.render().plain
        await pilot.press("l")
        await settle(app, pilot)
        assert chart.view.log_scale and chart.builds == builds + 2
        await pilot.press("z")
        await settle(app, pilot)
        assert chart.view.recent_steps == max(10, len(job.loss_curve) // 2)
        assert f"last {chart.view.recent_steps} steps" in chart.render().plain
        await pilot.press("s", "l", "z", "z", "z")
        await settle(app, pilot)
        assert chart.view.smoothing is False and chart.view.log_scale is False and chart.view.recent_steps is None


async def test_compare_two_jobs(settings, manager):
    first = await launch(manager, "compare a", epochs=2)
    second = await launch(manager, "compare b", epochs=3, batch=8)
    await finished(manager, first.name)
    await finished(manager, second.name)
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_monitor(app, pilot)
        await pilot.press("c")  # nothing marked yet: a hint, no screen
        await settle(app, pilot)
        assert app.screen is screen
        screen.select_job(first.name)
        await pilot.press("space")
        screen.select_job(second.name)
        await pilot.press("space", "c")
        await settle(app, pilot)
        assert isinstance(app.screen, CompareScreen)
        chart = app.screen.query_one(LossChart)
        assert [c.label for c in chart.series] == ["compare a", "compare b"]
        table = app.screen.query_one("#compare-table")
        assert table.row_count == 2
        row = table.get_row(second.name)
        assert row[0] == "compare b" and row[2] == "3" and row[3] == "8"
        assert "compare a" in chart.render().plain  # the legend names each job
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is screen


async def test_cancel_asks_with_the_guides_warning(settings, manager):
    job = await launch(manager, "to cancel", epochs=40)
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_monitor(app, pilot)
        screen.select_job(job.name)
        await wait_for(pilot, lambda: manager.job(job.name).completed_steps > 0, what="training to start")
        await pilot.press("x")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "unpredictable" in text and "fewer epochs" in text
        await pilot.press("n")  # changed my mind
        await settle(app, pilot)
        assert not manager.job(job.name).state.finished
        await pilot.press("x")
        await settle(app, pilot)
        await pilot.press("y")
        await wait_for(pilot, lambda: manager.job(job.name).state is JobState.CANCELLED, what="CANCELLED")
        await settle(app, pilot)
        assert str(screen.query_one(JobTable).get_cell(job.name, "state")) == "CANCELLED"
        assert "unpredictable" in str(screen.query_one("#summary").render())


async def test_relaunch_prefills_the_form_with_the_suggested_epochs(settings, manager):
    job = await finished(manager, (await launch(manager, "relaunch me", epochs=5)).name)
    suggestion = suggest_epochs(job.loss_curve, job.hyperparameters.epoch_count)
    expected = suggestion.epochs or job.hyperparameters.epoch_count
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_monitor(app, pilot)
        screen.select_job(job.name)
        await pilot.press("r")
        await settle(app, pilot)
        assert app.current_mode == "configure"
        assert app.screen.query_one("#epochs").value == str(expected)
        assert app.screen.query_one("#display_name").value == "relaunch me-2"  # the relaunch gets a name of its own


async def test_delete_export_and_filter(settings, manager, tmp_path):
    keep = await finished(manager, (await launch(manager, "keep me")).name)
    drop = await finished(manager, (await launch(manager, "drop me")).name)
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_monitor(app, pilot)
        table = screen.query_one(JobTable)
        await pilot.press("slash", *"keep")
        await settle(app, pilot)
        assert [job.name for job in table.matching] == [keep.name]
        await pilot.press("escape")
        await settle(app, pilot)
        assert table.row_count == len(manager.jobs)

        screen.select_job(keep.name)
        await pilot.press("e")
        await settle(app, pilot)
        exported = settings.data_dir / "exports" / f"{keep.id}-snapshots.csv"
        rows = list(csv.reader(exported.open(encoding="utf-8")))
        assert rows[0] == ["step", "epoch", "mean_loss", "compute_time"]
        assert [int(r[0]) for r in rows[1:]] == [s.step for s in keep.loss_curve]
        assert float(rows[-1][2]) == keep.loss_curve[-1].value

        screen.select_job(drop.name)
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await wait_for(pilot, lambda: manager.job(drop.name) is None, what="the delete")
        await settle(app, pilot)
        assert drop.name not in table.rows and keep.name in table.rows
