"""Named curves of jobs as chart series: arrays that grow in place as points arrive.

A `Series` is what the chart draws: a label, the job it belongs to, a colour and its
points. `JobSeries` keeps one per job and curve between updates, so a poll's new points
are appended rather than the whole curve converted again. The Monitor shows one job's
loss curves (train, and eval when the backend reports it) or its accuracy curves; Compare
shows one curve of each marked job. Both go through here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from tui.jobs.curve import ema
from tui.models import EVAL_ACCURACY, EVAL_LOSS, TRAIN_ACCURACY, TRAIN_LOSS

if TYPE_CHECKING:
    from tui.models import CurvePoint, Job

SMOOTHING_ALPHA = 0.1  # weight of the newest point in the moving average
LABELS = {
    TRAIN_LOSS: "train loss",
    EVAL_LOSS: "eval loss",
    TRAIN_ACCURACY: "train accuracy",
    EVAL_ACCURACY: "eval accuracy",
}
# What the chart can show of one job, and which curves that is.
METRICS = {"loss": (TRAIN_LOSS, EVAL_LOSS), "accuracy": (TRAIN_ACCURACY, EVAL_ACCURACY)}
# Train curves in the theme's primary colour, eval curves in its warning colour, in every view.
COLOURS = {TRAIN_LOSS: "primary", EVAL_LOSS: "warning", TRAIN_ACCURACY: "primary", EVAL_ACCURACY: "warning"}


def _columns(points: Sequence[CurvePoint]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps, epochs (-1 where unknown) and values of curve points, as arrays."""
    count = len(points)
    steps = np.fromiter((p.step for p in points), np.int64, count)
    epochs = np.fromiter((-1 if p.epoch is None else p.epoch for p in points), np.int64, count)
    values = np.fromiter((p.value for p in points), np.float64, count)
    return steps, epochs, values


class Series:
    """One named curve as arrays: its label, the job it belongs to, its colour (a theme
    variable; empty: the next free one). `extend` appends new points in place, into arrays
    with room to grow, so a long curve is not copied for every new point."""

    def __init__(self, label: str, job: str = "", colour: str = "") -> None:
        self.label, self.job, self.colour = label, job, colour
        self.version = 0
        self._count = 0
        self._steps = np.empty(0, dtype=np.int64)
        self._epochs = np.empty(0, dtype=np.int64)
        self._values = np.empty(0, dtype=np.float64)
        self._smoothed: tuple[int, np.ndarray] | None = None
        self._ends: tuple[int, dict[int, int]] = (0, {})  # points looked at, last step of each epoch
        self._extent: dict[bool, tuple[int, float, float]] = {}

    @classmethod
    def of(cls, label: str, points: Sequence[CurvePoint], *, job: str = "", colour: str = "") -> Series:
        series = cls(label, job, colour)
        series.extend(points)
        return series

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"Series({self.label!r}, job={self.job!r}, {self._count} points)"

    @property
    def steps(self) -> np.ndarray:
        return self._steps[: self._count]

    @property
    def epochs(self) -> np.ndarray:
        """Each point's epoch (-1 where the backend did not say)."""
        return self._epochs[: self._count]

    @property
    def values(self) -> np.ndarray:
        return self._values[: self._count]

    def extend(self, points: Sequence[CurvePoint]) -> None:
        """Append points (ignoring steps already present)."""
        last = int(self._steps[self._count - 1]) if self._count else None
        fresh = [p for p in points if last is None or p.step > last]
        if not fresh:
            return
        steps, epochs, values = _columns(fresh)
        end = self._count + len(fresh)
        if end > len(self._steps):  # grow by half again (at least to fit)
            size = max(end, len(self._steps) * 3 // 2, 64)
            self._steps = np.resize(self._steps, size)
            self._epochs = np.resize(self._epochs, size)
            self._values = np.resize(self._values, size)
        self._steps[self._count : end] = steps
        self._epochs[self._count : end] = epochs
        self._values[self._count : end] = values
        self._count = end
        self.version += 1

    def smoothed(self) -> np.ndarray:
        """The exponential moving average of the values, cached until new points arrive."""
        if self._smoothed is not None and self._smoothed[0] == self.version:
            return self._smoothed[1]
        done = self._smoothed[1] if self._smoothed is not None else np.empty(0, dtype=np.float64)
        if len(done) and len(done) <= len(self.values):
            # The average is causal: continue it from its last value over the new points only.
            tail = ema([float(done[-1]), *self.values[len(done) :].tolist()], SMOOTHING_ALPHA)[1:]
            smoothed = np.concatenate([done, np.asarray(tail, dtype=np.float64)])
        else:
            smoothed = np.asarray(ema(self.values.tolist(), SMOOTHING_ALPHA), dtype=np.float64)
        self._smoothed = (self.version, smoothed)
        return smoothed

    def shown(self, smoothing: bool) -> np.ndarray:
        """The values as drawn: smoothed or raw."""
        return self.smoothed() if smoothing else self.values

    def extent(self, smoothing: bool) -> tuple[float, float]:
        """The lowest and highest value as drawn, kept up to date over new points only."""
        values = self.shown(smoothing)
        done, low, high = self._extent.get(smoothing, (0, math.inf, -math.inf))
        if done != len(values):
            fresh = values[done:] if done < len(values) else values
            low, high = min(low, float(np.min(fresh))), max(high, float(np.max(fresh)))
            self._extent[smoothing] = (len(values), low, high)
        return low, high

    def epoch_ends(self) -> dict[int, int]:
        """The last step of each epoch, by epoch number (points of unknown epoch left out);
        kept up to date over new points only."""
        done, ends = self._ends
        if done < self._count:
            ends = dict(ends)
            epochs, steps = self.epochs[done:], self.steps[done:]
            known = np.flatnonzero(epochs >= 0)
            if len(known):
                last = np.append(np.flatnonzero(np.diff(epochs[known])), len(known) - 1)
                ends.update({int(epochs[known[i]]): int(steps[known[i]]) for i in last})
            self._ends = (self._count, ends)
        return ends


def curve_points(job: Job, curve: str) -> Sequence[CurvePoint]:
    """A job's points of one named curve (empty when the backend does not report it)."""
    return job.curve(curve)


class JobSeries:
    """Each job's curves as series, kept between updates and extended in place."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], Series] = {}

    def get(self, job: Job, curve: str = TRAIN_LOSS, *, label: str | None = None) -> Series:
        """The series of one curve of a job, brought up to date; `label` names it (default: the curve)."""
        points = curve_points(job, curve)
        series = self._known.get((job.name, curve))
        if series is None:
            series = self._known[(job.name, curve)] = Series.of("", points, job=job.name)
        elif len(points) > len(series):
            series.extend(points[len(series) :])
        series.label = label or LABELS.get(curve, curve)
        return series

    def of_job(self, job: Job, metric: str = "loss") -> list[Series]:
        """One job's curves of a metric: train, and eval when it has points (each in its colour)."""
        shown = []
        for curve in METRICS[metric]:
            series = self.get(job, curve)
            series.colour = COLOURS[curve]
            if len(series) or curve == METRICS[metric][0]:
                shown.append(series)
        return shown

    def available(self, job: Job) -> list[str]:
        """The metrics this job has points for (loss first)."""
        return [metric for metric, curves in METRICS.items() if any(curve_points(job, c) for c in curves)]

    def forget(self, name: str) -> None:
        for key in [key for key in self._known if key[0] == name]:
            del self._known[key]
