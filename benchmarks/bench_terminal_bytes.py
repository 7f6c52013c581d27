"""The Monitor over a slow link: bytes written to the terminal, how soon new loss points show, idle CPU.

    .venv/bin/python benchmarks/bench_terminal_bytes.py                      # 5 rounds of 30 s
    .venv/bin/python benchmarks/bench_terminal_bytes.py --rounds 2 --window 15

One run, on a local emulator whose steps take 0.5 s (so 5 jobs keep training throughout):

- tunedeck in a tmux pane of 120x40 cells, on the Monitor with 5 jobs training (the newest
  selected), started by a child process that also owns the job manager, as `tunedeck` does;
- htop in another pane of the same size at its default refresh (the peer; skipped when not
  installed: `apt-get install htop`).

Both panes are recorded with `tmux pipe-pane -o 'cat >> FILE'`; each round is a window in
which the bytes each program wrote are counted, so the ratio per round compares the two in
the same minute, and the rounds in order show whether tunedeck's traffic grows as the jobs
train. In the same windows: the tunedeck process's CPU time (/proc/PID/stat, all threads)
over wall time, and for every new loss point of the selected job the time from the
trainer computing it (the point's computeTime) to the first write to the terminal after the
chart drew it.

Targets: bytes per minute <= 0.25x htop's in every round, and flat; new points of the
selected job on screen <= 1 s after the backend has them; CPU <= 1 % of a core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TERMINAL = (120, 40)
JOBS = 5
STEP_DELAY_S = 0.5
WARM_UP_S = 12.0  # past the first polls, the Monitor's first paint and its first update pass
BYTES_TARGET_RATIO = 0.25
LATENCY_TARGET_S = 1.0
CPU_TARGET_PERCENT = 1.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- the tunedeck child ----------------------------------------------------------------------


async def child(url: str, data_dir: str, ready: str, stop: str, result: str, focus: str, protocol: str) -> None:
    """Launch the jobs, run the app on the Monitor in this terminal until `stop` appears."""
    from benchmarks.idle_probe import launch
    from tui.app import make_app
    from tui.config import load_settings
    from tui.emulator.keyfile import read_key
    from tui.jobs.polling import APP_POLICY
    from tui.jobs.service import open_manager
    from tui.launch import set_aside_long_lived
    from tui.widgets.loss_chart import LossChart
    from tui.widgets.monitor_job_table import JobTable

    key = read_key(Path(data_dir).parent / "emulator")  # the emulator `measure` started, next to this data dir
    backend = "vertex-local" if protocol == "vertex" else "local"
    base = load_settings(env={}, data_dir=Path(data_dir), config_dir=Path(data_dir) / "config", backend=backend)
    settings = replace(base, local_url=url, local_api_key=key)
    policy = replace(APP_POLICY, focus=float(focus)) if focus else APP_POLICY
    manager = await open_manager(settings, policy=policy)  # polled as the app polls
    await launch(manager, protocol, JOBS)
    app = make_app(settings, manager)
    set_aside_long_lived(app)  # as `tunedeck` does

    # (when drawn, newest step drawn, whether it had to be sent) for each new frame of the chart
    drawn: list[tuple[float, int, bool]] = []
    writes: list[float] = []
    show = LossChart.show

    def recording_show(chart, *args, **kwargs):
        builds, repaints = chart.builds, chart.repaints
        show(chart, *args, **kwargs)
        if chart.builds != builds and chart.series and len(chart.series[0]):
            drawn.append((time.time(), int(chart.series[0].steps[-1]), chart.repaints != repaints))

    LossChart.show = recording_show  # type: ignore[method-assign,assignment]
    runner = asyncio.create_task(app.run_async())
    while app._driver is None:
        await asyncio.sleep(0.05)
    write = app._driver.write

    def recording_write(data: str) -> None:
        write(data)
        if drawn and (not writes or writes[-1] < drawn[-1][0]):
            writes.append(time.time())  # the first write after a build puts it on screen

    app._driver.write = recording_write  # type: ignore[method-assign]
    await asyncio.sleep(1.0)
    app.call_later(app.switch_mode, "monitor")
    await asyncio.sleep(WARM_UP_S)
    selected = app.screen.query_one(JobTable).selected_name
    assert selected is not None
    Path(ready).write_text(json.dumps({"pid": os.getpid(), "selected": selected}))
    while not Path(stop).exists():
        await asyncio.sleep(0.2)
    job = manager.job(selected)
    assert job is not None
    computed = {p.step: p.time.timestamp() for p in job.loss_curve if p.time}
    app.exit()
    await runner
    for known in manager.jobs:
        if not known.state.finished:
            await manager.cancel(known.name)
    await manager.close()
    shown = _shown_points(drawn, writes, computed)
    partial = Path(result).with_suffix(".partial")
    partial.write_text(json.dumps({"points": shown, "steps": job.completed_steps}))
    partial.rename(result)


def _shown_points(drawn: list[tuple[float, int, bool]], writes: list[float], computed: dict[int, float]) -> list:
    """[(computed at, on screen at)] for every point of the selected job, when it first showed:
    the first write after the frame that drew it, or that frame itself when the point lit no
    new cell (the curve on screen already shows it)."""
    shown = []
    done = 0
    for built_at, newest, sent in drawn:
        if newest <= done:
            continue
        on_screen = next((w for w in writes if w >= built_at), None) if sent else built_at
        if on_screen is None:
            break
        shown += [(computed[step], on_screen) for step in range(done + 1, newest + 1) if step in computed]
        done = newest
    return shown


# -- the parent: panes, windows, figures ------------------------------------------------------


def tmux(*args: str) -> None:
    subprocess.run(["tmux", *args], check=True)


def start_pane(session: str, command: str, record: Path) -> None:
    tmux("new-session", "-d", "-s", session, "-x", str(TERMINAL[0]), "-y", str(TERMINAL[1]), command)
    tmux("pipe-pane", "-t", session, "-o", f"cat >> {shlex.quote(str(record))}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def tail(log: Path) -> str:
    return log.read_text()[-3000:] if log.exists() else ""


def size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def measure(rounds: int, window: float, keep: Path | None = None, focus: float | None = None,
            protocol: str = "vertex") -> dict:
    from tui.emulator.process import start_emulator

    peer = shutil.which("htop")
    with tempfile.TemporaryDirectory(prefix="tunedeck-bytes-") as tmp_name:
        tmp = Path(tmp_name)
        emulator = start_emulator(
            tmp / "emulator",
            port=0,
            detached=False,
            extra_args=("--step-delay", str(STEP_DELAY_S), "--trainers", str(JOBS)),
        )
        sessions = []
        try:
            ready, stop, result = tmp / "ready.json", tmp / "stop", tmp / "result.json"
            paths = [str(tmp / "data"), str(ready), str(stop), str(result), "" if focus is None else str(focus)]
            command = [sys.executable, __file__, "--child", emulator.url, *paths, protocol]
            log = result.with_suffix(".log")
            ours, theirs = tmp / "tunedeck.out", tmp / "htop.out"
            # Textual draws on stderr: it must stay the pane's terminal (errors go to the log).
            start_pane("tunedeck-bytes-app", shlex.join(command), ours)
            sessions.append("tunedeck-bytes-app")
            if peer:
                start_pane("tunedeck-bytes-htop", "htop", theirs)
                sessions.append("tunedeck-bytes-htop")
            deadline = time.monotonic() + 120
            while not ready.exists():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the tunedeck child did not get ready:\n{tail(log)}")
                time.sleep(0.2)
            pid = json.loads(ready.read_text())["pid"]
            windows: list[dict[str, Any]] = []
            for _ in range(rounds):
                start = (time.time(), size(ours), size(theirs), cpu_seconds(pid))
                time.sleep(window)
                end = (time.time(), size(ours), size(theirs), cpu_seconds(pid))
                minutes = (end[0] - start[0]) / 60
                windows.append(
                    {
                        "start": start[0],
                        "end": end[0],
                        "ours_per_min": (end[1] - start[1]) / minutes,
                        "htop_per_min": (end[2] - start[2]) / minutes if peer else None,
                        "cpu_percent": 100 * (end[3] - start[3]) / (end[0] - start[0]),
                    }
                )
            stop.write_text("")
            deadline = time.monotonic() + 60
            while not result.exists():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the tunedeck child did not finish:\n{tail(log)}")
                time.sleep(0.2)
            outcome = json.loads(result.read_text())
            if keep is not None:  # the raw terminal output, to see what was sent
                keep.mkdir(parents=True, exist_ok=True)
                for recording in (ours, theirs):
                    if recording.exists():
                        shutil.copy(recording, keep / recording.name)
        finally:
            for session in sessions:
                subprocess.run(["tmux", "kill-session", "-t", session], check=False, capture_output=True)
            emulator.stop()
    for item in windows:
        points = outcome["points"]
        item["latencies"] = [shown - computed for computed, shown in points if item["start"] <= shown < item["end"]]
    return {"windows": windows, "peer": peer, "steps": outcome["steps"]}


def spread(values: list[float], fmt: str) -> str:
    if not values:
        return "—"
    low, middle, high = (fmt.format(v) for v in (min(values), statistics.median(values), max(values)))
    return f"min {low} · median {middle} · max {high}"


def report(rounds: int, window: float, keep: Path | None = None, focus: float | None = None,
           protocol: str = "vertex") -> bool:
    if not shutil.which("tmux"):
        print("tmux is not installed: this benchmark needs a real terminal (apt-get install tmux)")
        return False
    figures = measure(rounds, window, keep, focus, protocol)
    windows = figures["windows"]
    print(
        f"Monitor at rest, {JOBS} {protocol} jobs training ({STEP_DELAY_S} s steps), "
        f"tmux panes of {TERMINAL[0]}x{TERMINAL[1]}, {rounds} rounds of {window:.0f} s:"
    )
    print("  round  tunedeck KiB/min  htop KiB/min  ratio  CPU %  new points  latency median/max")
    ratios = []
    for index, item in enumerate(windows, 1):
        ours, theirs = item["ours_per_min"] / 1024, item["htop_per_min"]
        ratio = None if not theirs else item["ours_per_min"] / theirs
        if ratio is not None:
            ratios.append(ratio)
        lat = item["latencies"]
        lat_text = f"{statistics.median(lat):.2f} / {max(lat):.2f} s" if lat else "—"
        print(
            f"  {index:>5}  {ours:>16.1f}  {'—' if not theirs else f'{theirs / 1024:.1f}':>12}  "
            f"{'—' if ratio is None else f'{ratio:.2f}':>5}  {item['cpu_percent']:>5.2f}  {len(lat):>10}  {lat_text}"
        )
    ours_all = [w["ours_per_min"] / 1024 for w in windows]
    cpu = [w["cpu_percent"] for w in windows]
    latencies = [value for w in windows for value in w["latencies"]]
    print(f"  tunedeck bytes:    {spread(ours_all, '{:.1f} KiB/min')}")
    if figures["peer"]:
        print(f"  htop bytes:        {spread([w['htop_per_min'] / 1024 for w in windows], '{:.1f} KiB/min')}")
        print(f"  ratio to htop:     {spread(ratios, '{:.3f}x')}")
    else:
        print("  htop is not installed: no peer figure (apt-get install htop)")
    print(f"  CPU (tunedeck):    {spread(cpu, '{:.2f} %')}")
    print(f"  new point → screen: {spread(latencies, '{:.2f} s')} over {len(latencies)} points")
    ok = True
    if ratios:
        met = max(ratios) <= BYTES_TARGET_RATIO
        ok &= met
        print(f"  target ≤ {BYTES_TARGET_RATIO}x htop in every round: {'met' if met else 'NOT met'}")
    met = bool(latencies) and max(latencies) <= LATENCY_TARGET_S
    ok &= met
    print(f"  target new points on screen ≤ {LATENCY_TARGET_S:.0f} s: {'met' if met else 'NOT met'}")
    met = max(cpu) <= CPU_TARGET_PERCENT
    ok &= met
    print(f"  target CPU ≤ {CPU_TARGET_PERCENT:.0f} % of a core: {'met' if met else 'NOT met'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="measurement windows (at least 5 for a reported figure)")
    parser.add_argument("--window", type=float, default=30.0, help="seconds per window")
    parser.add_argument("--keep", type=Path, help="copy the panes' raw output into this directory")
    parser.add_argument(
        "--focus", type=float, help="poll the selected job this often instead of the app's PollPolicy.focus"
    )
    parser.add_argument("--protocol", choices=("vertex", "gemini"), default="vertex",
                        help="the jobs' protocol on the emulator (default: Vertex AI, the app's default)")
    child_args = ("URL", "DATA_DIR", "READY", "STOP", "RESULT", "FOCUS", "PROTOCOL")
    parser.add_argument("--child", nargs=7, metavar=child_args, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        try:
            asyncio.run(child(*args.child))
        except BaseException:
            Path(args.child[4]).with_suffix(".log").write_text(traceback.format_exc())
            raise
        return 0
    return 0 if report(args.rounds, args.window, args.keep, args.focus, args.protocol) else 1


if __name__ == "__main__":
    raise SystemExit(main())
