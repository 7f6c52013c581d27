"""The exact create request a launch sends: method, URL path and JSON body.

The backend builds the body with the same function its `create` uses, so what is shown is
what is sent. Very large bodies are shown with the example list cut short (and say so).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from tui.datasets.excerpt import SHORTEN_CHARS, shorten
from tui.datasets.opened import OpenedDataset
from tui.jobs.backend import TuningBackend
from tui.models import Example, JobSpec

SHOWN_EXAMPLES = 20  # the request view lists this many examples; a key shows the rest
PAGE = 500
_ELIDED = "⟪examples not listed here⟫"  # stands for the examples not listed


def dataset_examples(dataset: OpenedDataset) -> list[Example]:
    """Every readable example of the dataset's lazy reader, page by page."""
    reader = dataset.reader
    examples: list[Example] = []
    for start in range(0, len(reader), PAGE):
        examples.extend(row.example for row in reader.page(start, PAGE) if row.example is not None)
    return examples


def _elide(body: Any, marker: str) -> bool:
    """Replace the example standing for the elided ones (wherever the backend put it) with `marker`."""
    if isinstance(body, dict):
        return any(_elide(value, marker) for value in body.values())
    if isinstance(body, list):
        if body and _ELIDED in json.dumps(body[-1], ensure_ascii=False):
            body[-1] = marker
            return True
        return any(_elide(item, marker) for item in body)
    return False


def request_preview(
    backend: TuningBackend,
    spec: JobSpec,
    dataset: OpenedDataset | None,
    backend_label: str,
    *,
    every_example: bool = False,
) -> str:
    """The create call as text: e.g. `POST /v1beta/tunedModels` and the JSON body.

    Unless `every_example`, the body lists the first examples and, in place of the others,
    a line saying how many more are sent ("… 4,980 more examples").
    """
    examples = dataset_examples(dataset) if dataset is not None else []
    call = backend.preview_create(spec, examples)
    # Values over SHORTEN_CHARS are cut for showing, even with every example: one may hold megabytes.
    cut = [_cut(example) for example in examples]
    body = backend.preview_create(spec, cut).body
    note = ""
    if any(shown is not example for shown, example in zip(cut, examples, strict=True)):
        note = f"// Values over {SHORTEN_CHARS:,} characters are cut here; the request sends them whole.\n"
    hidden = len(examples) - SHOWN_EXAMPLES
    if not every_example and hidden > 0:
        stand_in = Example(text_input=_ELIDED, output=_ELIDED)
        shown = backend.preview_create(spec, [*cut[:SHOWN_EXAMPLES], stand_in]).body
        marker = f"… {hidden:,} more example{'s' if hidden != 1 else ''} (e shows every example)"
        if _elide(shown, marker):
            body = shown
            size = len(json.dumps(call.body, ensure_ascii=False).encode())
            listed = f"the first {SHOWN_EXAMPLES} are listed"
            note += f"// {len(examples):,} examples are sent; {listed}. Body: {size:,} bytes.\n"
    if dataset is None:
        note = "// No dataset open: the request will hold the examples of the dataset you open.\n"
    text = json.dumps(body, indent=2, ensure_ascii=False)
    return f"// {backend_label}\n{call.method} {call.path}\n{note}{text}\n"


def _cut(example: Example) -> Example:
    """The example with each value over SHORTEN_CHARS cut (saying how long it is), for showing only."""
    if len(example.text_input) <= SHORTEN_CHARS and len(example.output) <= SHORTEN_CHARS:
        return example
    return replace(example, text_input=shorten(example.text_input), output=shorten(example.output))
