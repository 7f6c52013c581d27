"""Cost of the monitor: loss-chart render time and the app's idle CPU while jobs train.

    .venv/bin/python benchmarks/bench_chart.py            # both parts
    .venv/bin/python benchmarks/bench_chart.py --render   # chart only (no emulator)

Render: `LossChart` rebuilds its plot and its lines (through Textual's styling) for 1k,
10k and 100k snapshots at 120x34 cells, against a baseline in the same run that hands
plotext every point (no downsampling).
A repaint with nothing changed must reuse the last frame.

Idle CPU: each run is a child process measuring its own CPU time over a window. First a
bare one-Static Textual app at rest (the floor any Textual app pays in a terminal: its
input thread wakes ten times a second). Then, on a local emulator with slow steps (so jobs
keep training): a job manager with 5 jobs launched, alone (baseline); the app on the
Monitor with no jobs launched (it lists the first run's jobs, cancelled, found on the
backend); the app on the Monitor with 5 jobs training besides those. Each window starts
after a warm-up past the monitor's first update pass. The manager polls as the app's does
(a training job every 5 s). The app runs in a tmux pane of 140x45 cells, a real terminal,
so turning each update into terminal output is counted (headless only without tmux).
Targets: render <= 15 ms at 100k snapshots; idle CPU <= 1 % of a core with 5 jobs training.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = (1_000, 10_000, 100_000)
CHART_SIZE = (120, 34)
REPEATS = 15
TERMINAL = (140, 45)  # the idle runs' terminal size
RENDER_TARGET_MS = 15.0
IDLE_TARGET_PERCENT = 1.0


def synthetic(n: int, steps_per_epoch: int | None = None):
    """A falling, noisy loss curve of n snapshots over 5 epochs."""
    from tui.models import CurvePoint

    per_epoch = steps_per_epoch or max(1, n // 5)
    return [
        CurvePoint(
            step=i, epoch=1 + (i - 1) // per_epoch, value=0.05 + 2 * math.exp(-i / (n / 6)) + 0.03 * math.sin(i * 1.3)
        )
        for i in range(1, n + 1)
    ]


async def measure_render() -> dict:
    from textual.app import App, ComposeResult
    from textual.geometry import Region

    from tui.models import CurvePoint
    from tui.widgets.chart_series import Series
    from tui.widgets.loss_chart import ChartView, LossChart

    class ChartApp(App[None]):
        def compose(self) -> ComposeResult:
            yield LossChart()

    results: dict = {}
    app = ChartApp()
    async with app.run_test(size=CHART_SIZE) as pilot:
        chart = app.query_one(LossChart)
        region = Region(0, 0, *chart.size)
        for n in SIZES:
            curve = Series.of("job", synthetic(n), job="job")
            row = {}
            for label, view in (
                ("raw", ChartView()),
                ("smoothed", ChartView(smoothing=True)),
                ("log", ChartView(log_scale=True)),
            ):
                chart.show([curve], view, suggested_epochs=3, title="bench")
                await pilot.pause()
                times = []
                for _ in range(REPEATS):
                    # A rebuild as a toggle or a resize causes it: the frame (plotext), the
                    # curves, then every line through Textual's styling, as the compositor
                    # asks for them.
                    chart._frame_key = None
                    chart._axes_cache = None
                    chart._drawn = None
                    chart._traces = {}
                    chart._styles_cache.clear()
                    start = time.perf_counter()
                    chart.render_lines(region)
                    times.append((time.perf_counter() - start) * 1000)
                row[label] = statistics.median(times)
            start = time.perf_counter()
            for _ in range(1000):
                chart._current_frame()  # unchanged: the cached frame
            row["unchanged_us"] = (time.perf_counter() - start) * 1000
            # A new point, as a training job's poll brings it: the curve traced again on the
            # kept frame, the changed cells found and only their lines drawn again.
            chart.show([curve], ChartView(), steps_total=n + 2 * REPEATS, suggested_epochs=3, title="bench")
            await pilot.pause()
            times, cells = [], []
            last = curve.values[-1]
            for index in range(REPEATS):
                curve.extend([CurvePoint(step=n + index + 1, epoch=5, value=float(last))])
                start = time.perf_counter()
                chart.show([curve], ChartView(), steps_total=n + 2 * REPEATS, suggested_epochs=3, title="bench")
                chart.render_lines(region)
                times.append((time.perf_counter() - start) * 1000)
                cells.append(chart.repainted_cells)
            row["new_point"] = statistics.median(times)
            row["new_point_cells"] = statistics.median(cells)
            results[n] = row
        results["baseline_100k_ms"] = _baseline(chart, synthetic(100_000))
    return results


def _baseline(chart, snapshots) -> float:
    """plotext given every point, the way a chart without downsampling would draw it."""
    from rich.text import Text

    plt = chart._plot
    xs = [s.step for s in snapshots]
    ys = [s.value for s in snapshots]
    start = time.perf_counter()
    plt.clear_figure()
    plt.plotsize(*chart.size)
    plt.plot(xs, ys, marker="braille")
    Text.from_ansi(plt.build())
    return (time.perf_counter() - start) * 1000


# -- idle CPU ------------------------------------------------------------------------------


async def bare_child(window: float, headless: bool) -> dict:
    """In the child: a one-Static Textual app at rest, the floor any Textual app pays."""
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


async def idle_child(url: str, data_dir: str, window: float, jobs: int, with_app: bool, headless: bool) -> dict:
    """In the child: manager (+ app on the Monitor) with `jobs` jobs training; CPU over the window.

    The app runs in the terminal it was started in (a tmux pane), so the cost of turning
    each update into terminal output and writing it is counted; headless only without tmux.
    """
    from tui.config import load_settings
    from tui.emulator.keyfile import read_key
    from tui.jobs.polling import APP_POLICY, DISPLAY_INTERVAL_S
    from tui.jobs.service import open_manager
    from tui.models import Hyperparameters, JobSpec

    key = read_key(Path(data_dir).parent / "emulator")  # the emulator measure_idle started, next to this data dir
    base = load_settings(env={}, data_dir=Path(data_dir), backend="local")
    settings = replace(base, local_url=url, local_api_key=key)
    manager = await open_manager(settings, policy=APP_POLICY)  # polled as the app polls
    sample = ROOT / "tui" / "samples" / "number-increment.jsonl"
    for index in range(jobs):
        spec = JobSpec(display_name=f"bench {index}", hyperparameters=Hyperparameters(epoch_count=50, batch_size=4))
        await manager.launch(spec, sample)
    app = None
    if with_app:
        from tui.app import make_app
        from tui.launch import set_aside_long_lived

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
    trained_before = sum(job.completed_steps for job in manager.jobs)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(window)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    trained = sum(job.completed_steps for job in manager.jobs) - trained_before
    training = sum(1 for job in manager.jobs if not job.state.finished)
    if app is not None:
        app.exit()
        await runner
    for job in manager.jobs:
        if not job.state.finished:
            await manager.cancel(job.name)
    await manager.close()
    return {"cpu_percent": 100 * cpu / wall, "steps_seen": trained, "jobs_training": training}


def measure_idle(window: float, jobs: int) -> dict:
    from tui.emulator.process import start_emulator

    results = {"terminal": "tmux" if shutil.which("tmux") else "headless (tmux not installed)"}
    with tempfile.TemporaryDirectory(prefix="tunedeck-bench-") as tmp:
        emulator = start_emulator(
            Path(tmp) / "emulator", port=0, detached=False, extra_args=("--step-delay", "0.5", "--trainers", "5")
        )
        try:
            runs = (
                ("bare_textual", "bare", 0),
                ("manager_only", "0", jobs),
                ("app_no_jobs", "1", 0),
                ("app_on_monitor", "1", jobs),
            )
            for label, with_app, count in runs:
                data, result = Path(tmp) / label, Path(tmp) / f"{label}.json"
                command = [
                    sys.executable,
                    __file__,
                    "--idle-child",
                    emulator.url,
                    str(data),
                    str(window),
                    str(count),
                    with_app,
                    str(result),
                ]
                run_child(command, result, label, timeout=window + 120)
                results[label] = json.loads(result.read_text())
        finally:
            emulator.stop()
    return results


def run_child(command: list[str], result: Path, label: str, timeout: float) -> None:
    """Run an idle child in a tmux pane of TERMINAL's size (directly without tmux)."""
    log = result.with_suffix(".log")
    if not shutil.which("tmux"):
        command = [*command, "--headless"]
    # Textual draws on stderr: it must stay the pane's terminal (the child logs its own errors).
    shell = shlex.join(command)
    if shutil.which("tmux"):
        session = f"tunedeck-idle-{label}"
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", session, "-x", str(TERMINAL[0]), "-y", str(TERMINAL[1]), shell],
            check=True,
        )
    else:
        subprocess.Popen(shell, shell=True)
    deadline = time.monotonic() + timeout
    while not result.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"idle child timed out ({label}):\n{log.read_text()[-3000:] if log.exists() else ''}")
        time.sleep(0.5)
    time.sleep(0.5)  # let the child finish writing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render", action="store_true", help="only the chart render part")
    parser.add_argument("--idle", action="store_true", help="only the idle CPU part")
    parser.add_argument("--window", type=float, default=20.0, help="seconds of idle CPU measurement")
    parser.add_argument(
        "--idle-child",
        nargs=6,
        metavar=("URL", "DATA_DIR", "WINDOW", "JOBS", "WITH_APP", "RESULT"),
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--headless", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.idle_child:
        url, data_dir, window, jobs, with_app, result = args.idle_child
        try:
            if with_app == "bare":
                measured = asyncio.run(bare_child(float(window), args.headless))
            else:
                child = idle_child(url, data_dir, float(window), int(jobs), with_app == "1", args.headless)
                measured = asyncio.run(child)
        except BaseException:
            Path(result).with_suffix(".log").write_text(traceback.format_exc())
            raise
        partial = Path(result).with_suffix(".partial")
        partial.write_text(json.dumps(measured))
        partial.rename(result)  # appears whole
        return 0

    ok = True
    if not args.idle:
        ok = report_render()
    if args.render:
        return 0 if ok else 1
    return 0 if report_idle(args.window) and ok else 1


def report_render() -> bool:
    render = asyncio.run(measure_render())
    print(f"Chart render at {CHART_SIZE[0]}x{CHART_SIZE[1]} cells (median of {REPEATS} rebuilds):")
    for n in SIZES:
        row = render[n]
        print(
            f"  {n:>7,} snapshots: raw {row['raw']:.1f} ms · smoothed {row['smoothed']:.1f} ms"
            f" · log {row['log']:.1f} ms"
            f" · one new point {row['new_point']:.1f} ms ({row['new_point_cells']:.0f} cells repainted)"
            f" · unchanged repaint {row['unchanged_us']:.1f} µs"
        )
    worst = max(render[100_000][k] for k in ("raw", "smoothed", "log"))
    base = render["baseline_100k_ms"]
    print(f"  baseline (plotext given all 100,000 points): {base:.0f} ms → the chart is {base / worst:.0f}x faster")
    ok = worst <= RENDER_TARGET_MS
    print(f"  target ≤ {RENDER_TARGET_MS:.0f} ms at 100k: {'met' if ok else 'NOT met'} ({worst:.1f} ms)")
    return ok


def report_idle(window: float) -> bool:
    idle = measure_idle(window, 5)
    manager_only, with_app, empty = idle["manager_only"], idle["app_on_monitor"], idle["app_no_jobs"]
    print(
        f"Idle CPU over {window:.0f} s with 5 jobs training (process CPU time / wall time; app in {idle['terminal']}):"
    )
    bare = idle["bare_textual"]["cpu_percent"]
    print(f"  a bare one-Static Textual app at rest: {bare:.2f} % of a core (the floor of any Textual app)")
    alone = manager_only["cpu_percent"]
    print(f"  manager alone (baseline): {alone:.2f} % of a core · {manager_only['steps_seen']} steps seen")
    print(
        f"  app on the Monitor, no jobs launched: {empty['cpu_percent']:.2f} % of a core"
        " (at rest; lists the cancelled jobs of the first run)"
    )
    print(
        f"  app on the Monitor:       {with_app['cpu_percent']:.2f} % of a core · {with_app['steps_seen']} steps seen "
        f"· {with_app['jobs_training']} jobs still training"
    )
    extra = with_app["cpu_percent"] - manager_only["cpu_percent"]
    times = with_app["cpu_percent"] / max(manager_only["cpu_percent"], 1e-9)
    print(f"  the UI adds {extra:.2f} points ({times:.1f}x the baseline)")
    idle_ok = with_app["cpu_percent"] <= IDLE_TARGET_PERCENT
    print(f"  target ≤ {IDLE_TARGET_PERCENT:.0f} % of a core: {'met' if idle_ok else 'NOT met'}")
    return idle_ok


if __name__ == "__main__":
    raise SystemExit(main())
