"""First paint of `tunedeck` against a bare one-Static Textual app, both run in tmux.

Each run starts a fresh tmux session running the program and polls `tmux capture-pane`
until the program's first frame is on screen; the time from spawn to that moment is the
first paint. Runs alternate between the programs; the script prints the medians and
their ratio (goal: tunedeck ≤ 1.2× the bare app). tunedeck's first frame is the header and
the samples list; the dataset panels and the footer are mounted right after it, and the
script also reports when those are on screen ("tunedeck, full").

tunedeck runs with a fresh data dir and `TUNEDECK_LOCAL_URL` pointing at a closed port, so
no emulator is started by the benchmark (that happens after the first frame anyway).

    .venv/bin/python benchmarks/bench_first_paint.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE_APP = '''
from textual.app import App
from textual.widgets import Static


class Bare(App):
    def compose(self):
        yield Static("bare app ready")


Bare().run()
'''
POLL_S = 0.005
PASSED_ENV = ("TERM", "TUNEDECK_LOCAL_URL", "TUNEDECK_CONFIG_DIR", "PYTHONPATH")
TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def first_paint(command: list[str], marker: str, env: dict[str, str]) -> float:
    """Seconds from starting `command` in a new tmux session until `marker` is on screen."""
    session = f"bench-{uuid.uuid4().hex[:8]}"
    # The tmux server may predate this process: pass the environment on the command line.
    exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items() if key in PASSED_ENV)
    # Bytecode caching as users have it (a sandbox may switch it off): the warm-up run
    # writes tunedeck's .pyc files, as textual's came with its install.
    unset = "-u GEMINI_API_KEY -u GOOGLE_API_KEY -u PYTHONDONTWRITEBYTECODE"
    shell_command = f"env {unset} {exports} {shlex.join(command)}"
    start = time.perf_counter()
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", shell_command],
        check=True,
        env=env,
    )
    try:
        while time.perf_counter() - start < TIMEOUT_S:
            capture = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True)
            if capture.returncode != 0:
                raise RuntimeError(f"{command} exited before its first frame")
            if marker in capture.stdout:
                return time.perf_counter() - start
            time.sleep(POLL_S)
        raise TimeoutError(f"{marker!r} did not appear within {TIMEOUT_S}s for {command}")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is not installed", file=sys.stderr)
        return 2

    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare_app.py"
        bare.write_text(BARE_APP, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "TMUX"}
        env.update(
            TERM="xterm-256color",
            TUNEDECK_LOCAL_URL=f"http://127.0.0.1:{free_port()}",
            TUNEDECK_CONFIG_DIR=str(Path(tmp) / "config"),
            PYTHONPATH=str(ROOT),
        )
        programs = {
            "bare Textual app": ([python, str(bare)], "bare app ready"),
            "tunedeck": ([python, "-m", "tui", "--data-dir", str(Path(tmp) / "data")], "Samples"),
            # Not part of the goal: when the whole Datasets screen (panels, footer) is up.
            "tunedeck, full": ([python, "-m", "tui", "--data-dir", str(Path(tmp) / "data")], "Open path"),
        }
        # A session that lives for the whole run, so the tmux server never exits between runs.
        keepalive = f"bench-keepalive-{uuid.uuid4().hex[:8]}"
        subprocess.run(["tmux", "new-session", "-d", "-s", keepalive, "sleep 3600"], check=True)
        try:
            times = measure(programs, env, args.runs)
        finally:
            subprocess.run(["tmux", "kill-session", "-t", keepalive], capture_output=True)

    report(times)
    return 0


def measure(programs: dict, env: dict[str, str], runs: int) -> dict[str, list[float]]:
    """Alternate the programs `runs` times each, after one warm-up run of each."""
    # One warm-up each so both read their files from the page cache.
    for command, marker in programs.values():
        first_paint(command, marker, env)
    times: dict[str, list[float]] = {name: [] for name in programs}
    for _ in range(runs):
        for name, (command, marker) in programs.items():
            times[name].append(first_paint(command, marker, env))
    return times


def report(times: dict[str, list[float]]) -> None:
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name:<18} median {medians[name] * 1000:7.1f} ms  (min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f}, {len(values)} runs)")
    ratio = medians["tunedeck"] / medians["bare Textual app"]
    print(f"ratio tunedeck / bare: {ratio:.2f}x (goal ≤ 1.20x)")


if __name__ == "__main__":
    sys.exit(main())
