"""Lint rules for data going to Vertex AI (reference: vertex-tuning-api.md §3.1-3.2).

Vertex tunes multi-turn conversations, so the shared `multi-turn` error is waived (and so are the
Gemini API's per-input and per-output character limits); instead
each conversation must use only user and model turns, alternate them and end with the
model. Each example must fit the base model's token limit (estimated here, 4 characters a
token; Vertex truncates or drops longer ones and says so after launch), the converted file
must stay under 1 GB, and a validation file may hold at most 5000 examples.
"""

from __future__ import annotations

import orjson

from tui.datasets.contents import CHARS_PER_TOKEN, DEFAULT_EXAMPLE_TOKENS, MAX_FILE_BYTES, RoleProblem, iter_contents
from tui.datasets.findings import Findings
from tui.datasets.reader import DatasetReader
from tui.datasets.split import MAX_VALIDATION_EXAMPLES
from tui.datasets.targets import waive
from tui.datasets.values import Severity, Task

MIN_VERTEX_EXAMPLES = 16  # the smallest dataset Vertex's tuning documentation has named
LINE_OVERHEAD = 1  # the newline ending each JSONL record


class VertexRules:
    """The Vertex-only rules; `validation=True` checks a validation file."""

    # The Gemini API's limits that Vertex does not have: multi-turn data, 40,000 / 5,000 characters per
    # input / output (Vertex counts tokens per example instead), and its minimum count (recounted here).
    waived = ("multi-turn", "too-few-examples", "input-too-long", "output-too-long")

    def __init__(self, validation: bool = False, example_tokens: int = DEFAULT_EXAMPLE_TOKENS) -> None:
        self.validation = validation
        self.example_tokens = example_tokens

    def apply(self, out: Findings, reader: DatasetReader, task: Task) -> None:
        waive(out, self.waived)
        examples = size = 0
        limit_chars = self.example_tokens * CHARS_PER_TOKEN
        for line, record, chars, problem in iter_contents(reader):
            if record is None:
                # A conversation the shared rules called multi-turn (waived here) is reported by Vertex's own rule;
                # every other problem is already the shared rules' finding.
                if isinstance(problem, RoleProblem) and problem.multi_turn:
                    out.add(problem.rule, Severity.ERROR, problem.message, problem.hint, line, problem.field)
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
