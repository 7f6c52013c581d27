"""First paint of `tunedeck` against a bare one-Static Textual app, both run in tmux.

Each run starts a fresh tmux session running the program and polls `capture-pane` until
the program's first frame is on screen; the time from spawn to that moment is the first
paint. Both commands go through one tmux control-mode client, so polling forks no
process that would compete with the program for the CPU. Runs alternate between the
programs; the script prints the medians, their ratio (goal: tunedeck ≤ 1.2× the bare
app) and the median of the per-round ratios. tunedeck's first frame is the header and the
samples list (the marker is the first sample's name); the dataset panels and the footer
are mounted right after it, and the script also reports when the complete first screen
(tab bar, path field, panels, footer) is on screen ("tunedeck, full"; goal ≤ 1.3× the
bare app). tunedeck pauses the garbage collector until its first screen is complete;
the bare app started that way (paused until its only frame) is measured too, so the report
also shows tunedeck's own cost apart from that gain.

Each program runs once first as a warm-up, left up for SETTLE_S after its screen as a user's
previous session would be: tunedeck writes its .pyc files and its cache of the first screen's
parsed styles (tui/style_cache.py) then, as it does for users. The warm-up also checks that
the screen taken as complete is the screen tunedeck settles on (every row but the header's,
whose backend status changes): nothing on it may still change after the moment measured.

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
# The bare app with the garbage collector paused until its first frame (its whole screen), as tunedeck does
# (tui/launch.py): a reference only, to tell that gain apart from tunedeck's own work.
BARE_APP_GC_PAUSED = '''
import gc

gc.disable()

from textual.app import App
from textual.widgets import Static


class Bare(App):
    def compose(self):
        yield Static("bare app ready")

    def on_ready(self):
        gc.freeze()
        gc.enable()


Bare().run()
'''
POLL_S = 0.002
PASSED_ENV = ("TERM", "TUNEDECK_LOCAL_URL", "TUNEDECK_CONFIG_DIR", "PYTHONPATH")
TIMEOUT_S = 20.0
SETTLE_S = 2.0  # the warm-up run stays up this long after its screen is complete


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Tmux:
    """One tmux control-mode client: commands go down a pipe, no process is forked per poll."""

    def __init__(self, env: dict[str, str]) -> None:
        # The client's own session lives for the whole run, so the tmux server never exits.
        self.keepalive = f"bench-keepalive-{uuid.uuid4().hex[:8]}"
        self.process = subprocess.Popen(
            ["tmux", "-C", "new-session", "-s", self.keepalive, "-x", "120", "-y", "40", "sleep 3600"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.command("display-message -p ready")

    def command(self, line: str) -> tuple[bool, list[str]]:
        """Run one tmux command; (succeeded, output lines)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        output: list[str] | None = None
        while True:
            reply = self.process.stdout.readline()
            if not reply:
                raise RuntimeError("the tmux control client exited")
            reply = reply.rstrip("\n")
            if output is None:
                # Notifications (%output, %sessions-changed, ...) come outside reply blocks.
                if reply.startswith("%begin"):
                    output = []
            elif reply.startswith("%end") or reply.startswith("%error"):
                return reply.startswith("%end"), output
            else:
                output.append(reply)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.keepalive], capture_output=True)
        self.process.wait(timeout=5)


def first_paint(tmux: Tmux, command: list[str], marker: str | tuple[str, ...], env: dict[str, str],
                settle_s: float = 0.0) -> tuple[float, list[str], list[str]]:
    """Seconds from starting `command` in a new tmux session until `marker` (every one of a tuple)
    is on screen, the screen at that moment and, `settle_s` later, the settled screen (with no
    settling, the same)."""
    session = f"bench-{uuid.uuid4().hex[:8]}"
    # The tmux server may predate this process: pass the environment on the command line.
    exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items() if key in PASSED_ENV)
    # Bytecode caching as users have it (a sandbox may switch it off): the warm-up run
    # writes tunedeck's .pyc files, as textual's came with its install.
    unset = "-u GEMINI_API_KEY -u GOOGLE_API_KEY -u PYTHONDONTWRITEBYTECODE"
    shell_command = f"env {unset} {exports} {shlex.join(command)}"
    start = time.perf_counter()
    started, output = tmux.command(f"new-session -d -s {session} -x 120 -y 40 {shlex.quote(shell_command)}")
    if not started:
        raise RuntimeError(f"tmux could not start {command}: {output}")
    try:
        while time.perf_counter() - start < TIMEOUT_S:
            captured, screen = tmux.command(f"capture-pane -p -t {session}")
            if not captured:
                raise RuntimeError(f"{command} exited before its first frame")
            markers = marker if isinstance(marker, tuple) else (marker,)
            if all(any(each in line for line in screen) for each in markers):
                elapsed = time.perf_counter() - start
                if not settle_s:
                    return elapsed, screen, screen
                time.sleep(settle_s)
                captured, settled = tmux.command(f"capture-pane -p -t {session}")
                return elapsed, screen, settled if captured else []
            time.sleep(POLL_S)
        raise TimeoutError(f"{marker!r} did not appear within {TIMEOUT_S}s for {command}")
    finally:
        tmux.command(f"kill-session -t {session}")


def check_complete(name: str, complete: list[str], settled: list[str]) -> None:
    """The screen taken as complete is the screen once settled: every row but the header's (its
    backend status changes when the check of the backend answers)."""
    changed = [row + 1 for row, (seen, later) in enumerate(zip(complete, settled, strict=False))
               if row > 0 and seen != later]
    if changed or len(complete) != len(settled):
        raise RuntimeError(f"{name}: the screen taken as complete changed once settled (rows {changed}):\n"
                           + "\n".join(complete) + "\n--- settled ---\n" + "\n".join(settled))


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
        bare_gc_paused = Path(tmp) / "bare_app_gc_paused.py"
        bare_gc_paused.write_text(BARE_APP_GC_PAUSED, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "TMUX"}
        env.update(
            TERM="xterm-256color",
            TUNEDECK_LOCAL_URL=f"http://127.0.0.1:{free_port()}",
            TUNEDECK_CONFIG_DIR=str(Path(tmp) / "config"),
            PYTHONPATH=str(ROOT),
        )
        # The installed `tunedeck` command, as users start it (`python -m tui` where it is missing).
        command = Path(python).with_name("tunedeck")
        launcher = [str(command)] if command.exists() else [python, "-m", "tui"]
        tunedeck = [*launcher, "--data-dir", str(Path(tmp) / "data")]
        programs = {
            "bare Textual app": ([python, str(bare)], "bare app ready"),
            # The first frame: the header and the samples list, with its first sample.
            "tunedeck": (tunedeck, "number-increment.jsonl"),
            # The complete first screen: the tab bar, the path field, the panels' tabs and the footer.
            "tunedeck, full": (tunedeck, ("? keys", "path to a dataset", "Examples  Findings  Stats", "Open path")),
            # Not part of the goal: the bare app started the way tunedeck starts.
            "bare, GC paused": ([python, str(bare_gc_paused)], "bare app ready"),
        }
        tmux = Tmux(env)
        try:
            times = measure(tmux, programs, env, args.runs)
        finally:
            tmux.close()

    report(times)
    return 0


def measure(tmux: Tmux, programs: dict, env: dict[str, str], runs: int) -> dict[str, list[float]]:
    """Alternate the programs `runs` times each, after one warm-up run of each."""
    # One warm-up each so both read their files from the page cache. It stays up SETTLE_S after
    # its screen, as a user's previous session did: tunedeck writes its caches (.pyc files, the
    # first screen's parsed styles) then. The complete screen it showed must be the screen it
    # settles on.
    for name, (command, marker) in programs.items():
        _elapsed, complete, settled = first_paint(tmux, command, marker, env, settle_s=SETTLE_S)
        if name == "tunedeck, full":
            check_complete(name, complete, settled)
    times: dict[str, list[float]] = {name: [] for name in programs}
    for _ in range(runs):
        for name, (command, marker) in programs.items():
            times[name].append(first_paint(tmux, command, marker, env)[0])
    return times


def per_round(times: dict[str, list[float]], name: str, base: str = "bare Textual app") -> str:
    """min/median/max of the ratios of `name` to `base`, round by round (both ran back to back)."""
    ratios = [t / b for t, b in zip(times[name], times[base], strict=True)]
    return f"{min(ratios):.2f}x / {statistics.median(ratios):.2f}x / {max(ratios):.2f}x"


def report(times: dict[str, list[float]]) -> None:
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name:<18} median {medians[name] * 1000:7.1f} ms  (min {min(values) * 1000:.1f}, max "
              f"{max(values) * 1000:.1f}, {len(values)} runs)")
    # Each round runs the programs back to back: its ratio is less moved by a busy machine.
    ratio = medians["tunedeck"] / medians["bare Textual app"]
    print(f"first frame / bare: ratio of medians {ratio:.2f}x; per round min/median/max "
          f"{per_round(times, 'tunedeck')} (goal ≤ 1.20x)")
    full = medians["tunedeck, full"] / medians["bare Textual app"]
    print(f"complete first screen / bare: ratio of medians {full:.2f}x; per round min/median/max "
          f"{per_round(times, 'tunedeck, full')} (goal ≤ 1.30x)")
    like_for_like = medians["tunedeck"] / medians["bare, GC paused"]
    print(f"first frame / bare with the GC paused as tunedeck does: {like_for_like:.2f}x (tunedeck's own work)")


if __name__ == "__main__":
    sys.exit(main())
