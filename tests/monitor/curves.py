"""Deterministic synthetic loss curves for monitor tests: fast fall, then a plateau."""

from __future__ import annotations

import math

from tui.models import CurvePoint


def falling_curve(
    epochs: int = 6, steps_per_epoch: int = 10, floor: float = 0.05, noise: float = 0.02
) -> list[CurvePoint]:
    """Loss that drops sharply over the first two epochs and is flat after the third."""
    snapshots = []
    total = epochs * steps_per_epoch
    for step in range(1, total + 1):
        epoch = (step - 1) // steps_per_epoch + 1
        wobble = noise * math.sin(step * 1.7)
        loss = floor + 2.0 * math.exp(-step / (0.8 * steps_per_epoch)) + wobble
        snapshots.append(CurvePoint(step=step, epoch=epoch, value=max(loss, 0.0)))
    return snapshots
