"""The exact create request a launch sends: method, URL path and JSON body.

The body comes from the same function the backend uses to build it, so what is shown is
what is sent. Very large bodies are shown with the example list cut short (and say so).
"""

from __future__ import annotations

import json
from typing import Any

from tui.datasets.excerpt import SHORTEN_CHARS, shorten
from tui.models import Example, JobSpec

SHOW_ALL_EXAMPLES_UP_TO = 200  # beyond this the preview lists the first few and says how many more
PAGE = 500


def dataset_examples(reader: Any) -> list[Example]:
    """Every readable example of a lazy reader, page by page."""
    examples: list[Example] = []
    for start in range(0, len(reader), PAGE):
        examples.extend(row.example for row in reader.page(start, PAGE) if row.example is not None)
    return examples


def request_preview(spec: JobSpec, dataset: Any, backend_label: str) -> str:
    """The create call as text: `POST /v1beta/tunedModels` and the JSON body."""
    from tui.jobs.gemini import tuned_model_body

    examples = dataset_examples(dataset.reader) if dataset is not None else []
    cut = [_cut(example) for example in examples[:SHOW_ALL_EXAMPLES_UP_TO + 1]]
    text = json.dumps(tuned_model_body(spec, cut), indent=2, ensure_ascii=False)
    note = ""
    if any(shown is not example for shown, example in zip(cut, examples, strict=False)):
        note = f"// Values over {SHORTEN_CHARS:,} characters are cut here; the request sends them whole.\n"
    if len(examples) > SHOW_ALL_EXAMPLES_UP_TO:
        body = tuned_model_body(spec, examples)
        shown = tuned_model_body(spec, cut[:3])
        text = json.dumps(shown, indent=2, ensure_ascii=False)
        note += (
            f"// {len(examples):,} examples are sent; the first 3 are shown here. "
            f"Body size: {len(json.dumps(body, ensure_ascii=False).encode()):,} bytes.\n"
        )
    elif dataset is None:
        note = "// No dataset open: trainingData will hold the examples of the dataset you open.\n"
    return f"// {backend_label}\nPOST /v1beta/tunedModels\n{note}{text}\n"


def _cut(example: Example) -> Example:
    """The example with each value over SHORTEN_CHARS cut (saying how long it is), for showing only."""
    if len(example.text_input) <= SHORTEN_CHARS and len(example.output) <= SHORTEN_CHARS:
        return example
    return example.model_copy(update={"text_input": shorten(example.text_input), "output": shorten(example.output)})
