"""The `tunedeck` command: with no subcommand it opens the app; subcommands work headless.

Each command group lives in its own module under `tui/commands/` and exposes
`register(subparsers)`; a command's handler imports what it needs when it runs. Opening
the app (no command given) parses only the global options and imports no command module,
so the first frame does not wait for them.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module
from pathlib import Path

FORMATS = ("jsonl", "json", "csv", "tsv", "vertex", "chat")  # as `validate --format` takes them

# command name -> the module that registers it
COMMANDS = {
    "validate": "tui.commands.validate",
    "emulator": "tui.commands.emulator",
    "tune": "tui.commands.jobs",
    "jobs": "tui.commands.jobs",
    "try": "tui.commands.jobs",
    "doctor": "tui.commands.jobs",
    "models": "tui.commands.models",
}


def _global_parser(add_help: bool = True, parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser,
                   *, app: bool = False) -> argparse.ArgumentParser:
    """The options every invocation takes; with `app`, also the dataset the app opens on."""
    parser = parser_class(
        prog="tunedeck",
        usage="tunedeck [--backend B] [--data-dir DIR] [PATH [--format F]]" if app else None,
        description="Tune Gemini models from the terminal. With no command, opens the app: "
                    "`tunedeck PATH [--format F]` opens it on the dataset at PATH.",
        add_help=add_help,
    )
    parser.add_argument("--backend", choices=["local", "gemini", "vertex", "vertex-local"],
                        help="protocol and server in one word: local (Gemini API protocol on the local emulator), "
                             "gemini, vertex, vertex-local (default: detected, see --protocol)")
    parser.add_argument("--protocol", choices=["vertex", "gemini"],
                        help="tuning protocol (default: Vertex AI with Google Cloud credentials and a project, "
                             "the Gemini API with an API key)")
    parser.add_argument("--server", choices=["google", "local"],
                        help="Google, or the local emulator (default: Google when credentials for the protocol exist)")
    parser.add_argument("--project",
                        help="Google Cloud project for Vertex AI (default: GOOGLE_CLOUD_PROJECT, the ADC file, gcloud)")
    parser.add_argument("--location", help="Vertex AI location (default: GOOGLE_CLOUD_LOCATION, else us-central1)")
    parser.add_argument("--bucket", help="Cloud Storage bucket for Vertex AI dataset uploads")
    parser.add_argument("--data-dir", type=Path, help="where history and the local emulator's state live")
    if app:
        parser.add_argument("path", nargs="?", metavar="PATH", help="a dataset to open in the app")
        parser.add_argument("--format", choices=FORMATS, help="the dataset's format (default: detected)")
    return parser


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser, with every command registered (a usage error with `--json` is a JSON error object);
    with `command`, only the module of that command is loaded and registered (what running it needs)."""
    from tui.commands.reporting import JsonArgumentParser

    parser = _global_parser(parser_class=JsonArgumentParser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = [COMMANDS[command]] if command in COMMANDS else COMMANDS.values()
    for module in dict.fromkeys(modules):
        import_module(module).register(subparsers)
    return parser


def _command_named(argv: list[str]) -> str | None:
    """The command `argv` runs, when no help is asked for before it (help lists every command)."""
    for arg in argv:
        if arg in ("-h", "--help"):
            return None
        if arg in COMMANDS:
            return arg
    return None


def _names_a_command(argv: list[str]) -> bool:
    return any(arg in COMMANDS or arg in ("-h", "--help") for arg in argv)


def main(argv: list[str] | None = None) -> int:
    whole_process = argv is None  # the process is this command's alone (not a call from other Python code)
    argv = sys.argv[1:] if argv is None else list(argv)
    if not _names_a_command(argv):
        from tui.launch import run_app

        return run_app(_global_parser(app=True).parse_args(argv))
    from tui.commands.reporting import JsonArgumentParser

    JsonArgumentParser.json_requested = "--json" in argv
    args = build_parser(_command_named(argv)).parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        from tui.launch import run_app

        return run_app(args)
    try:
        code = int(handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    if whole_process and getattr(args, "exit_at_once", False):
        _exit_at_once(code)
    return code


def _exit_at_once(code: int) -> None:
    """End the process once its output is flushed, without the interpreter's tear-down (freeing every
    object of numpy, pydantic and the data one by one takes longer than a short command's own work)."""
    from contextlib import suppress

    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a reader that went away, a stream closed: nothing more to write
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
