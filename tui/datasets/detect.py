"""Guessing a dataset's format from its name and first bytes, and finding CSV columns."""

from __future__ import annotations

from pathlib import Path

import orjson

from tui.datasets.errors import DatasetError
from tui.datasets.values import DatasetFormat

SNIFF_BYTES = 64 * 1024
FORMAT_HINT = "name the format with --format (jsonl, json, csv, tsv, vertex or chat)"
EXTENSIONS = {".csv": DatasetFormat.CSV, ".tsv": DatasetFormat.TSV, ".tab": DatasetFormat.TSV}
JSON_LINE_EXTENSIONS = {".jsonl", ".ndjson", ".jsonlines", ".json"}

INPUT_NAMES = ("text_input", "input", "prompt", "question", "text_input:", "input:", "prompt:")
OUTPUT_NAMES = ("output", "completion", "answer", "response", "target", "label", "output:", "completion:")


def open_checked(path: Path, buffering: int = -1):
    """Open a dataset file for binary reading, turning OS errors into a DatasetError."""
    try:
        return open(path, "rb", buffering=buffering)
    except IsADirectoryError:
        raise DatasetError(
            path, "is a directory, not a dataset file", hint="give the path of a .jsonl, .json, .csv or .tsv file"
        ) from None
    except FileNotFoundError:
        raise DatasetError(path, "no such file", hint="check the path") from None
    except PermissionError:
        raise DatasetError(path, "permission denied", hint="check the file's permissions") from None
    except OSError as exc:
        raise DatasetError(path, f"cannot read the file: {exc.strerror or exc}") from None


def read_head(path: Path) -> bytes:
    with open_checked(path) as f:
        return f.read(SNIFF_BYTES)


def check_text(path: Path, head: bytes) -> None:
    """Refuse binary and UTF-16 files before indexing them."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DatasetError(path, "the file is UTF-16; datasets must be UTF-8", line=1, hint="re-save the file as UTF-8")
    if b"\x00" in head[:8192]:
        raise DatasetError(
            path,
            "binary file (contains NUL bytes), not a text dataset",
            line=1,
            hint="give a JSONL, JSON, CSV or TSV text file",
        )


def detect_format(path: Path, head: bytes) -> DatasetFormat:
    """The format a file most likely has; raises DatasetError when it cannot tell."""
    suffix = path.suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    body = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if body.startswith(b"["):
        return DatasetFormat.JSON
    if body.startswith(b"{"):
        if suffix == ".json" and not _first_line_is_json(body):
            raise DatasetError(
                path,
                "a JSON file must hold an array of examples (or one example object per line)",
                line=1,
                hint="wrap the examples in [ ... ], or save one object per line as .jsonl",
            )
        return json_line_format(body)
    if not body and suffix in JSON_LINE_EXTENSIONS:
        return DatasetFormat.JSON if suffix == ".json" else DatasetFormat.JSONL
    first_line = body.split(b"\n", 1)[0]
    if suffix not in JSON_LINE_EXTENSIONS:
        if b"\t" in first_line:
            return DatasetFormat.TSV
        if b"," in first_line:
            return DatasetFormat.CSV
    raise DatasetError(path, "unknown dataset format", line=1, hint=FORMAT_HINT, rule="unknown-format")


def _first_line_is_json(body: bytes) -> bool:
    try:
        orjson.loads(body.split(b"\n", 1)[0])
    except orjson.JSONDecodeError:
        return False
    return True


def json_line_format(body: bytes) -> DatasetFormat:
    """JSONL, Vertex or chat, judged by the keys of the first line."""
    try:
        first = orjson.loads(body.split(b"\n", 1)[0])
    except orjson.JSONDecodeError:
        return DatasetFormat.JSONL
    if isinstance(first, dict):
        if "contents" in first:
            return DatasetFormat.VERTEX
        if "messages" in first:
            return DatasetFormat.CHAT
    return DatasetFormat.JSONL


def _normal(name: str) -> str:
    return name.strip().lower()


def resolve_columns(
    path: Path, header: list[str], input_column: str | None, output_column: str | None
) -> tuple[int, int]:
    """Indexes of the input and output columns in a CSV header."""
    names = [_normal(h) for h in header]
    shown = ", ".join(repr(h) for h in header)

    def find(wanted: str | None, candidates: tuple[str, ...], what: str, option: str) -> int | None:
        if wanted is not None:
            if _normal(wanted) not in names:
                raise DatasetError(
                    path,
                    f"no {what} column named {wanted!r}; the header has {shown}",
                    line=1,
                    hint=f"pick one of the header's columns with {option}",
                )
            return names.index(_normal(wanted))
        for candidate in candidates:
            if candidate in names:
                return names.index(candidate)
        return None

    i = find(input_column, INPUT_NAMES, "input", "--input-column")
    o = find(output_column, OUTPUT_NAMES, "output", "--output-column")
    if (i is None or o is None) and len(header) == 2:
        i = 0 if i is None else i
        o = 1 - i if o is None else o
    if i is None or o is None:
        missing = "input" if i is None else "output"
        raise DatasetError(
            path,
            f"cannot tell which column is the {missing}; the header has {shown}",
            line=1,
            hint="name the columns with --input-column and --output-column, or call them text_input and output",
        )
    if i == o:
        raise DatasetError(path, "the input and output columns are the same", line=1, hint="name two different columns")
    return i, o
