"""`tunedeck emulator serve|start|status|stop`: the local tuning emulator from the shell."""

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
        raise argparse.ArgumentTypeError(
            f"{text!r}: give HTTP status codes separated by commas, e.g. 429,503"
        ) from None
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
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, metavar="N", help="port (default 8765; 0 picks a free one)")
    serve.add_argument("--api-key", metavar="KEY", help="key clients must send (default: $TUNEDECK_EMULATOR_API_KEY, "
                       "which other users cannot see in the process list, or 'tunedeck-local')")  # fmt: skip
    serve.add_argument(
        "--allow-remote", action="store_true", help="allow a non-loopback --host (anyone who can reach it can use it)"
    )
    serve.add_argument(
        "--trainers", type=int, metavar="N", help="jobs that train at once (default: CPU cores, at most 4)"
    )
    serve.add_argument(
        "--deny-scopes", action="store_true", help="answer create with 403 insufficient authentication scopes"
    )
    serve.add_argument(
        "--fault-rate", type=_rate, default=0.0, metavar="R", help="share of API requests answered with a fault"
    )
    serve.add_argument(
        "--fault-codes", type=_codes, default=(429, 503), metavar="CODES", help="fault statuses (default 429,503)"
    )
    serve.add_argument("--fault-seed", type=int, metavar="N", help="seed for fault injection, for repeatable runs")
    serve.add_argument(
        "--step-delay", type=_seconds, default=0.0, metavar="SECONDS", help="sleep per training step (demos, tests)"
    )
    serve.add_argument(
        "--log-requests", action="store_true", help="log every request (method, path, status, time) to stderr"
    )
    serve.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)  # stop when this process is gone
    serve.set_defaults(handler=run_serve)

    start = commands.add_parser("start", help="start in the background (keeps running after this command)")
    data_dir_option(start)
    start.add_argument("--port", type=int, default=8765, metavar="N", help="port (default 8765; 0 picks a free one)")
    start.set_defaults(handler=run_start)

    status = commands.add_parser("status", help="say whether an emulator is serving the data directory")
    data_dir_option(status)
    status.set_defaults(handler=run_status)

    stop = commands.add_parser("stop", help="stop the emulator serving the data directory")
    data_dir_option(stop)
    stop.set_defaults(handler=run_stop)


def _emulator_dir(args: argparse.Namespace) -> Path:
    if args.emulator_dir is not None:
        return args.emulator_dir
    from tui.config import load_settings

    return load_settings(data_dir=args.data_dir).emulator_dir


def _api_key(args: argparse.Namespace) -> str:
    from tui.config import LOCAL_API_KEY

    return getattr(args, "api_key", None) or os.environ.get("TUNEDECK_EMULATOR_API_KEY") or LOCAL_API_KEY


def run_serve(args: argparse.Namespace) -> int:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # small matrices: threads only contend with the trainers
    from tui.emulator.serve import serve
    from tui.emulator.server import EmulatorConfig

    if args.host not in LOOPBACK:
        if not args.allow_remote:
            print(
                f"tunedeck emulator: refusing to listen on {args.host}: add --allow-remote to expose the emulator "
                "beyond this machine",
                file=sys.stderr,
            )
            return 2
        print(
            f"warning: listening on {args.host}; anyone who can reach it and knows the key can use it", file=sys.stderr
        )
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
    return serve(_emulator_dir(args), args.host, args.port, _api_key(args), config, args.trainers,
                 args.parent_pid, args.log_requests)  # fmt: skip


def run_start(args: argparse.Namespace) -> int:
    from tui.emulator.process import EmulatorError, find_running, start_emulator

    root = _emulator_dir(args)
    running = find_running(root)
    if running is not None:
        print(f"already running at {running.url} (pid {running.pid}), data in {root}")
        return 0
    try:
        emu = start_emulator(root, port=args.port, api_key=_api_key(args), detached=True)
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
    running = find_running(root)
    if running is None:
        stale = read_server_info(root)
        extra = f" (stale {root / 'server.json'} names pid {stale['pid']})" if stale else ""
        print(f"not running{extra}; data in {root}; start it with `tunedeck emulator start`")
        return 1
    print(f"running at {running.url} (pid {running.pid}), data in {root}{_jobs(root)}")
    return 0


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
