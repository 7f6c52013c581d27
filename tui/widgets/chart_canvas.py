"""Curves as braille dots, and axis scales that stay put while points arrive.

Pure numpy, no Textual: `trace` turns a curve into one vertical run of dots per pixel
column (a line where points are sparse, the column's min-max band where they are dense),
`braille` packs dots into cells (2x4 dots each). The scales round outwards to 1-2-5 steps,
so an axis changes only when the data crosses one of its round numbers: already drawn
points stay where they are, and only the cells new points touch change.
"""

from __future__ import annotations

import math

import numpy as np

DOTS_X, DOTS_Y = 2, 4  # braille dots per cell
# Bit of each dot in a braille cell, by dot row counted from the cell's bottom, then column.
_BITS = np.array([[0x40, 0x80], [0x04, 0x20], [0x02, 0x10], [0x01, 0x08]], dtype=np.int32)
_NICE = (1.0, 2.0, 2.5, 5.0, 10.0)
_LOG_NICE = (1.0, 2.0, 5.0)


def nice_step(span: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least `span`."""
    if not span > 0 or not math.isfinite(span):
        return 1.0
    power = 10.0 ** math.floor(math.log10(span))
    return next(f * power for f in _NICE if f * power >= span * (1 - 1e-9))


def _decimals(step: float) -> int:
    """Digits after the point that show every multiple of `step` exactly."""
    for digits in range(0, 10):
        if abs(round(step, digits) - step) < step * 1e-6:
            return digits
    return 10


def linear_scale(low: float, high: float, intervals: int = 4) -> tuple[float, float, list[float], list[str]]:
    """Round bounds around [low, high] and their ticks: (bottom, top, ticks, labels).

    Positive values that reach down to half their maximum are drawn from 0: a falling
    loss then moves the axis only when it sets a new maximum.
    """
    if 0 <= low <= high / 2:
        low = 0.0
    if not high - low > 1e-12:
        pad = abs(low) * 0.1 or 0.5
        low, high = low - pad, high + pad
    step = nice_step((high - low) / intervals)
    bottom, top = math.floor(low / step + 1e-9) * step, math.ceil(high / step - 1e-9) * step
    count = round((top - bottom) / step)
    ticks = [bottom + i * step for i in range(count + 1)]
    digits = _decimals(step)
    return bottom, top, ticks, [f"{tick:.{digits}f}" for tick in ticks]


def _log_values(low_exp: int, high_exp: int) -> list[float]:
    return [f * 10.0**exp for exp in range(low_exp, high_exp + 1) for f in _LOG_NICE]


def log_scale(low: float, high: float, max_ticks: int = 7) -> tuple[float, float, list[float], list[str]]:
    """Round bounds on a log scale (1-2-5 values around [low, high], both > 0).

    Returns (bottom, top, ticks) as log10 values, and tick labels in the data's units.
    """
    values = _log_values(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1)
    bottom = max(v for v in values if v <= low * (1 + 1e-9))
    top = min(v for v in values if v >= high * (1 - 1e-9))
    if top <= bottom:
        top = min(v for v in values if v > bottom)
    ticks = [v for v in values if bottom * (1 - 1e-9) <= v <= top * (1 + 1e-9)]
    if len(ticks) > max_ticks:  # many decades: powers of ten only, and the bounds
        ticks = [v for v in ticks if v in (bottom, top) or math.isclose(math.log10(v), round(math.log10(v)))]
    return math.log10(bottom), math.log10(top), [math.log10(v) for v in ticks], [f"{v:g}" for v in ticks]


def decades(low: float, high: float) -> float:
    """How many powers of ten [low, high] spans (0 when it cannot be drawn on a log scale)."""
    return math.log10(high / low) if low > 0 and high > 0 else 0.0


def step_range(first: int, last: int, total: int | None) -> tuple[int, int]:
    """The x axis of a whole curve: from 0 to the known total steps, else to a round number
    past the last step, so points already drawn do not move as more arrive."""
    end = max(total or 0, last)
    if not total:
        unit = 10 ** max(0, math.floor(math.log10(max(last, 1)))) // 2 or 1
        end = max(10, math.ceil(last / unit) * unit)
    return min(0, first), end


def step_ticks(low: int, high: int, intervals: int = 5) -> list[int]:
    """Both ends and the round steps between them (none crowding an end)."""
    if high <= low:
        return [low]
    step = max(1, int(nice_step((high - low) / intervals)))  # steps are whole numbers
    first = -(-low // step) * step
    keep = [t for t in range(first, high, step) if t - low >= step / 2 and high - t >= step / 2]
    return [low, *keep, high]


class Trace:
    """Where a curve passes in each pixel column of a canvas, extended in place as points
    are appended (a training job's new points cost only the columns they reach).

    Each column gets one vertical run covering where the polyline through the points
    passes in it: a line between sparse points, the min-max band of dense ones. Positions
    map to dots as plotext maps its ticks.
    """

    def __init__(self, x_range: tuple[float, float], y_range: tuple[float, float], width: int, height: int) -> None:
        self.x_range, self.y_range = x_range, y_range
        self.cols, self.rows = max(0, width) * DOTS_X, max(0, height) * DOTS_Y
        self.low = np.full(self.cols, np.inf)  # in dot rows, before rounding
        self.high = np.full(self.cols, -np.inf)
        self.count = 0  # points traced so far
        self._last: tuple[float, float] | None = None  # the last point, to join the next ones to

    def add(self, xs: np.ndarray, ys: np.ndarray) -> Trace:
        """Trace points that follow those already traced (in step order)."""
        if not len(xs) or not self.cols or not self.rows:
            return self
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        fx = (self.cols - 1) * (np.asarray(xs, dtype=np.float64) - x0) / ((x1 - x0) or 1.0)
        fy = (self.rows - 1) * (np.asarray(ys, dtype=np.float64) - y0) / ((y1 - y0) or 1.0)
        if self._last is not None:  # join on from the last point traced
            fx, fy = np.concatenate(([self._last[0]], fx)), np.concatenate(([self._last[1]], fy))
        self.count += len(xs)
        self._last = (float(fx[-1]), float(fy[-1]))
        column = np.floor(fx + 0.5).astype(np.int64)
        first, last = int(column[0]), int(column[-1])
        span = np.arange(first, last + 1)
        # Where the line enters and leaves each column (clipped to these points' ends).
        left = np.interp(np.clip(span - 0.5, fx[0], fx[-1]), fx, fy)
        right = np.interp(np.clip(span + 0.5, fx[0], fx[-1]), fx, fy)
        low, high = np.minimum(left, right), np.maximum(left, right)
        # And every point inside the column.
        starts = np.concatenate(([0], np.flatnonzero(np.diff(column)) + 1))
        where = column[starts] - first
        low[where] = np.minimum(low[where], np.minimum.reduceat(fy, starts))
        high[where] = np.maximum(high[where], np.maximum.reduceat(fy, starts))
        visible = (span >= 0) & (span < self.cols)
        cols = span[visible]
        self.low[cols] = np.minimum(self.low[cols], low[visible])
        self.high[cols] = np.maximum(self.high[cols], high[visible])
        return self

    def grid(self) -> np.ndarray:
        """The dots: bool[rows, cols], row 0 at the bottom."""
        drawn = np.isfinite(self.low)
        bottom = np.clip(np.floor(self.low[drawn] + 0.5), 0, self.rows - 1)
        top = np.clip(np.floor(self.high[drawn] + 0.5), 0, self.rows - 1)
        grid = np.zeros((self.rows, self.cols), dtype=bool)
        dot_rows = np.arange(self.rows)[:, None]
        grid[:, drawn] = (dot_rows >= bottom) & (dot_rows <= top)
        return grid


def trace(
    xs: np.ndarray, ys: np.ndarray, x_range: tuple[float, float], y_range: tuple[float, float], width: int, height: int
) -> np.ndarray:
    """Dots of a whole curve on a canvas of `width` x `height` cells (see `Trace`)."""
    return Trace(x_range, y_range, width, height).add(xs, ys).grid()


def braille(grid: np.ndarray) -> np.ndarray:
    """Pack dots (bool[rows, cols], row 0 at the bottom) into braille code points per cell."""
    rows, cols = grid.shape
    codes = np.full((rows // DOTS_Y, cols // DOTS_X), 0x2800, dtype=np.int64)
    for dy in range(DOTS_Y):  # one dot position of every cell at a time: a sum over a 4-d view is 7x slower
        for dx in range(DOTS_X):
            codes += grid[dy::DOTS_Y, dx::DOTS_X] * int(_BITS[dy, dx])
    return codes
