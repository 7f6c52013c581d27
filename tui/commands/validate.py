"""`tunedeck validate PATH`: lint a dataset from the shell.

The file is read once: indexed, hashed, parsed and checked in one pass (`check_file`),
shared with a second process on large files.

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 the file cannot be read at
all or its format is unknown.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from dataclasses import asdict

from tui.cli import FORMATS

TASKS = ("classification", "summarization", "document-search", "generation")
PROGRESS_AFTER = 0.3  # seconds before a progress bar appears


def register(subparsers) -> None:
    """Add `validate` to the `tunedeck` parser."""
    parser = subparsers.add_parser(
        "validate", help="check a tuning dataset and print findings and stats",
        description="Check a tuning dataset. Exit code 0: no errors; 1: errors found; "
                    "2: unreadable file or unknown format.")
    parser.add_argument("path", metavar="PATH", help="dataset file (.jsonl, .json, .csv, .tsv; Vertex or chat JSONL)")
    parser.add_argument("--format", choices=FORMATS, help="the file's format (default: detected)")
    parser.add_argument("--task", choices=TASKS, help="what the model is tuned for (default: guessed from the outputs)")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.add_argument("--input-column", metavar="NAME", help="CSV/TSV: the column holding the input")
    parser.add_argument("--output-column", metavar="NAME", help="CSV/TSV: the column holding the output")
    parser.add_argument("--target", choices=("gemini", "vertex"), default="gemini",
                        help="which API's limits to check (default: gemini)")
    parser.set_defaults(handler=run, exit_at_once=True)  # nothing to clean up once the report is out


class ProgressBar:
    """A one-line bar on stderr, shown only on a terminal and only for slow files."""

    def __init__(self, label: str, stream=sys.stderr) -> None:
        self.label = label
        self.stream = stream
        self.started = time.monotonic()
        self.enabled = stream.isatty()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.started < PROGRESS_AFTER:
            return
        fraction = done / total if total else 1.0
        width = 30
        filled = int(fraction * width)
        self.stream.write(f"\r{self.label:<9} [{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * 50 + "\r")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    # The command makes no reference cycles worth collecting: no collection while it imports and checks.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(args)
    finally:
        if collecting:
            gc.enable()


def _run(args: argparse.Namespace) -> int:
    # Hashing starts first, in a process of its own: it runs on another core while the
    # lint engine (numpy) is imported, and never waits for the GIL the checking holds.
    from tui.datasets.digest import FileHasher

    hasher = FileHasher(args.path, process=True)
    # numpy's BLAS would start a thread per core on import, a cost with no use here (no linear algebra)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import orjson

    from tui.datasets import DatasetError, check_file

    bar = ProgressBar("checking")
    try:
        try:
            reader, report = check_file(args.path, format=args.format, input_column=args.input_column,
                                        output_column=args.output_column, task=args.task, target=args.target,
                                        progress=bar, hasher=hasher)
        finally:
            bar.close()
            hasher.close()  # still hashing only if the check stopped short
    except DatasetError as exc:
        if args.json:
            error = {"rule": exc.rule, "path": exc.path, "line": exc.line, "message": exc.message, "hint": exc.hint}
            sys.stdout.write(orjson.dumps({"error": error}, option=orjson.OPT_INDENT_2).decode() + "\n")
        else:
            where = exc.path if exc.line is None else f"{exc.path}:{exc.line}"
            print(f"{where}: error: {exc.rule}: {exc.message}", file=sys.stderr)
            if exc.hint:
                print(f"  hint: {exc.hint}", file=sys.stderr)
        return 2
    if args.json:
        sys.stdout.write(orjson.dumps(_json_document(reader, report), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        _print_human(reader, report)
    return 1 if report.has_errors else 0


def _json_document(reader, report) -> dict:
    return {
        "path": str(reader.path),
        "format": reader.format.value,
        "examples": report.stats.examples,
        "records": len(reader),
        "sha256": reader.dataset.sha256,
        "task": report.task.value,
        "task_guessed": report.task_guessed,
        "counts": report.counts,
        "findings": [
            {"rule": f.rule, "severity": f.severity.value, "line": f.line, "column": f.column, "field": f.field,
             "message": f.message, "hint": f.hint}
            for f in report.findings
        ],
        "stats": asdict(report.stats),
        "profile": {"preamble": report.profile.preamble, "markers": list(report.profile.markers)},
    }


def _print_human(reader, report) -> None:
    from tui.datasets.values import MAX_INLINE_BYTES
    from tui.datasets.wording import plural, size

    out = sys.stdout
    for f in report.findings:
        where = f"{reader.path}:{f.line}" if f.line is not None else str(reader.path)
        out.write(f"{where}: {f.severity.value}: {f.rule}: {f.message}\n")
        if f.hint:
            out.write(f"  hint: {f.hint}\n")
    stats = report.stats
    counts = report.counts
    out.write("\n")
    out.write(f"{reader.path}: {reader.format.value}, {plural(stats.examples, 'valid example')} of "
              f"{plural(len(reader), 'record')}, {size(reader.dataset.size_bytes)}, "
              f"sha256 {reader.dataset.sha256[:12]}\n")
    out.write(f"  findings: {plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}, "
              f"{counts['info']:,} info\n")
    out.write(f"  task: {report.task.value}{' (guessed)' if report.task_guessed else ''}\n")
    for name, summary in (("input", stats.input_chars), ("output", stats.output_chars)):
        if summary.count:
            out.write(f"  {name} chars: min {summary.min:,}, median {summary.p50:,}, mean {summary.mean:,.0f}, "
                      f"p95 {summary.p95:,}, max {summary.max:,}\n")
    out.write(f"  tokens: ~{stats.estimated_tokens:,} (estimate: characters / 4)\n")
    out.write(f"  duplicates: {stats.duplicates:,}; inputs with conflicting outputs: {stats.conflicting_inputs:,}\n")
    out.write(f"  inline payload: ~{size(stats.inline_bytes)} (the Gemini API takes up to {size(MAX_INLINE_BYTES)})\n")
    if stats.labels:
        out.write("  labels: " + ", ".join(f"{k} {v}" for k, v in stats.labels.items()) + "\n")
    out.write(f"  format profile: {report.profile.describe()}\n")
