"""tunedeck side by side with the tools its users would otherwise reach for, on the same files.

    .venv/bin/python benchmarks/bench_peers.py [--rounds 5] [--sizes 200,1024] [--only open,enter,validate] [--no-jq]

Three measurements, each on a 200 MB and a 1 GB JSONL file (generated under
benchmarks/data/, git-ignored), with the peers' figures taken in the same run, round by
round (programs alternate within a round, so load from elsewhere hits them alike):

- open: start → first records on screen, opening the file from the shell: `tunedeck PATH`
  against `vd PATH` (visidata) and `tl PATH` (toolong). Then the last record: tunedeck
  after End, toolong at once (it opens on the end of a file), visidata when its status
  line shows every row read. Then the peak RSS (VmHWM) of the program.
- enter: in tunedeck, Enter on a typed path → its first rows on screen; the path typed as
  soon as the whole first screen is up (the job manager is still loading then), and typed
  4 s later.
- validate: whole process `tunedeck validate FILE --json > /dev/null` (start-up, imports,
  index, SHA-256, parse, checks, report) against parsing the file line by line with orjson
  (`python -c`, same interpreter) and `jq -c . FILE`, run in turn round by round; the ratio
  is orjson's time over validate's (throughput relative to orjson's), per round, with the
  seconds of each round and the load average of the machine.

Every program runs in a tmux pane of 120 x 40 cells; the screen is polled through one tmux
control-mode client, so polling forks nothing. The peers are looked for in a venv outside
the repo (default /tmp/peers-venv, or $PEERS_VENV: `python3 -m venv /tmp/peers-venv &&
/tmp/peers-venv/bin/pip install visidata toolong`) and jq on $PATH (`apt-get install jq`);
a peer that is not installed is skipped. tunedeck runs with a fresh data dir and a closed
port for its local emulator, so no emulator is started alongside it.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_datasets import DATA, MB, generate
from bench_first_paint import PASSED_ENV, Tmux, free_port

# The complete first screen, as bench_first_paint.py waits for it: tab bar, path field, panels, footer.
COMPLETE_SCREEN = ("? keys", "path to a dataset", "Examples  Findings  Stats", "Open path")

ROOT = Path(__file__).resolve().parent.parent
PEERS = Path(os.environ.get("PEERS_VENV", "/tmp/peers-venv")) / "bin"
FIRST = "Answer the questio"  # the start of every record's input, in every program's view of it
POLL_S = 0.005
TIMEOUT_S = 120.0
LATE_S = 4.0  # "typed later": the job manager has loaded by then
FOCUS_S = 0.5
TYPED_S = 0.3


class SyncedTmux(Tmux):
    """The control client, each reply matched to its command by a tag sent right after it: the
    client's own new-session answers with a block of its own first, and a reply left unread
    would otherwise put every later one a command behind."""

    def command(self, line: str) -> tuple[bool, list[str]]:
        tag = f"done-{uuid.uuid4().hex[:8]}"
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\ndisplay-message -p {tag}\n")
        self.process.stdin.flush()
        ok, output = True, []
        while True:
            succeeded, lines = self._block()
            if tag in lines:
                return ok, output
            ok, output = succeeded, lines  # the command's own block (any earlier one is stale)

    def _block(self) -> tuple[bool, list[str]]:
        assert self.process.stdout is not None
        lines: list[str] | None = None
        while True:
            reply = self.process.stdout.readline()
            if not reply:
                raise RuntimeError("the tmux control client exited")
            reply = reply.rstrip("\n")
            if lines is None:
                if reply.startswith("%begin"):  # notifications come outside blocks
                    lines = []
            elif reply.startswith(("%end", "%error")):
                return reply.startswith("%end"), lines
            else:
                lines.append(reply)


def records_in(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))


class Pane:
    """One program in its own tmux session, started by the shared control client."""

    def __init__(self, tmux: Tmux, command: list[str], env: dict[str, str]) -> None:
        self.tmux = tmux
        self.session = f"peers-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items() if key in PASSED_ENV)
        unset = "-u GEMINI_API_KEY -u GOOGLE_API_KEY -u PYTHONDONTWRITEBYTECODE"
        shell = f"exec env {unset} {exports} {shlex.join(command)}"  # exec: the pane's pid is the program's
        self.started = time.perf_counter()
        ok, output = tmux.command(f"new-session -d -s {self.session} -c {shlex.quote(str(ROOT))} -x 120 -y 40 "
                                  f"{shlex.quote(shell)}")
        if not ok:
            raise RuntimeError(f"tmux could not start {command}: {output}")
        ok, output = tmux.command(f"display-message -p -t {self.session} '#{{pane_pid}}'")
        if not ok or not output:
            raise RuntimeError(f"{command} exited at once: {output}")
        self.pid = int(output[0])

    def screen(self) -> list[str]:
        ok, lines = self.tmux.command(f"capture-pane -p -t {self.session}")
        if not ok:
            raise RuntimeError("the program exited")
        return lines

    def wait_for(self, *markers: str, since: float | None = None) -> float:
        """Seconds from `since` (the start) until every marker is on screen."""
        since = self.started if since is None else since
        while time.perf_counter() - since < TIMEOUT_S:
            text = "\n".join(self.screen())
            if all(marker in text for marker in markers):
                return time.perf_counter() - since
            time.sleep(POLL_S)
        raise TimeoutError(f"{markers!r} not on screen after {TIMEOUT_S}s:\n" + "\n".join(self.screen()))

    def press_until(self, key: str, marker: str, since: float, every: float = 0.3) -> float:
        """Press `key` every `every` seconds until `marker` is on screen; seconds from `since`."""
        pressed = 0.0
        while time.perf_counter() - since < TIMEOUT_S:
            if time.perf_counter() - pressed >= every:
                pressed = self.keys(key)
            if any(marker in line for line in self.screen()):
                return time.perf_counter() - since
            time.sleep(POLL_S)
        raise TimeoutError(f"{marker!r} not on screen after {TIMEOUT_S}s")

    def wait_gone(self, marker: str, since: float) -> float:
        while time.perf_counter() - since < TIMEOUT_S:
            if not any(marker in line for line in self.screen()):
                return time.perf_counter() - since
            time.sleep(POLL_S)
        raise TimeoutError(f"{marker!r} still on screen after {TIMEOUT_S}s")

    def keys(self, *keys: str, literal: bool = False) -> float:
        quoted = " ".join(shlex.quote(key) for key in keys)
        self.tmux.command(f"send-keys -t {self.session} {'-l ' if literal else ''}{quoted}")
        return time.perf_counter()

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the program has used so far, its threads included."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        """The program's peak resident memory (VmHWM) so far."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> None:
        self.tmux.command(f"kill-session -t {self.session}")


# ---------------------------------------------------------------------------- open from the shell
def open_programs(tunedeck: list[str], path: Path) -> dict[str, list[str]]:
    programs = {"tunedeck": [*tunedeck, str(path)]}
    for name, script in (("visidata", "vd"), ("toolong", "tl")):
        if (PEERS / script).exists():
            programs[name] = [str(PEERS / script), str(path)]
    return programs


def measure_open(tmux: Tmux, name: str, command: list[str], env: dict[str, str], records: int) -> dict[str, float]:
    pane = Pane(tmux, command, env)
    try:
        first = pane.wait_for(FIRST)
        cpu = pane.cpu_seconds()
        at = time.perf_counter()
        last_marker = f"item {records - 1}?"
        if name == "tunedeck":  # End, again until the table (it replaces the first frame's preview) has it
            last = pane.press_until("End", last_marker, since=at)
        elif name == "visidata":  # every row read: the status line shows the count and stops "reading"
            last = pane.wait_for(f"{records} rows", since=at)
            last = max(last, pane.wait_gone("reading", since=at))
        else:
            last = pane.wait_for(last_marker, since=at)
        return {"first": first, "cpu": cpu, "last": last, "rss": pane.peak_rss_mb()}
    finally:
        pane.close()


# ---------------------------------------------------------------------------- Enter on a typed path
def measure_enter(tmux: Tmux, tunedeck: list[str], env: dict[str, str], path: Path, wait: float) -> float:
    pane = Pane(tmux, tunedeck, env)
    try:
        pane.wait_for(*COMPLETE_SCREEN)  # the whole first screen (the footer alone comes with the first frame)
        if wait:
            time.sleep(wait)
        pane.keys("o")
        time.sleep(FOCUS_S)  # the path bar takes the focus (keys typed sooner can land elsewhere)
        pane.keys(str(path), literal=True)
        time.sleep(TYPED_S)  # as a person types: the path bar has taken every key before Enter
        pressed = pane.keys("Enter")
        return pane.wait_for(FIRST, since=pressed)
    finally:
        pane.close()


# ---------------------------------------------------------------------------- headless parsing
ORJSON_LOOP = "import orjson, sys\nwith open(sys.argv[1], 'rb') as f:\n    for line in f:\n        orjson.loads(line)\n"


def validate_programs(path: Path) -> dict[str, list[str]]:
    command = Path(sys.executable).with_name("tunedeck")
    tunedeck = [str(command)] if command.exists() else [sys.executable, "-m", "tui"]
    programs = {"orjson line by line": [sys.executable, "-c", ORJSON_LOOP, str(path)],
                "tunedeck validate": [*tunedeck, "validate", str(path), "--json"]}
    if shutil.which("jq"):
        programs["jq -c ."] = ["jq", "-c", ".", str(path)]
    return programs


def run_whole(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, children included) and peak RSS (MB) of one whole
    process, its output thrown away. The peak is GNU time's (%M), where it is installed: the RSS a
    forked child has before it execs the program would count otherwise."""
    with tempfile.NamedTemporaryFile("r") as report:
        timed = command
        if Path("/usr/bin/time").exists():
            timed = ["/usr/bin/time", "-f", "%M", "-o", report.name, *command]
        start = time.perf_counter()
        process = subprocess.Popen(timed, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
        _, _, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        text = report.read().strip()
    peak = (int(text.splitlines()[-1]) if text else usage.ru_maxrss) / 1024
    return seconds, usage.ru_utime + usage.ru_stime, peak


# ---------------------------------------------------------------------------- report
def spread(values: list[float], unit: str = "s", scale: float = 1.0) -> str:
    values = [v * scale for v in values]
    return f"median {statistics.median(values):.2f} {unit} (min {min(values):.2f}, max {max(values):.2f})"


def ratios(numerators: list[float], denominators: list[float]) -> str:
    each = [n / d for n, d in zip(numerators, denominators, strict=True)]
    return (f"min {min(each):.2f}x  median {statistics.median(each):.2f}x  max {max(each):.2f}x  "
            f"(rounds: {' '.join(f'{r:.2f}' for r in each)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", default="200,1024", help="file sizes in MB, comma-separated")
    parser.add_argument("--only", default="open,enter,validate", help="which measurements, comma-separated")
    parser.add_argument("--no-jq", action="store_true", help="validate: leave jq out (the slowest peer)")
    args = parser.parse_args()
    only = set(args.only.split(","))
    if shutil.which("tmux") is None and only & {"open", "enter"}:
        print("tmux is not installed", file=sys.stderr)
        return 2
    missing = [name for name, script in (("visidata", "vd"), ("toolong", "tl")) if not (PEERS / script).exists()]
    if missing:
        print(f"skipping {', '.join(missing)}: not installed in {PEERS.parent}")
    if not shutil.which("jq"):
        print("skipping jq: not installed")

    # tunedeck's own modules compiled, as Python leaves them after a first run (unless
    # PYTHONDONTWRITEBYTECODE is set, as on some build machines): every figure is of a run after the first.
    compileall.compile_dir(str(ROOT / "tui"), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "TMUX"}
        env.update(TERM="xterm-256color", TUNEDECK_LOCAL_URL=f"http://127.0.0.1:{free_port()}",
                   TUNEDECK_CONFIG_DIR=str(Path(tmp) / "config"), PYTHONPATH=str(ROOT))
        command = Path(sys.executable).with_name("tunedeck")
        tunedeck = [str(command) if command.exists() else sys.executable, *([] if command.exists() else ["-m", "tui"]),
                    "--data-dir", str(Path(tmp) / "data")]
        tmux = SyncedTmux(env) if only & {"open", "enter"} else None
        try:
            for size in (int(s) for s in args.sizes.split(",")):
                path = DATA / ("bench-200mb.jsonl" if size == 200 else "bench-1gb.jsonl" if size == 1024
                               else f"bench-{size}mb.jsonl")
                generate(path, size * MB)
                subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # into the page cache
                records = records_in(path)
                print(f"\n== {path.name}: {path.stat().st_size / MB:,.0f} MB, {records:,} records, "
                      f"{args.rounds} rounds")
                if "open" in only and tmux is not None:
                    bench_open(tmux, tunedeck, env, path, records, args.rounds)
                if "enter" in only and tmux is not None:
                    bench_enter(tmux, tunedeck, env, path, args.rounds)
                if "validate" in only:
                    bench_validate(env, path, args.rounds, jq=not args.no_jq)
        finally:
            if tmux is not None:
                tmux.close()
    return 0


def bench_open(tmux: Tmux, tunedeck: list[str], env: dict[str, str], path: Path, records: int, rounds: int) -> None:
    programs = open_programs(tunedeck, path)
    for name, command in programs.items():  # warm-up: bytecode and the page cache, as users have them
        measure_open(tmux, name, command, env, records)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in programs}
    for _ in range(rounds):
        for name, command in programs.items():
            results[name].append(measure_open(tmux, name, command, env, records))
    print("open from the shell (start -> first records; first records -> last record; peak RSS):")
    for name, runs in results.items():
        print(f"  {name:<9} first {spread([r['first'] for r in runs])}, CPU by then {spread([r['cpu'] for r in runs])}")
        print(f"  {'':<9} last +{spread([r['last'] for r in runs])}   "
              f"peak RSS {spread([r['rss'] for r in runs], 'MB')}")
    ours = [r["first"] for r in results["tunedeck"]]
    for peer in ("visidata", "toolong"):
        if peer in results:
            print(f"  first records, tunedeck / {peer} per round (goal vs visidata <= 1.0x): "
                  f"{ratios(ours, [r['first'] for r in results[peer]])}")


def bench_enter(tmux: Tmux, tunedeck: list[str], env: dict[str, str], path: Path, rounds: int) -> None:
    measure_enter(tmux, tunedeck, env, path, 0)  # warm-up
    early, late = [], []
    for _ in range(rounds):
        early.append(measure_enter(tmux, tunedeck, env, path, 0))
        late.append(measure_enter(tmux, tunedeck, env, path, LATE_S))
    print("Enter on a typed path -> first rows on screen (goal <= 0.3 s):")
    print(f"  typed as soon as the screen is up : {spread(early)}")
    print(f"  typed {LATE_S:.0f} s later                : {spread(late)}")


def bench_validate(env: dict[str, str], path: Path, rounds: int, jq: bool = True) -> None:
    programs = validate_programs(path)
    if not jq:
        programs.pop("jq -c .", None)
    for name, command in programs.items():
        if not name.startswith("jq"):  # warm-up (jq is slow enough not to need one)
            run_whole(command, env)
    times: dict[str, list[float]] = {name: [] for name in programs}
    cpu: dict[str, list[float]] = {name: [] for name in programs}
    rss: dict[str, list[float]] = {name: [] for name in programs}
    load = os.getloadavg()[0]
    for _ in range(rounds):  # orjson, validate(, jq), orjson, validate(, jq), ...: load from elsewhere hits both
        for name, command in programs.items():
            seconds, used, peak = run_whole(command, env)
            times[name].append(seconds)
            cpu[name].append(used)
            rss[name].append(peak)
    mb = path.stat().st_size / MB
    print(f"whole process (start-up, imports, index, SHA-256, parse, checks, report), output to /dev/null; "
          f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after ({os.cpu_count()} cores):")
    for name in programs:
        print(f"  {name:<20} {spread(times[name])}  ({mb / statistics.median(times[name]):,.0f} MB/s)   "
              f"CPU {spread(cpu[name])}   peak RSS {spread(rss[name], 'MB')}")
    ours, baseline = times["tunedeck validate"], times["orjson line by line"]
    print("  per round, seconds (orjson line by line / tunedeck validate): "
          + "  ".join(f"{b:.2f}/{o:.2f}" for b, o in zip(baseline, ours, strict=True)))
    print(f"  validate throughput / orjson's (orjson time / validate time; goal >= 0.6x): {ratios(baseline, ours)}")
    cpu_ratios = ratios(cpu["orjson line by line"], cpu["tunedeck validate"])
    print(f"  the same in CPU time (what it costs when no core is idle): {cpu_ratios}")
    if "jq -c ." in times:
        print(f"  validate throughput / jq's: {ratios(times['jq -c .'], ours)}")


if __name__ == "__main__":
    sys.exit(main())
