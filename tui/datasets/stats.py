"""Numbers about a dataset: length distributions, labels, and a guess at the task."""

from __future__ import annotations

from array import array

import numpy as np

from tui.datasets.values import LengthSummary, Task

HISTOGRAM_BINS = 10
MAX_LABELS = 50
MAX_LABEL_CHARS = 64
CHARS_PER_TOKEN = 4  # a rough estimate, not a tokenizer
MAX_COUNTED_LENGTH = 1 << 20  # up to this length, lengths are counted (one counter per length) rather than sorted


def length_summary(lengths: array) -> LengthSummary:
    if not len(lengths):
        return LengthSummary()
    values = np.asarray(lengths, dtype=np.int64)
    top = int(values.max())
    if top > MAX_COUNTED_LENGTH:
        counts, edges = np.histogram(values, bins=HISTOGRAM_BINS)
        p50 = int(np.percentile(values, 50, method="lower"))
        p95 = int(np.percentile(values, 95, method="lower"))
        total = float(values.mean())
    else:  # the same figures from how often each length occurs: no sort or partition of every value
        times = np.bincount(values)
        lengths_seen = np.flatnonzero(times)
        times = times[lengths_seen]
        counts, edges = np.histogram(lengths_seen, bins=HISTOGRAM_BINS, weights=times)
        p50, p95 = (int(v) for v in _lower_percentiles(lengths_seen, times, len(values), (50, 95)))
        total = int(np.dot(lengths_seen, times)) / len(values)
    return LengthSummary(
        count=len(values), min=int(values.min()), max=top, mean=round(total, 1), p50=p50, p95=p95,
        histogram=tuple(int(c) for c in counts), bin_edges=tuple(round(e) for e in edges))


def _lower_percentiles(values: np.ndarray, times: np.ndarray, count: int, percents: tuple[int, ...]) -> np.ndarray:
    """`np.percentile(..., method="lower")` of `count` numbers given as distinct ascending `values`, each
    occurring `times` times: the value at place floor((count - 1) * q) of them in order."""
    places = np.floor((count - 1) * (np.asarray(percents, np.float64) / 100)).astype(np.int64)
    return values[np.searchsorted(np.cumsum(times), places, side="right")]


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
