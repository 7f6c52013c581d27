"""The `tunedeck` command: with no subcommand it opens the app; subcommands work headless.

Each command group lives in its own module under `tui/commands/` and exposes
`register(subparsers)`; a command's handler imports what it needs when it runs, so
`tunedeck --help` and the app's first frame stay fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.commands import emulator, jobs, validate

COMMAND_MODULES = (validate, emulator, jobs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tunedeck",
        description="Tune Gemini models from the terminal. With no command, opens the app.",
    )
    parser.add_argument("--backend", choices=["local", "gemini"], help="which tuning service to use (default: gemini when an API key is set, else the local emulator)")
    parser.add_argument("--data-dir", type=Path, help="where history and the local emulator's state live")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        from tui.launch import run_app

        return run_app(args)
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
