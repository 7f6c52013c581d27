"""Lint rules for data going to Vertex AI (reference: vertex-tuning-api.md §3.1-3.2).

Vertex tunes multi-turn conversations, so the shared `multi-turn` error is waived; instead
each conversation must use only user and model turns, alternate them and end with the
model. Each example must fit the base model's token limit (estimated here, 4 characters a
token; Vertex truncates or drops longer ones and says so after launch), the converted file
must stay under 1 GB, and a validation file may hold at most 5000 examples.
"""

from __future__ import annotations

import orjson

from tui.datasets.contents import CHARS_PER_TOKEN, DEFAULT_EXAMPLE_TOKENS, MAX_FILE_BYTES, record_contents
from tui.datasets.reader import DatasetReader
from tui.datasets.records import RecordProblem
from tui.datasets.scan import Findings
from tui.datasets.split import MAX_VALIDATION_EXAMPLES
from tui.datasets.targets import waive
from tui.models import Severity, Task

MIN_VERTEX_EXAMPLES = 16  # the smallest dataset Vertex's tuning documentation has named
ROLE_RULES = ("bad-role", "roles-not-alternating", "last-turn-not-model")
LINE_OVERHEAD = 1  # the newline ending each JSONL record


class VertexRules:
    """The Vertex-only rules; `validation=True` checks a validation file."""

    waived = ("multi-turn", "too-few-examples")

    def __init__(self, validation: bool = False, example_tokens: int = DEFAULT_EXAMPLE_TOKENS) -> None:
        self.validation = validation
        self.example_tokens = example_tokens

    def apply(self, out: Findings, reader: DatasetReader, task: Task) -> None:
        waive(out, self.waived)
        examples = size = 0
        limit_chars = self.example_tokens * CHARS_PER_TOKEN
        for line, offset, raw in reader.raw_records():
            try:
                record, chars = record_contents(reader, raw, offset)
            except RecordProblem as problem:
                if problem.rule in ROLE_RULES and _waived_multi_turn(reader, raw, offset):
                    out.add(problem.rule, Severity.ERROR, problem.message, problem.hint, line, problem.field)
                continue  # other problems are the shared rules' findings
            except ValueError:
                continue
            examples += 1
            size += len(orjson.dumps(record)) + LINE_OVERHEAD
            if chars > limit_chars:
                out.add("example-too-long", Severity.WARNING,
                        f"about {chars // CHARS_PER_TOKEN:,} tokens (estimated); Vertex tunes at most "
                        f"{self.example_tokens:,} per example", "shorten or split the example; Vertex truncates or "
                        "drops longer ones", line)
        if size > MAX_FILE_BYTES:
            out.add("file-too-large", Severity.ERROR, f"about {size / 1e9:.2f} GB as Vertex JSONL; Vertex takes "
                    "at most 1 GB per dataset file", "use fewer or shorter examples")
        if self.validation and examples > MAX_VALIDATION_EXAMPLES:
            out.add("too-many-validation-examples", Severity.ERROR, f"{examples:,} validation examples; Vertex takes "
                    f"at most {MAX_VALIDATION_EXAMPLES:,}", 
                    f"keep {MAX_VALIDATION_EXAMPLES:,} or fewer (a random sample)")
        elif not self.validation and examples < MIN_VERTEX_EXAMPLES:
            out.add("too-few-examples", Severity.ERROR, f"{examples} valid examples; Vertex tuning needs at least "
                    f"{MIN_VERTEX_EXAMPLES}", "add examples (100 to 500 are advised)")


def _waived_multi_turn(reader: DatasetReader, raw: bytes, offset: int) -> bool:
    """Whether the shared rules saw this record as multi-turn (waived here), so nothing reported it yet."""
    try:
        reader.parse(raw, offset)
    except RecordProblem as problem:
        return problem.rule == "multi-turn"
    return False
