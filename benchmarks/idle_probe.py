"""The child side of `bench_chart.py --idle`: one process measuring its own CPU while jobs train.

Each run is a fresh process: a bare Textual app, a job manager alone, or the app on the
Monitor (with or without jobs of its own), on a local emulator that speaks the Gemini or
the Vertex AI protocol. Besides this process's CPU time over the window it reports the
emulator's (server and trainer processes, read from /proc), the requests the manager sent,
and, with the app, how late the selected job's new points reached the chart: the time the
chart drew a point minus the time the emulator's trainer stamped it.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TERMINAL = (140, 45)  # the idle runs' terminal size
SAMPLE = ROOT / "tui" / "samples" / "number-increment.jsonl"
CLOCK_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its live descendants (with the exited children it waited for); 0 off Linux."""
    try:
        stats = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    text = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                fields = text.rsplit(")", 1)[1].split()
                stats[int(entry)] = (int(fields[1]), sum(int(v) for v in fields[11:15]))  # ppid; u,s,cu,cs time
    except OSError:
        return 0.0
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        if current in stats:
            total += stats[current][1]
        todo += [child for child, (parent, _) in stats.items() if parent == current]
    return total / CLOCK_TICK


class LatencyProbe:
    """Wraps `LossChart.show`/`render_line`: for each new point of the chart's job, the time
    from the trainer stamping it to the chart drawing it (at once when the new point changes
    no cell, else at the next paint of the chart)."""

    def __init__(self, manager: Any, curve: str) -> None:
        from tui.widgets.loss_chart import LossChart

        self.manager, self.curve = manager, curve
        self.on = False
        self.latencies: list[float] = []
        self._last: tuple[str, int] | None = None
        self._pending: list[datetime] = []
        probe, show, render_line = self, LossChart.show, LossChart.render_line

        def traced_show(chart: Any, series: Any, *args: Any, **kwargs: Any) -> None:
            repaints = chart.repaints
            show(chart, series, *args, **kwargs)
            probe.shown(series, chart.repaints != repaints)

        def traced_render_line(chart: Any, y: int) -> Any:
            if probe._pending:
                probe.drawn(probe._pending)
                probe._pending = []
            return render_line(chart, y)

        LossChart.show = traced_show  # type: ignore[method-assign]
        LossChart.render_line = traced_render_line  # type: ignore[method-assign]

    def shown(self, series: Any, repainting: bool) -> None:
        if not series or not len(series[0]) or not series[0].job:
            return
        name, step = series[0].job, int(series[0].steps[-1])
        last, self._last = self._last, (name, step)
        if last is None or last[0] != name or step <= last[1] or not self.on:
            return
        job = self.manager.job(name)
        times = [p.time for p in (job.curve(self.curve) if job else []) if last[1] < p.step <= step and p.time]
        if repainting:
            self._pending += times
        else:
            self.drawn(times)

    def drawn(self, stamps: list[datetime]) -> None:
        if self.on:
            now = datetime.now(UTC)
            self.latencies += [(now - stamp).total_seconds() for stamp in stamps]


def trace_refreshes():
    """A diagnosis aid, written to DATA_DIR/trace.txt: with TUNEDECK_BENCH_TRACE=1 the refreshes, line renders,
    messages and dirty regions of the window; =2 also where each refresh came from; =4 the CPU time spent in
    the compositor, the Monitor's update paths, the chart and the manager's merge instead."""
    import collections

    from textual.message_pump import MessagePump
    from textual.widget import Widget

    counts: collections.Counter = collections.Counter()
    refresh, render_lines, dispatch = Widget.refresh, Widget.render_lines, MessagePump._dispatch_message

    import traceback as tb

    from textual._compositor import Compositor

    partial = Compositor.render_partial_update

    def counted_partial(self):
        counts[f"dirty {sorted(self._dirty_regions)}"] += 1
        return partial(self)

    Compositor.render_partial_update = counted_partial

    def counted_refresh(self, *args, **kwargs):
        counts[f"refresh {type(self).__name__}#{self.id} layout={kwargs.get('layout', False)}"] += 1
        if os.environ.get("TUNEDECK_BENCH_TRACE") == "2":
            where = " < ".join(f"{f.name}:{f.lineno}" for f in tb.extract_stack(limit=6)[:-1][::-1])
            counts[f"  {type(self).__name__} from {where}"] += 1
        return refresh(self, *args, **kwargs)

    def counted_render_lines(self, crop):
        counts[f"render_lines {type(self).__name__}#{self.id}"] += 1
        return render_lines(self, crop)

    async def counted_dispatch(self, message):
        counts[f"message {type(message).__name__} -> {type(self).__name__}"] += 1
        return await dispatch(self, message)

    if os.environ.get("TUNEDECK_BENCH_TRACE") == "5":  # cProfile of the frames and the selected job's updates
        from textual.screen import Screen

        from tui.screens.monitor import MonitorScreen

        profiler = cProfile.Profile()
        counts["profiler"] = 0
        counts.profiler = profiler  # type: ignore[attr-defined]
        for owner, name in ((Screen, "_compositor_refresh"), (MonitorScreen, "_apply_selected")):
            original = getattr(owner, name)

            def wrapper(*args, __original=original, **kwargs):
                profiler.enable()
                try:
                    return __original(*args, **kwargs)
                finally:
                    profiler.disable()

            setattr(owner, name, wrapper)
        return counts
    if os.environ.get("TUNEDECK_BENCH_TRACE") == "4":  # CPU time spent in a few places instead of counts
        from textual.screen import Screen

        from tui.jobs.manager import JobManager
        from tui.screens.monitor import MonitorScreen
        from tui.widgets.loss_chart import LossChart

        def timed(owner, name):
            original = getattr(owner, name)
            if asyncio.iscoroutinefunction(original):
                async def wrapper(*args, **kwargs):
                    start = time.thread_time()
                    try:
                        return await original(*args, **kwargs)
                    finally:
                        counts[f"cpu_us {owner.__name__}.{name}"] += int(1e6 * (time.thread_time() - start))
            else:
                def wrapper(*args, **kwargs):
                    start = time.thread_time()
                    try:
                        return original(*args, **kwargs)
                    finally:
                        counts[f"cpu_us {owner.__name__}.{name}"] += int(1e6 * (time.thread_time() - start))
                        counts[f"calls {owner.__name__}.{name}"] += 1
            setattr(owner, name, wrapper)

        for owner, name in ((Screen, "_compositor_refresh"), (MonitorScreen, "_apply_selected"),
                            (MonitorScreen, "_flush"), (MonitorScreen, "_on_job_event"), (LossChart, "show"),
                            (JobManager, "_merge"), (Screen, "_refresh_layout")):
            timed(owner, name)
        original_poll = JobManager._poll

        async def timed_poll(self, name, *args, **kwargs):  # thread time across awaits includes other tasks: count
            counts["calls JobManager._poll"] += 1
            return await original_poll(self, name, *args, **kwargs)

        JobManager._poll = timed_poll
        return counts
    Widget.refresh = counted_refresh
    Widget.render_lines = counted_render_lines
    MessagePump._dispatch_message = counted_dispatch
    return counts


async def bare_child(window: float, headless: bool) -> dict:
    """A one-Static Textual app at rest, the floor any Textual app pays."""
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("bare")

    app = Bare()
    runner = asyncio.create_task(app.run_async(headless=headless, size=TERMINAL if headless else None))
    await asyncio.sleep(3.0)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(window)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    app.exit()
    await runner
    return {"cpu_percent": 100 * cpu / wall}


async def open_bench_manager(url: str, data_dir: Path, protocol: str):
    from tui.config import load_settings
    from tui.emulator.keyfile import read_key
    from tui.jobs.polling import APP_POLICY
    from tui.jobs.service import open_manager

    key = read_key(data_dir.parent / "emulator")  # the emulator the parent started, next to this data dir
    backend = "vertex-local" if protocol == "vertex" else "local"
    base = load_settings(env={}, data_dir=data_dir, config_dir=data_dir / "config", backend=backend)
    settings = replace(base, local_url=url, local_api_key=key)
    return settings, await open_manager(settings, policy=APP_POLICY)  # polled as the app polls


async def launch(manager: Any, protocol: str, count: int) -> None:
    from tui.models import Hyperparameters, JobSpec

    # Long enough to train through the warm-up and the window at the emulator's pace.
    hyperparameters = (
        Hyperparameters(epoch_count=50, adapter_size=4) if protocol == "vertex"
        else Hyperparameters(epoch_count=50, batch_size=4)
    )
    for index in range(count):
        spec = JobSpec(display_name=f"bench {index}", hyperparameters=hyperparameters)
        if protocol == "vertex":
            spec = spec.model_copy(update={"base_model": "gemini-2.5-flash"})
        await manager.launch(spec, SAMPLE)


async def idle_child(url: str, data_dir: str, window: float, jobs: int, with_app: bool, headless: bool,
                     protocol: str, emulator_pid: int, profile: str | None = None) -> dict:
    """Manager (+ app on the Monitor) with `jobs` jobs training; CPU over the window.

    The app runs in the terminal it was started in (a tmux pane), so the cost of turning
    each update into terminal output and writing it is counted; headless only without tmux.
    """
    from tui.jobs.polling import DISPLAY_INTERVAL_S
    from tui.models import TRAIN_LOSS

    settings, manager = await open_bench_manager(url, Path(data_dir), protocol)
    await launch(manager, protocol, jobs)
    app, probe = None, None
    if with_app:
        from tui.app import make_app
        from tui.launch import set_aside_long_lived

        probe = LatencyProbe(manager, TRAIN_LOSS)
        app = make_app(settings, manager)
        set_aside_long_lived(app)  # as `tunedeck` does
        runner = asyncio.create_task(app.run_async(headless=headless, size=TERMINAL if headless else None))
        await asyncio.sleep(1.0)
        app.call_later(app.switch_mode, "monitor")
    # Warm up past the first polls, the monitor's first paint and its first update pass
    # (progress is applied every DISPLAY_INTERVAL_S): the window measures the steady state.
    await asyncio.sleep(4.0 + (DISPLAY_INTERVAL_S if with_app else 0.0))
    if app is not None:
        assert type(app.screen).__name__ == "MonitorScreen", app.screen
    chart = app.screen.query_one("#chart") if app is not None else None
    trained_before = sum(job.completed_steps for job in manager.jobs)
    counters0 = (manager.requests_sent, chart.repaints if chart else 0, chart.builds if chart else 0)
    profiler = cProfile.Profile() if profile else None
    traced = trace_refreshes() if os.environ.get("TUNEDECK_BENCH_TRACE") else None
    if probe is not None:
        probe.on = True
    emulator0 = tree_cpu(emulator_pid)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    await asyncio.sleep(window)
    if profiler is not None:
        profiler.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    emulator = tree_cpu(emulator_pid) - emulator0
    if probe is not None:
        probe.on = False
    trained = sum(job.completed_steps for job in manager.jobs) - trained_before
    training = sum(1 for job in manager.jobs if not job.state.finished)
    counters = (manager.requests_sent, chart.repaints if chart else 0, chart.builds if chart else 0)
    if traced is not None and hasattr(traced, "profiler"):
        traced.profiler.dump_stats(str(Path(data_dir, "trace.prof")))
    if traced is not None:
        Path(data_dir, "trace.txt").write_text("\n".join(f"{v:6d} {k}" for k, v in traced.most_common()))
    if profiler is not None and profile:
        stats = pstats.Stats(profiler)
        stats.dump_stats(profile)
    if app is not None:
        app.exit()
        await runner
    for job in manager.jobs:
        if not job.state.finished:
            await manager.cancel(job.name)
    await manager.close()
    return {
        "cpu_percent": 100 * cpu / wall,
        "emulator_cpu_percent": 100 * emulator / wall,
        "steps_seen": trained,
        "jobs_training": training,
        "requests_per_s": (counters[0] - counters0[0]) / wall,
        "chart_repaints": counters[1] - counters0[1],
        "chart_builds": counters[2] - counters0[2],
        "latencies": probe.latencies if probe is not None else [],
    }
