"""Cost of the monitor: loss-chart render time and the app's idle CPU while jobs train.

    .venv/bin/python benchmarks/bench_chart.py            # both parts
    .venv/bin/python benchmarks/bench_chart.py --render   # chart only (no emulator)
    .venv/bin/python benchmarks/bench_chart.py --idle [--protocol gemini|vertex|both] [--rounds 5]
        [--window 20] [--profile /tmp/idle.prof]

Render: `LossChart` rebuilds its plot and its lines (through Textual's styling) for 1k,
10k and 100k snapshots at 120x34 cells, against a baseline in the same run that hands
plotext every point (no downsampling).
A repaint with nothing changed must reuse the last frame.

Idle CPU: each run is a child process measuring its own CPU time over a window (the
tunedeck process only; the emulator's server and trainer processes are read from /proc and
reported apart). Every round runs a bare one-Static Textual app at rest (the floor any
Textual app pays in a terminal: its input thread wakes ten times a second), then, per
protocol (Gemini on backend `local`, Vertex AI on backend `vertex-local`; the order
alternates between rounds), on a fresh emulator with slow steps (so jobs keep training): a
job manager with 5 jobs launched, alone (baseline); the app on the Monitor with no jobs
launched (it lists the manager run's jobs, cancelled); the app on the Monitor with 5 jobs
training. Each window starts after a warm-up past the monitor's first update pass. The
manager polls as the app's does (a training job every 5 s, the selected one more often).
The app runs in a tmux pane of 140x45 cells, a real terminal, so turning each update into
terminal output is counted (headless only without tmux). With the app, every new point of
the selected job is timed from the trainer stamping it to the chart drawing it.
Reported: min / median / max over the rounds.
Targets: render <= 15 ms at 100k snapshots; idle CPU <= 1 % of a core with 5 jobs training
(median of the rounds), on both protocols, while every new point of the selected job is on
screen within 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.idle_probe import TERMINAL  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
CHART_SIZE = (120, 34)
REPEATS = 15
RENDER_TARGET_MS = 15.0
IDLE_TARGET_PERCENT = 1.0
LATENCY_TARGET_S = 1.0


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

# label, child mode, jobs the child launches; in this order within a round (the app with no
# jobs of its own lists the cancelled ones of the manager's run).
IDLE_RUNS = (
    ("manager_only", "manager", 5),
    ("app_no_jobs", "app", 0),
    ("app_on_monitor", "app", 5),
)


def measure_idle(window: float, rounds: int, protocols: list[str], profile: str | None = None) -> dict:
    """Every run of every round, as {protocol: {label: [result per round]}}, plus the bare app's.

    Each round starts a fresh emulator per protocol; rounds alternate the protocols' order,
    so load from other processes on the machine falls on both alike.
    """
    from tui.emulator.process import start_emulator

    results: dict = {"terminal": "tmux" if shutil.which("tmux") else "headless (tmux not installed)",
                     "bare_textual": []}
    results.update({protocol: {label: [] for label, _, _ in IDLE_RUNS} for protocol in protocols})
    with tempfile.TemporaryDirectory(prefix="tunedeck-bench-") as tmp:
        for round_ in range(rounds):
            order = protocols if round_ % 2 == 0 else protocols[::-1]
            work = Path(tmp) / f"round{round_}"
            result = work / "bare.json"
            work.mkdir()
            run_child([*child_command("-", work / "bare", window, 0, "bare", "gemini", 0), str(result)],
                      result, f"bare-{round_}", window + 60)
            results["bare_textual"].append(json.loads(result.read_text()))
            for protocol in order:
                root = work / protocol
                emulator = start_emulator(
                    root / "emulator", port=0, detached=False, extra_args=("--step-delay", "0.5", "--trainers", "5")
                )
                try:
                    for label, mode, count in IDLE_RUNS:
                        result = root / f"{label}.json"
                        command = [*child_command(emulator.url, root / label, window, count, mode, protocol,
                                                  emulator.pid), str(result)]
                        if profile and label == "app_on_monitor" and round_ == 0:
                            command += ["--profile", f"{profile}.{protocol}"]
                        run_child(command, result, f"{protocol}-{label}-{round_}", window + 180)
                        results[protocol][label].append(json.loads(result.read_text()))
                finally:
                    emulator.stop()
            print(f"  round {round_ + 1}/{rounds} done", file=sys.stderr)
    return results


def child_command(url: str, data: Path, window: float, jobs: int, mode: str, protocol: str, pid: int) -> list[str]:
    return [sys.executable, __file__, "--idle-child", url, str(data), str(window), str(jobs), mode, protocol,
            str(pid)]


def run_child(command: list[str], result: Path, label: str, timeout: float) -> None:
    """Run an idle child in a tmux pane of TERMINAL's size (directly without tmux)."""
    log = result.with_suffix(".log")
    if not shutil.which("tmux"):
        command = [*command, "--headless"]
    # Textual draws on stderr: it must stay the pane's terminal (the child logs its own errors).
    shell = shlex.join(command)
    session = ""
    if shutil.which("tmux"):
        session = f"tunedeck-idle-{os.getpid()}-{label}"
        # The pane stays after the child ends, so a crash the app printed there can be read.
        shell = f"tmux set-option -t {shlex.quote(session)} remain-on-exit on; {shell}"
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", session, "-x", str(TERMINAL[0]), "-y", str(TERMINAL[1]), shell],
            check=True,
        )
    else:
        subprocess.Popen(shell, shell=True)
    deadline = time.monotonic() + timeout
    try:
        while not result.exists():
            if log.exists() or time.monotonic() > deadline:
                time.sleep(0.5)
                pane = ""
                if session:
                    captured = subprocess.run(["tmux", "capture-pane", "-p", "-S", "-200", "-t", session],
                                              capture_output=True, text=True)
                    pane = "\nthe pane:\n" + captured.stdout.strip()[-4000:]
                raise RuntimeError(
                    f"idle child failed ({label}):\n{log.read_text()[-3000:] if log.exists() else ''}{pane}")
            time.sleep(0.5)
        time.sleep(0.5)  # let the child finish writing
    finally:
        if session:
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def run_idle_child(args) -> int:
    from benchmarks.idle_probe import bare_child, idle_child

    url, data_dir, window, jobs, mode, protocol, pid, result = args.idle_child
    try:
        if mode == "bare":
            measured = asyncio.run(bare_child(float(window), args.headless))
        else:
            measured = asyncio.run(idle_child(url, data_dir, float(window), int(jobs), mode == "app", args.headless,
                                              protocol, int(pid), args.profile))
    except BaseException:
        Path(result).with_suffix(".log").write_text(traceback.format_exc())
        raise
    partial = Path(result).with_suffix(".partial")
    partial.write_text(json.dumps(measured))
    partial.rename(result)  # appears whole
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render", action="store_true", help="only the chart render part")
    parser.add_argument("--idle", action="store_true", help="only the idle CPU part")
    parser.add_argument("--window", type=float, default=20.0, help="seconds of idle CPU measurement")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of idle runs (min/median/max over them)")
    parser.add_argument("--protocol", choices=("gemini", "vertex", "both"), default="both",
                        help="the emulator protocol the idle runs' jobs train on")
    parser.add_argument("--profile", metavar="FILE",
                        help="cProfile the first round's app on the Monitor into FILE.<protocol>, print its top")
    parser.add_argument("--idle-child", nargs=8, help=argparse.SUPPRESS)
    parser.add_argument("--headless", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.idle_child:
        return run_idle_child(args)

    ok = True
    if not args.idle:
        ok = report_render()
    if args.render:
        return 0 if ok else 1
    protocols = ["gemini", "vertex"] if args.protocol == "both" else [args.protocol]
    return 0 if report_idle(args.window, args.rounds, protocols, args.profile) and ok else 1


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


def spread(values: list[float], unit: str = "%", digits: int = 2) -> str:
    """min / median / max of the rounds."""
    if not values:
        return "n/a"
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{low:.{digits}f} / {mid:.{digits}f} / {high:.{digits}f} {unit}"


def report_idle(window: float, rounds: int, protocols: list[str], profile: str | None = None) -> bool:
    idle = measure_idle(window, rounds, protocols, profile)
    print(
        f"Idle CPU of the tunedeck process over {window:.0f} s windows, {rounds} rounds, 5 jobs training "
        f"(process CPU time / wall time, % of one core, min / median / max; app in {idle['terminal']}):"
    )
    bare = [run["cpu_percent"] for run in idle["bare_textual"]]
    print(f"  a bare one-Static Textual app at rest:  {spread(bare)}   (the floor of any Textual app)")
    ok = True
    for protocol in protocols:
        runs = idle[protocol]
        cpu = {label: [run["cpu_percent"] for run in runs[label]] for label in runs}
        emulator = [run["emulator_cpu_percent"] for run in runs["app_on_monitor"]]
        latencies = [value for run in runs["app_on_monitor"] for value in run["latencies"]]
        medians = [statistics.median(run["latencies"]) for run in runs["app_on_monitor"] if run["latencies"]]
        worst = [max(run["latencies"]) for run in runs["app_on_monitor"] if run["latencies"]]
        requests = [run["requests_per_s"] for run in runs["app_on_monitor"]]
        repaints = [run["chart_repaints"] / window for run in runs["app_on_monitor"]]
        steps = [run["steps_seen"] for run in runs["app_on_monitor"]]
        print(f"  {protocol} protocol on the emulator (backend {'vertex-local' if protocol == 'vertex' else 'local'}):")
        print(f"    manager alone, 5 jobs (baseline):    {spread(cpu['manager_only'])}")
        print(f"    app on the Monitor, no jobs:         {spread(cpu['app_no_jobs'])}   (lists cancelled jobs)")
        print(f"    app on the Monitor, 5 jobs training: {spread(cpu['app_on_monitor'])}"
              f"   · {statistics.median(steps):.0f} steps seen per window (median)")
        ratio = statistics.median(cpu["app_on_monitor"]) / max(statistics.median(bare), 1e-9)
        extra = statistics.median(cpu["app_on_monitor"]) - statistics.median(cpu["manager_only"])
        print(f"      = {ratio:.1f}x the bare app; the UI adds {extra:.2f} points to the manager alone")
        print(f"    its requests: {spread(requests, 'per s')} · chart repaints {spread(repaints, 'per s')}")
        print(f"    the emulator meanwhile (server + trainers, not counted above): {spread(emulator)}")
        print(f"    new point → on screen ({len(latencies)} points): per-round median {spread(medians, 's')}"
              f" · per-round worst {spread(worst, 's')}")
        cpu_ok = statistics.median(cpu["app_on_monitor"]) <= IDLE_TARGET_PERCENT
        late_ok = bool(latencies) and max(worst) <= LATENCY_TARGET_S
        print(f"    target ≤ {IDLE_TARGET_PERCENT:.0f} % of a core (median): {'met' if cpu_ok else 'NOT met'};"
              f" every point on screen ≤ {LATENCY_TARGET_S:.0f} s: {'met' if late_ok else 'NOT met'}")
        ok = ok and cpu_ok and late_ok
        if profile:
            print_profile(f"{profile}.{protocol}")
    return ok


def print_profile(path: str, top: int = 25) -> None:
    import pstats

    if not Path(path).exists():
        return
    print(f"    profile of the first round's app on the Monitor ({path}), by own time:")
    stats = pstats.Stats(path)
    stats.sort_stats("tottime").print_stats(top)


if __name__ == "__main__":
    raise SystemExit(main())
