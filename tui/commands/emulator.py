"""`tunedeck emulator serve|start|status|stop|env`: the local tuning emulator from the shell."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _codes(text: str) -> tuple[int, ...]:
    try:
        codes = tuple(int(c) for c in text.split(",") if c.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give HTTP status codes separated by commas (429,503)") from None
    if not codes or not all(400 <= c <= 599 for c in codes):
        raise argparse.ArgumentTypeError(f"{text!r}: codes must be between 400 and 599")
    return codes


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a fraction between 0 and 1")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds (0 or more)")
    return value


def register(subparsers) -> None:
    """Add this module's subcommands to the `tunedeck` parser."""
    parser = subparsers.add_parser("emulator", help="run the local Gemini tuning API emulator")
    commands = parser.add_subparsers(dest="emulator_command", metavar="ACTION", required=True)

    def data_dir_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", dest="emulator_dir", type=Path, metavar="DIR",
                       help="the emulator's state directory (default: <data dir>/emulator)")  # fmt: skip

    serve = commands.add_parser("serve", help="serve in the foreground until Ctrl-C")
    data_dir_option(serve)
    option = serve.add_argument
    option("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    option("--port", type=int, default=8765, metavar="N", help="port (default 8765; 0 picks a free one)")
    option("--api-key", metavar="KEY", help="a fixed key clients must send (default: $TUNEDECK_EMULATOR_API_KEY, "
           "which other users cannot see in the process list, else the data directory's own random key; "
           "`tunedeck emulator env` shows it)")  # fmt: skip
    option("--allow-remote", action="store_true",
           help="allow a non-loopback --host (anyone who can reach it can use it)")  # fmt: skip
    option("--trainers", type=int, metavar="N", help="jobs that train at once (default: CPU cores, at most 4)")
    option("--deny-scopes", action="store_true", help="answer create with 403 insufficient authentication scopes")
    option("--fault-rate", type=_rate, default=0.0, metavar="R", help="share of API requests answered with a fault")
    option("--fault-codes", type=_codes, default=(429, 503), metavar="CODES", help="fault statuses (default 429,503)")
    option("--fault-seed", type=int, metavar="N", help="seed for fault injection, for repeatable runs")
    option("--step-delay", type=_seconds, default=0.0, metavar="SECONDS", help="sleep per training step (demos, tests)")
    option("--log-requests", action="store_true", help="log every request (method, path, status, time) to stderr")
    option("--header-timeout", type=_seconds, default=15.0, metavar="SECONDS",
           help="close a connection whose request headers take longer than this (default 15)")  # fmt: skip
    option("--parent-pid", type=int, help=argparse.SUPPRESS)  # stop when this process is gone
    option("--log-file", type=Path, help=argparse.SUPPRESS)  # log here, size-capped (background servers)
    serve.set_defaults(handler=run_serve)

    start = commands.add_parser("start", help="start in the background (keeps running after this command)")
    data_dir_option(start)
    start.add_argument("--port", type=int, default=8765, metavar="N", help="port (default 8765; 0 picks a free one)")
    start.add_argument(
        "--step-delay",
        type=_seconds,
        metavar="SECONDS",
        help="sleep per training step, so a curve can be watched (default: $TUNEDECK_EMULATOR_STEP_DELAY, "
        "else 0.18, as for the emulator tunedeck starts by itself)",
    )
    start.set_defaults(handler=run_start)

    status = commands.add_parser("status", help="say whether an emulator is serving the data directory")
    data_dir_option(status)
    status.set_defaults(handler=run_status)

    stop = commands.add_parser("stop", help="stop the emulator serving the data directory")
    data_dir_option(stop)
    stop.set_defaults(handler=run_stop)

    env = commands.add_parser("env", help="print what a script needs to reach the running emulator (URL and key)")
    data_dir_option(env)
    env.add_argument("--vertex", action="store_true",
                     help="also the Vertex AI settings (project, location, STORAGE_EMULATOR_HOST)")  # fmt: skip
    env.add_argument("--json", action="store_true", help="print one JSON object instead of shell `export` lines")
    env.set_defaults(handler=run_env)


def _emulator_dir(args: argparse.Namespace) -> Path:
    if args.emulator_dir is not None:
        return args.emulator_dir
    from tui.config import load_settings

    return load_settings(data_dir=args.data_dir).emulator_dir


def _api_key(args: argparse.Namespace) -> str | None:
    """A fixed key from --api-key or the environment; None means the data directory's own key."""
    from tui.emulator.keyfile import KEY_ENV

    return getattr(args, "api_key", None) or os.environ.get(KEY_ENV, "").strip() or None


def run_serve(args: argparse.Namespace) -> int:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # small matrices: threads only contend with the trainers
    from tui.emulator.serve import serve
    from tui.emulator.server import EmulatorConfig

    if args.host not in LOOPBACK:
        if not args.allow_remote:
            print(f"tunedeck emulator: refusing to listen on {args.host}: add --allow-remote to expose the emulator "
                  "beyond this machine", file=sys.stderr)  # fmt: skip
            return 2
        print(f"warning: listening on {args.host}; anyone who can reach it and knows the key can use it",
              file=sys.stderr)  # fmt: skip
    if not 0 <= args.port <= 65535:
        print(f"tunedeck emulator: --port {args.port} is not a port number (0-65535)", file=sys.stderr)
        return 2
    if args.trainers is not None and args.trainers < 1:
        print("tunedeck emulator: --trainers must be at least 1", file=sys.stderr)
        return 2
    config = EmulatorConfig(
        deny_scopes=args.deny_scopes, fault_rate=args.fault_rate, fault_codes=args.fault_codes,
        step_delay=args.step_delay, fault_seed=args.fault_seed,
    )  # fmt: skip
    return serve(_emulator_dir(args), args.host, args.port, _api_key(args) or "", config, args.trainers,
                 args.parent_pid, args.log_requests, args.log_file, args.header_timeout)  # fmt: skip


def run_start(args: argparse.Namespace) -> int:
    from tui.emulator.process import EmulatorError, find_running, start_emulator

    root = _emulator_dir(args)
    running = find_running(root)
    if running is not None:
        print(f"already running at {running.url} (pid {running.pid}), data in {root}")
        return 0
    from tui.config import load_settings

    delay = (
        args.step_delay if args.step_delay is not None else load_settings(data_dir=args.data_dir).emulator_step_delay
    )
    try:
        emu = start_emulator(
            root, port=args.port, api_key=_api_key(args), detached=True, extra_args=["--step-delay", repr(delay)]
        )
    except Exception as exc:
        if isinstance(exc, EmulatorError):
            print(f"tunedeck emulator: {exc}", file=sys.stderr)
            return 1
        raise
    print(f"started at {emu.url} (pid {emu.pid}), data in {root}; stop it with `tunedeck emulator stop`")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from tui.emulator.process import find_running, read_server_info

    root = _emulator_dir(args)
    running = find_running(root, api_key=_api_key(args))
    if running is None:
        stale = read_server_info(root)
        extra = f" (stale {root / 'server.json'} names pid {stale['pid']})" if stale else ""
        print(f"not running{extra}; data in {root}{f' ({_size(root)})' if root.exists() else ''}; "
              "start it with `tunedeck emulator start`")  # fmt: skip
        return 1
    print(f"running at {running.url} (pid {running.pid}), data in {root} ({_size(root)}){_jobs(root)}"
          f"{_pacing(running)}")  # fmt: skip
    return 0


def _size(root: Path) -> str:
    """Disk use of the data directory, e.g. `12.3 MB on disk`."""
    from tui.emulator.datadir import disk_use

    size = disk_use(root)
    return f"{size / 1e6:.1f} MB on disk" if size >= 100_000 else f"{size / 1e3:.0f} kB on disk"


def _pacing(running) -> str:
    """How the emulator paces training (one tunedeck starts sleeps per step, so a curve can be watched)."""
    try:
        delay = float(running.configure()["stepDelay"])  # no switches given: the current ones
    except Exception:  # noqa: BLE001 - the pacing is a detail of the message: left out if unknown
        return ""
    if not delay:
        return "; training at full speed (step delay 0)"
    return f"; step delay {delay:g} s per training step (TUNEDECK_EMULATOR_STEP_DELAY=0 trains at full speed)"


def _jobs(root: Path) -> str:
    from tui.emulator.store import count_states

    counts = count_states(root / "state.sqlite3")
    names = {"CREATING": "training", "ACTIVE": "active", "FAILED": "failed"}
    parts = [f"{counts[state]} {word}" for state, word in names.items() if counts.get(state)]
    return "; tuned models: " + ", ".join(parts) if parts else "; no tuned models yet"


def run_stop(args: argparse.Namespace) -> int:
    from tui.emulator.process import find_running

    root = _emulator_dir(args)
    running = find_running(root)
    if running is None:
        print(f"not running; data in {root}")
        return 1
    running.stop()
    print(f"stopped the emulator (pid {running.pid}); running jobs resume on the next start")
    return 0


LOCAL_PROJECT = "tunedeck-local"  # the emulator takes any project and location; these are the suggested ones
LOCAL_LOCATION = "us-central1"


def run_env(args: argparse.Namespace) -> int:
    """Print the URL and key of the running emulator (the one place the key is shown in full)."""
    import json
    import shlex

    from tui.emulator.process import find_running

    root = _emulator_dir(args)
    running = find_running(root)
    if running is None:
        print(f"tunedeck emulator: not running; data in {root}; start it with `tunedeck emulator start`",
              file=sys.stderr)  # fmt: skip
        return 1
    if not running.api_key:
        print(f"tunedeck emulator: no key found for {root}; set $TUNEDECK_EMULATOR_API_KEY to the key the server "
              "was started with", file=sys.stderr)  # fmt: skip
        return 1
    settings = {"TUNEDECK_LOCAL_URL": running.url, "TUNEDECK_EMULATOR_API_KEY": running.api_key}
    if args.vertex:
        settings |= {"GOOGLE_CLOUD_PROJECT": LOCAL_PROJECT, "GOOGLE_CLOUD_LOCATION": LOCAL_LOCATION,
                     "STORAGE_EMULATOR_HOST": running.url}  # fmt: skip
    if args.json:
        print(json.dumps(settings, indent=2))
        return 0
    print(f'# the local emulator serving {root}; load with: eval "$(tunedeck emulator env)"')
    for name, value in settings.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0
