"""Curve analysis on curves whose answers are known by construction."""

from __future__ import annotations

import math
import random

import pytest

from tui.jobs.curve import downsample, ema, epoch_means, suggest_epochs
from tui.models import CurvePoint


def curve(per_epoch: list[float], steps_per_epoch: int = 4, noise: float = 0.0, seed: int = 7) -> list[CurvePoint]:
    """Snapshots whose epoch means are exactly `per_epoch` (noise cancels within an epoch)."""
    rng = random.Random(seed)
    snaps, step = [], 0
    for epoch, mean in enumerate(per_epoch, start=1):
        jitter = [rng.uniform(-noise, noise) for _ in range(steps_per_epoch // 2)]
        offsets = jitter + [-j for j in jitter] + [0.0] * (steps_per_epoch % 2)
        for offset in offsets:
            step += 1
            snaps.append(CurvePoint(step=step, epoch=epoch, value=mean + offset))
    return snaps


def test_epoch_means_average_each_epoch_in_order():
    snaps = [
        CurvePoint(step=3, epoch=2, value=1.0),
        CurvePoint(step=1, epoch=1, value=3.0),
        CurvePoint(step=2, epoch=1, value=2.0),
        CurvePoint(step=4, epoch=2, value=0.5),
    ]
    assert epoch_means(snaps) == [(1, 2.5), (2, 0.75)]
    assert epoch_means([]) == []


def test_ema_follows_the_recurrence():
    assert ema([10.0, 0.0, 0.0], alpha=0.5) == [10.0, 5.0, 2.5]
    assert ema([]) == []
    assert ema([4.0, 4.0, 4.0]) == [4.0, 4.0, 4.0]
    with pytest.raises(ValueError, match="alpha"):
        ema([1.0], alpha=0)


def test_downsample_leaves_short_curves_alone():
    assert downsample([1, 2, 3], [0.3, 0.2, 0.1], 10) == ([1, 2, 3], [0.3, 0.2, 0.1])


def test_downsample_keeps_extremes_and_ends():
    n = 100_000
    xs = list(range(n))
    ys = [math.sin(i / 500) for i in xs]
    ys[12_345] = 50.0  # a spike
    ys[77_777] = -50.0  # a dip
    out_x, out_y = downsample(xs, ys, 200)
    assert len(out_x) <= 200
    assert len(out_x) == len(out_y)
    assert out_x == sorted(out_x)
    assert (out_x[0], out_x[-1]) == (0, n - 1)
    assert max(out_y) == 50.0 and out_x[out_y.index(50.0)] == 12_345
    assert min(out_y) == -50.0 and out_x[out_y.index(-50.0)] == 77_777
    assert all(ys[x] == y for x, y in zip(out_x, out_y, strict=True))


def test_downsample_rejects_mismatched_input():
    with pytest.raises(ValueError, match="length"):
        downsample([1, 2], [1.0], 10)


def test_plateau_around_epochs_4_to_6_suggests_4():
    # The guide's example: the curve plateaus around epochs 4-6, so 4 epochs are enough.
    s = suggest_epochs(curve([2.4, 1.3, 0.7, 0.31, 0.30, 0.295], noise=0.05), epochs_run=6)
    assert s.epochs == 4
    assert s.plateau_epoch == 4
    assert s.best_epoch == 6
    assert "epoch 4" in s.reason and "4 epochs" in s.reason


def test_guide_figure_flat_after_epoch_3():
    s = suggest_epochs(curve([2.5, 0.3, 0.05, 0.045, 0.044]), epochs_run=5)
    assert (s.epochs, s.plateau_epoch) == (3, 3)


def test_still_falling_suggests_more_epochs():
    s = suggest_epochs(curve([2.0, 1.6, 1.2, 0.8, 0.4]), epochs_run=5)
    assert s.plateau_epoch is None
    assert s.epochs is not None and s.epochs > 5
    assert "still falling" in s.reason


def test_rising_after_the_minimum_stops_at_the_minimum():
    s = suggest_epochs(curve([2.0, 1.0, 0.5, 0.7, 0.9]), epochs_run=5)
    assert (s.epochs, s.best_epoch, s.plateau_epoch) == (3, 3, 3)
    assert "overfitting" in s.reason


def test_flat_curve_gives_no_epoch_count():
    s = suggest_epochs(curve([1.0, 0.998, 0.997, 0.996]), epochs_run=4)
    assert s.epochs is None
    assert "hardly moved" in s.reason


def test_too_little_data():
    assert suggest_epochs([], epochs_run=5).epochs is None
    one = suggest_epochs(curve([1.0]), epochs_run=5)
    assert (one.epochs, one.best_epoch) == (None, 1)


def test_running_job_without_plateau_waits():
    s = suggest_epochs(curve([2.0, 1.5, 1.0]), epochs_run=10)
    assert s.epochs is None
    assert "3 of 10" in s.reason


def test_running_job_with_plateau_already_suggests():
    s = suggest_epochs(curve([2.0, 0.5, 0.2, 0.2, 0.2]), epochs_run=10)
    assert s.epochs == 3
    assert "5 of 10" in s.reason
