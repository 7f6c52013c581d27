"""Numbers about a dataset: length distributions, labels, and a guess at the task."""

from __future__ import annotations

from array import array

import numpy as np

from tui.models import LengthSummary, Task

HISTOGRAM_BINS = 10
MAX_LABELS = 50
MAX_LABEL_CHARS = 64
CHARS_PER_TOKEN = 4  # a rough estimate, not a tokenizer


def length_summary(lengths: array) -> LengthSummary:
    if not len(lengths):
        return LengthSummary()
    values = np.asarray(lengths, dtype=np.int64)
    counts, edges = np.histogram(values, bins=HISTOGRAM_BINS)
    return LengthSummary(
        count=len(values), min=int(values.min()), max=int(values.max()), mean=round(float(values.mean()), 1),
        p50=int(np.percentile(values, 50, method="lower")), p95=int(np.percentile(values, 95, method="lower")),
        histogram=tuple(int(c) for c in counts), bin_edges=tuple(round(e) for e in edges))


def estimate_tokens(input_chars: LengthSummary, output_chars: LengthSummary) -> int:
    """An estimate of tokens (characters / 4), labelled as such wherever shown."""
    total = input_chars.mean * input_chars.count + output_chars.mean * output_chars.count
    return round(total / CHARS_PER_TOKEN)


def categorical_labels(label_counts: dict[str, int] | None, examples: int) -> dict[str, int] | None:
    """The label distribution when outputs look like class labels, else None."""
    if not label_counts or examples < 10 or len(label_counts) < 2:
        return None
    if len(label_counts) > max(2, examples // 5):
        return None
    return dict(sorted(label_counts.items(), key=lambda kv: (-kv[1], kv[0])))


def guess_task(labels: dict[str, int] | None, input_chars: LengthSummary, output_chars: LengthSummary) -> Task:
    if labels:
        return Task.CLASSIFICATION
    if input_chars.p50 >= 150 and output_chars.p50 <= input_chars.p50 * 0.6:
        return Task.SUMMARIZATION
    return Task.GENERATION


def imbalance(labels: dict[str, int]) -> float:
    """Most common label count over least common."""
    counts = list(labels.values())
    return max(counts) / max(1, min(counts))
