"""The `tunedeck` command: with no subcommand it opens the app; subcommands work headless.

Each command group lives in its own module under `tui/commands/` and exposes
`register(subparsers)`; a command's handler imports what it needs when it runs. Opening
the app (no command given) parses only the global options and imports no command module,
so the first frame does not wait for them.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module
from pathlib import Path

# command name -> the module that registers it
COMMANDS = {
    "validate": "tui.commands.validate",
    "emulator": "tui.commands.emulator",
    "tune": "tui.commands.jobs",
    "jobs": "tui.commands.jobs",
    "try": "tui.commands.jobs",
    "doctor": "tui.commands.jobs",
}


def _global_parser(add_help: bool = True, parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser
                   ) -> argparse.ArgumentParser:
    parser = parser_class(
        prog="tunedeck",
        description="Tune Gemini models from the terminal. With no command, opens the app.",
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
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every command registered (a usage error with `--json` is a JSON error object)."""
    from tui.commands.reporting import JsonArgumentParser

    parser = _global_parser(parser_class=JsonArgumentParser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in dict.fromkeys(COMMANDS.values()):
        import_module(module).register(subparsers)
    return parser


def _names_a_command(argv: list[str]) -> bool:
    return any(arg in COMMANDS or arg in ("-h", "--help") for arg in argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not _names_a_command(argv):
        from tui.launch import run_app

        return run_app(_global_parser().parse_args(argv))
    from tui.commands.reporting import JsonArgumentParser

    JsonArgumentParser.json_requested = "--json" in argv
    args = build_parser().parse_args(argv)
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
