"""Writing a dataset back out as JSONL: the Gemini API's shape or Vertex `contents`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import orjson

from tui.datasets.progress import ProgressCallback, Throttle
from tui.datasets.reader import DatasetReader

Shape = Literal["gemini", "vertex"]


def example_record(text_input: str, output: str, shape: Shape = "gemini") -> dict:
    """One example in the chosen shape."""
    if shape == "gemini":
        return {"text_input": text_input, "output": output}
    if shape == "vertex":
        return {"contents": [{"role": "user", "parts": [{"text": text_input}]},
                             {"role": "model", "parts": [{"text": output}]}]}
    raise ValueError(f"unknown export shape {shape!r}; use 'gemini' or 'vertex'")


def export_jsonl(reader: DatasetReader, dest: str | Path, shape: Shape = "gemini",
                 progress: ProgressCallback | None = None) -> int:
    """Write the valid examples of `reader` to `dest` (atomically); returns how many were written."""
    example_record("", "", shape)  # reject an unknown shape before touching the disk
    dest = Path(dest)
    tmp = dest.with_name(f".{dest.name}.tmp")
    throttle = Throttle(progress, len(reader))
    written = 0
    try:
        with open(tmp, "wb") as f:
            for example in reader.iter_examples():
                f.write(orjson.dumps(example_record(example.text_input, example.output, shape)))
                f.write(b"\n")
                written += 1
                throttle(written)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    throttle.finish()
    return written
