"""The exact create request a launch sends: method, URL path and JSON body.

The body comes from the same function the backend uses to build it, so what is shown is
what is sent. Very large bodies are shown with the example list cut short (and say so).
"""

from __future__ import annotations

import json
from typing import Any

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
    body = tuned_model_body(spec, examples)
    text = json.dumps(body, indent=2, ensure_ascii=False)
    note = ""
    if len(examples) > SHOW_ALL_EXAMPLES_UP_TO:
        shown = tuned_model_body(spec, examples[:3])
        text = json.dumps(shown, indent=2, ensure_ascii=False)
        note = (
            f"// {len(examples):,} examples are sent; the first 3 are shown here. "
            f"Body size: {len(json.dumps(body, ensure_ascii=False).encode()):,} bytes.\n"
        )
    elif dataset is None:
        note = "// No dataset open: trainingData will hold the examples of the dataset you open.\n"
    return f"// {backend_label}\nPOST /v1beta/tunedModels\n{note}{text}\n"
