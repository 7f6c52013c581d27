"""The dataset side of the domain: formats, tasks, examples, findings, stats and the guide's limits.

Plain frozen dataclasses, not pydantic models: the reader makes them from JSON it has parsed
and checked itself, and `tunedeck validate` (which uses nothing else from `tui.models`)
starts without loading pydantic. `tui.models` re-exports every name, for the other layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

# Advice and limits from the Gemini tuning guide (reference/seed.md).
MIN_EXAMPLES = 20
ADVISED_EXAMPLES = (100, 500)
MAX_INPUT_CHARS = 40_000
MAX_OUTPUT_CHARS = 5_000
MAX_INLINE_BYTES = 4 * 1024 * 1024


class DatasetFormat(StrEnum):
    """On-disk formats a dataset can be read from."""

    JSONL = "jsonl"  # one {"text_input", "output"} object per line
    JSON = "json"  # a JSON array of such objects
    CSV = "csv"
    TSV = "tsv"
    VERTEX = "vertex"  # {"contents": [{"role", "parts": [{"text"}]}], "systemInstruction"?}
    CHAT = "chat"  # {"messages": [{"role", "content"}]}


class Task(StrEnum):
    """What the tuned model is for; decides how many examples are advised."""

    CLASSIFICATION = "classification"
    SUMMARIZATION = "summarization"
    DOCUMENT_SEARCH = "document-search"
    GENERATION = "generation"


@dataclass(frozen=True, kw_only=True, slots=True)
class Example:
    """One training example: an input prompt and the output the model should give."""

    text_input: str
    output: str
    line: int = 0  # 1-based line (or record) in the source file


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """Something the lint engine found, with where it is and what to do about it."""

    rule: str
    severity: Severity
    message: str
    hint: str = ""
    path: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class LengthSummary:
    """Distribution of lengths in characters."""

    count: int = 0
    min: int = 0
    max: int = 0
    mean: float = 0.0
    p50: int = 0
    p95: int = 0
    histogram: tuple[int, ...] = ()
    bin_edges: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class DatasetStats:
    """Numbers about a dataset, computed in one pass."""

    examples: int = 0
    input_chars: LengthSummary = LengthSummary()
    output_chars: LengthSummary = LengthSummary()
    estimated_tokens: int = 0  # an estimate (chars / 4), not a tokenizer count
    duplicates: int = 0
    conflicting_inputs: int = 0
    labels: dict[str, int] | None = None
    inline_bytes: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class Dataset:
    """Metadata of a dataset file; the rows stay on disk behind a lazy index."""

    path: Path
    format: DatasetFormat
    size_bytes: int
    examples: int
    sha256: str | None = None
    input_column: str | None = None
    output_column: str | None = None
