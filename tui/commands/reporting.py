"""How the headless commands say what went wrong: a line on stderr, or with `--json` a JSON error object.

Every command that takes `--json` reports its failures as one JSON document on stdout,
`{"error": {"message", "hint", "kind", "exit_code", ...}}`, the shape `validate --json`
uses, so a script never has to parse text. Settings errors name the command-line flag
(`--epochs`), never the field inside tunedeck.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any, NoReturn

EXIT_OK = 0
EXIT_JOB_FAILED = 1  # the watched job did not end ACTIVE, or a doctor check failed
EXIT_USAGE = 2  # bad usage, configuration or unreadable dataset
EXIT_REFUSED = 3  # the dataset has errors (tune) or the prompt breaks the training format (try): nothing sent
EXIT_BACKEND = 4  # the backend failed
EXIT_NOT_FOUND = 5  # no such job
EXIT_HISTORY = 6  # the local history database is locked, damaged or cannot be written
EXIT_INTERRUPTED = 130

EXIT_CODES = (
    "exit codes: 0 success; 1 the job did not end ACTIVE, or a doctor check failed; 2 bad usage, configuration "
    "or unreadable dataset; 3 nothing sent: the dataset has errors (tune) or the prompt does not follow the "
    "training format (try); 4 the backend failed; 5 no such job; 6 the history database is locked, damaged or "
    "full; 130 interrupted"
)

# The flag that sets each job setting, for errors about it.
FLAGS = {
    "epoch_count": "--epochs",
    "batch_size": "--batch-size",
    "learning_rate": "--learning-rate",
    "learning_rate_multiplier": "--learning-rate-multiplier",
    "display_name": "--display-name",
    "description": "--description",
    "base_model": "--base-model",
}


def fail(args: Any, message: str, code: int, hint: str = "", kind: str = "", **extra: Any) -> int:
    """Report a failure the way the command was asked to speak; returns `code` as the exit code."""
    if getattr(args, "json", False):
        error = {"message": message, "hint": hint, "kind": kind, "exit_code": code, **extra}
        print(json.dumps({"error": error}, indent=2, ensure_ascii=False), flush=True)
    else:
        print(f"tunedeck: {message}" + (f"\n  hint: {hint}" if hint else ""), file=sys.stderr, flush=True)
    return code


def note(args: Any, message: str) -> None:
    """A remark that does not change the outcome: always on stderr, so stdout stays JSON."""
    print(f"note: {message}", file=sys.stderr, flush=True)


def setting_problem(error: Mapping[str, Any]) -> str:
    """One pydantic error about a job setting, in the CLI's words: `--epochs must be at least 1 (got 0)`."""
    loc = [str(part) for part in error.get("loc", ()) if part not in ("hyperparameters",)]
    flag = FLAGS.get(loc[-1], loc[-1]) if loc else "the settings"
    ctx = error.get("ctx") or {}
    given = error.get("input")
    kind = error.get("type", "")
    if kind == "greater_than_equal":
        said = f"must be at least {ctx.get('ge')}"
    elif kind == "greater_than":
        said = f"must be more than {ctx.get('gt')}"
    elif kind == "less_than_equal":
        said = f"must be at most {ctx.get('le')}"
    elif kind == "less_than":
        said = f"must be less than {ctx.get('lt')}"
    elif kind == "string_too_long":
        return f"{flag} must be at most {ctx.get('max_length')} characters ({len(str(given))} given)"
    else:
        said = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
        said = said[:1].lower() + said[1:]
    return f"{flag} {said} (got {given})" if given is not None and not isinstance(given, dict) else f"{flag}: {said}"


class JsonArgumentParser(argparse.ArgumentParser):
    """argparse's parser, except that a usage error is a JSON error object when `--json` was given."""

    json_requested = False  # set from the command line before parsing

    def error(self, message: str) -> NoReturn:
        if JsonArgumentParser.json_requested:
            error = {"message": message, "hint": f"see `{self.prog} --help`", "kind": "usage", "exit_code": EXIT_USAGE}
            print(json.dumps({"error": error}, indent=2, ensure_ascii=False), flush=True)
            sys.exit(EXIT_USAGE)
        super().error(message)
