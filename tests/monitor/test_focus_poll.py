"""The selected job's own poll brings its new points to the chart, on both protocols, with nothing else polling
and no update pass; a job not selected gets no such poll."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.monitor.conftest import SAMPLES, SIZE, settle, wait_for
from tui.app import make_app
from tui.config import BackendKind
from tui.jobs.polling import PollPolicy
from tui.jobs.service import open_manager
from tui.models import Hyperparameters, JobSpec
from tui.screens import monitor
from tui.screens.monitor import MonitorScreen
from tui.widgets.loss_chart import LossChart
from tui.widgets.monitor_job_table import JobTable


@pytest.mark.parametrize("protocol", ["gemini", "vertex"])
async def test_the_focus_poll_alone_draws_the_selected_jobs_new_points(settings, monkeypatch, protocol):
    monkeypatch.setattr(monitor, "UPDATE_S", 3600.0)  # no update pass: only the selected job's news is drawn
    monkeypatch.setattr(monitor, "SETTLE_S", 3600.0)
    if protocol == "vertex":
        settings = replace(settings, backend=BackendKind.VERTEX_LOCAL)
        hyperparameters = Hyperparameters(epoch_count=40, adapter_size=4)
        base = {"base_model": "gemini-2.5-flash"}
    else:
        hyperparameters, base = Hyperparameters(epoch_count=40, batch_size=4), {}
    # Unselected jobs are polled once an hour: every later poll is the focus poll's.
    manager = await open_manager(settings, policy=PollPolicy(fast=3600, slow=3600, focus=0.3, discover_every=3600))
    try:
        other = await manager.launch(JobSpec(display_name="other", hyperparameters=hyperparameters, **base),
                                     SAMPLES / "number-increment.jsonl")
        job = await manager.launch(JobSpec(display_name="selected", hyperparameters=hyperparameters, **base),
                                   SAMPLES / "number-increment.jsonl")
        app = make_app(settings, manager)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("3")
            await settle(app, pilot)
            screen = app.screen
            assert isinstance(screen, MonitorScreen)
            chart = screen.query_one(LossChart)
            assert screen.query_one(JobTable).selected_name == job.name
            other_polled = manager.job(other.name).last_polled
            await wait_for(pilot, lambda: chart.series and len(chart.series[0]) >= 2, what="the first points")
            drawn = len(chart.series[0])
            await wait_for(pilot, lambda: len(chart.series[0]) > drawn + 2, what="more points from the focus poll")
            assert len(chart.series[0]) <= len(manager.job(job.name).loss_curve)
            assert chart.series[0].job == job.name
            assert manager.job(other.name).last_polled == other_polled  # the other job was not polled meanwhile
        for name in (job.name, other.name):
            if not manager.job(name).state.finished:
                await manager.cancel(name)
    finally:
        await manager.close()
