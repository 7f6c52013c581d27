"""Reading a tuning job's JSONL datasets: examples for the trainer and `supervisedTuningDataStats`.

Runs in the trainer process while the job is PROCESSING_DATASET. Files are read line by
line (never whole). A record the service cannot use fails the job with an error naming the
dataset and line; an example over the token limit is dropped and reported in
`truncatedExampleIndices` / `droppedExampleReasons`, as Vertex does. Token counts are the
estimate of `contents.estimate_tokens`; billable counts are the dataset's counts x epochs
(Vertex bills every epoch's tokens).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tui.emulator.vertex.contents import MAX_EXAMPLE_TOKENS, ContentProblem, TuningExample, parse_example
from tui.models import total_steps

SAMPLE_EXAMPLES = 3  # userDatasetExamples
MAX_REPORTED_DROPS = 100  # truncatedExampleIndices is "a partial sample"
BUCKETS = 10


class DatasetProblem(ValueError):
    """The dataset cannot be tuned on; the message names the file and line."""


def batch_size_for(examples: int) -> int:
    """The batch size the emulator picks (Vertex v1 takes none): 4 below 1,000 examples, 8 below 10,000, else 16."""
    return 4 if examples < 1_000 else 8 if examples < 10_000 else 16


@dataclass
class _Reading:
    examples: list[TuningExample] = field(default_factory=list)
    dropped: list[tuple[int, str]] = field(default_factory=list)  # (1-based example index, reason)
    count: int = 0


def _read(path: Path, uri: str, what: str) -> _Reading:
    reading = _Reading()
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            where = f"{what} {uri} line {number}"
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise DatasetProblem(f"{where}: not valid JSON ({exc}); each line must be one JSON object") from None
            try:
                example = parse_example(record)
            except ContentProblem as exc:
                raise DatasetProblem(f"{where}: {exc}") from None
            reading.count += 1
            tokens = example.input_tokens + example.output_tokens
            if tokens > MAX_EXAMPLE_TOKENS:
                reading.dropped.append(
                    (
                        reading.count,
                        f"Example {reading.count} (line {number}) has about {tokens} tokens "
                        f"(input + output); the limit is {MAX_EXAMPLE_TOKENS}.",
                    )
                )
                continue
            reading.examples.append(example)
    if reading.count == 0:
        raise DatasetProblem(f'{what} {uri} holds no examples; give one JSON object with "contents" per line')
    return reading


def _percentile(ordered: list[int], fraction: float) -> float:
    return float(ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))])


def distribution(values: list[int], epochs: int) -> dict[str, Any]:
    """A SupervisedTuningDatasetDistribution of `values` (int64 sums as strings, as proto3 JSON has them)."""
    ordered = sorted(values)
    low, high = ordered[0], ordered[-1]
    width = (high - low) / BUCKETS if high > low else 1.0
    counts = [0] * BUCKETS
    for value in ordered:
        counts[min(BUCKETS - 1, int((value - low) / width))] += 1
    buckets = [
        {"count": float(c), "left": low + i * width, "right": low + (i + 1) * width} for i, c in enumerate(counts) if c
    ]
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    total = sum(ordered)
    return {
        "sum": str(total),
        "billableSum": str(total * epochs),
        "min": float(low),
        "max": float(high),
        "mean": total / len(ordered),
        "median": float(median),
        "p5": _percentile(ordered, 0.05),
        "p95": _percentile(ordered, 0.95),
        "buckets": buckets,
    }


@dataclass
class ProcessedDataset:
    train: list[tuple[str, str]]
    validation: list[tuple[str, str]]
    batch_size: int
    total_steps: int
    stats: dict[str, Any]


def process(train: tuple[Path, str], validation: tuple[Path, str] | None, epochs: int) -> ProcessedDataset:
    """Read the training set (path, gs:// URI) and the optional validation set; compute the statistics."""
    reading = _read(train[0], train[1], "training dataset")
    if not reading.examples:
        raise DatasetProblem(
            f"every example of the training dataset {train[1]} is over the token limit ({MAX_EXAMPLE_TOKENS}); "
            "shorten the examples"
        )
    held_out: list[tuple[str, str]] = []
    if validation is not None:
        held_out = [(e.prompt, e.answer) for e in _read(validation[0], validation[1], "validation dataset").examples]
    examples = reading.examples
    batch = batch_size_for(len(examples))
    steps = total_steps(len(examples), epochs, batch)
    tokens = sum(e.input_tokens + e.output_tokens for e in examples)
    characters = sum(e.characters for e in examples)
    stats: dict[str, Any] = {
        "tuningDatasetExampleCount": str(len(examples)),
        "totalTuningCharacterCount": str(characters),
        "totalBillableCharacterCount": str(characters * epochs),
        "totalBillableTokenCount": str(tokens * epochs),
        "tuningStepCount": str(steps),
        "userInputTokenDistribution": distribution([e.input_tokens for e in examples], epochs),
        "userOutputTokenDistribution": distribution([e.output_tokens for e in examples], epochs),
        "userMessagePerExampleDistribution": distribution([e.messages for e in examples], epochs),
        "userDatasetExamples": [c for e in examples[:SAMPLE_EXAMPLES] for c in e.user_contents[:1]],
    }
    if reading.dropped:
        stats["totalTruncatedExampleCount"] = str(len(reading.dropped))
        stats["truncatedExampleIndices"] = [str(i) for i, _ in reading.dropped[:MAX_REPORTED_DROPS]]
        stats["droppedExampleReasons"] = [reason for _, reason in reading.dropped[:MAX_REPORTED_DROPS]]
    return ProcessedDataset([(e.prompt, e.answer) for e in examples], held_out, batch, steps, stats)
