"""The exact create request a launch sends: method, URL path and JSON body.

The backend builds the body with the same function its `create` uses, so what is shown is
what is sent. Very large bodies are shown with the example list cut short (and say so).
"""

from __future__ import annotations

import json

from tui.datasets.opened import OpenedDataset
from tui.jobs.backend import TuningBackend
from tui.models import Example, JobSpec

SHOW_ALL_EXAMPLES_UP_TO = 200  # beyond this the preview lists the first few and says how many more
PAGE = 500


def dataset_examples(dataset: OpenedDataset) -> list[Example]:
    """Every readable example of the dataset's lazy reader, page by page."""
    reader = dataset.reader
    examples: list[Example] = []
    for start in range(0, len(reader), PAGE):
        examples.extend(row.example for row in reader.page(start, PAGE) if row.example is not None)
    return examples


def request_preview(backend: TuningBackend, spec: JobSpec, dataset: OpenedDataset | None, backend_label: str) -> str:
    """The create call as text: e.g. `POST /v1beta/tunedModels` and the JSON body."""
    examples = dataset_examples(dataset) if dataset is not None else []
    call = backend.preview_create(spec, examples)
    text = json.dumps(call.body, indent=2, ensure_ascii=False)
    note = ""
    if len(examples) > SHOW_ALL_EXAMPLES_UP_TO:
        shown = backend.preview_create(spec, examples[:3])
        text = json.dumps(shown.body, indent=2, ensure_ascii=False)
        note = (
            f"// {len(examples):,} examples are sent; the first 3 are shown here. "
            f"Body size: {len(json.dumps(call.body, ensure_ascii=False).encode()):,} bytes.\n"
        )
    elif dataset is None:
        note = "// No dataset open: the request will hold the examples of the dataset you open.\n"
    return f"// {backend_label}\n{call.method} {call.path}\n{note}{text}\n"
