"""Length distributions (`stats.length_summary`): counted per length, they are the figures numpy's
histogram, percentile and mean give over every value."""

from __future__ import annotations

from array import array

import numpy as np
import pytest

from tui.datasets import stats


def from_every_value(lengths: array) -> tuple:
    values = np.asarray(lengths, dtype=np.int64)
    counts, edges = np.histogram(values, bins=stats.HISTOGRAM_BINS)
    return (len(values), int(values.min()), int(values.max()), round(float(values.mean()), 1),
            int(np.percentile(values, 50, method="lower")), int(np.percentile(values, 95, method="lower")),
            tuple(int(c) for c in counts), tuple(round(e) for e in edges))


def shapes(rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
    return {"short": rng.integers(0, 50, size), "wide": rng.integers(0, 40_000, size), "one length": np.full(size, 7),
            "three lengths": rng.integers(0, 3, size) * 1000, "long tail": (rng.pareto(1.5, size) * 100).astype(int),
            "past the counted lengths": np.append(rng.integers(0, 9, size - 1), stats.MAX_COUNTED_LENGTH + 5)}


@pytest.mark.parametrize("size", [1, 2, 3, 10, 19, 20, 21, 101, 1000, 54_321])
def test_summary_matches_numpy_over_every_value(size):
    rng = np.random.default_rng(size)
    for name, values in shapes(rng, size).items():
        lengths = array("I", values.tolist())
        got = stats.length_summary(lengths)
        assert (got.count, got.min, got.max, got.mean, got.p50, got.p95, got.histogram, got.bin_edges) == \
            from_every_value(lengths), name


def test_no_lengths_give_an_empty_summary():
    assert stats.length_summary(array("I")) == stats.LengthSummary()
