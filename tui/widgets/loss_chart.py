"""The loss chart: one or more jobs' loss curves drawn with plotext.

`LossChart.show(curves, view, suggested_epochs=...)` is the one update method. The chart
downsamples each curve to about twice its width (keeping the extremes, so a spike never
disappears), draws epoch boundaries, marks the suggested epoch count, and can smooth the
curve, use a log scale or zoom to the most recent steps. The plot is rebuilt only when the
data, the view, the size or the theme changes; every other repaint reuses the last frame.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.color import Color
from textual.strip import Strip
from textual_plotext import PlotextPlot

from tui.jobs.curve import downsample, ema

if TYPE_CHECKING:
    from tui.models import CurvePoint

SMOOTHING_ALPHA = 0.1  # weight of the newest point in the moving average
MAX_EPOCH_LINES = 40  # more boundaries than this would hide the curve
LOG_FLOOR = 1e-6  # a loss of 0 cannot be drawn on a log scale
CURVE_MARKER = "braille"  # 2x4 dots per cell: the finest line plotext draws
SERIES_COLOURS = ("primary", "warning", "success", "error", "secondary", "accent")
FALLBACK_COLOURS = ("cyan", "magenta", "orange", "white")
_CONSOLE = Console(width=1, color_system="truecolor")  # only used to resolve parsed styles
_RUNS = re.compile(r" +|[^ ]+")  # blank and non-blank runs of a row
EMPTY_MESSAGE = "No loss points yet.\nThe curve appears after the first training step."


@dataclass(frozen=True)
class ChartView:
    """How the curves are shown: smoothed or raw, linear or log scale, all steps or the last N."""

    smoothing: bool = False
    log_scale: bool = False
    recent_steps: int | None = None  # zoom: show only the last N steps


# Zoom levels step through these shares of the curve (None: the whole curve).
ZOOM_SHARES = (None, 0.5, 0.25, 0.1)
MIN_ZOOM_STEPS = 10


def zoom_steps(level: int, points: int) -> int | None:
    """How many recent steps zoom level `level` shows for a curve of `points` points."""
    share = ZOOM_SHARES[level % len(ZOOM_SHARES)]
    return None if share is None else max(MIN_ZOOM_STEPS, int(points * share))


def describe(view: ChartView) -> str:
    """A chart title saying what the view shows: `loss (smoothed) · log scale · last 50 steps`."""
    parts = ["loss (smoothed)" if view.smoothing else "loss per step"]
    if view.log_scale:
        parts.append("log scale")
    if view.recent_steps:
        parts.append(f"last {view.recent_steps} steps")
    return " · ".join(parts)


@dataclass
class Curve:
    """One job's loss points as arrays; `extend` appends new points in place."""

    label: str
    steps: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    epochs: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    losses: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.float64))
    version: int = 0
    _smoothed: tuple[int, np.ndarray] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, label: str, points: Sequence[CurvePoint]) -> Curve:
        curve = cls(label)
        curve.extend(points)
        return curve

    def __len__(self) -> int:
        return len(self.steps)

    def extend(self, points: Sequence[CurvePoint]) -> None:
        """Append points (ignoring steps already present)."""
        last = int(self.steps[-1]) if len(self.steps) else None
        fresh = [s for s in points if last is None or s.step > last]
        if not fresh:
            return
        self.steps = np.concatenate([self.steps, np.fromiter((s.step for s in fresh), np.int64, len(fresh))])
        self.epochs = np.concatenate([self.epochs, np.fromiter((s.epoch or 0 for s in fresh), np.int64, len(fresh))])
        self.losses = np.concatenate([self.losses, np.fromiter((s.value for s in fresh), np.float64, len(fresh))])
        self.version += 1

    def smoothed(self) -> np.ndarray:
        """The exponential moving average of the losses, cached until new points arrive."""
        if self._smoothed is not None and self._smoothed[0] == self.version:
            return self._smoothed[1]
        done = self._smoothed[1] if self._smoothed is not None else np.empty(0, dtype=np.float64)
        if len(done) and len(done) <= len(self.losses):
            # The average is causal: continue it from its last value over the new points only.
            tail = ema([float(done[-1]), *self.losses[len(done) :].tolist()], SMOOTHING_ALPHA)[1:]
            smoothed = np.concatenate([done, np.asarray(tail, dtype=np.float64)])
        else:
            smoothed = np.asarray(ema(self.losses.tolist(), SMOOTHING_ALPHA), dtype=np.float64)
        self._smoothed = (self.version, smoothed)
        return smoothed

    def epoch_ends(self) -> dict[int, int]:
        """The last step of each epoch, by epoch number."""
        if not len(self.epochs):
            return {}
        change = np.flatnonzero(np.diff(self.epochs)) if len(self.epochs) > 1 else np.empty(0, dtype=np.int64)
        ends = np.append(change, len(self.epochs) - 1)
        return {int(self.epochs[i]): int(self.steps[i]) for i in ends}


def _rgb(variables: dict[str, str], name: str) -> tuple[int, int, int] | str:
    value = variables.get(name)
    if not value:
        return "default"
    try:
        return Color.parse(value).rgb
    except Exception:  # a theme variable plotext cannot use: fall back to the terminal's colour
        return "default"


@lru_cache(maxsize=256)
def _cell_style(fullground, style, background) -> Style:
    """The Rich style of a plotext cell colour triple (parsed once per distinct triple)."""
    from plotext._utility import colors_to_ansi

    ansi = colors_to_ansi(fullground, style, background)
    text = Text.from_ansi(f"{ansi}x")
    return text.get_style_at_offset(_CONSOLE, 0) if ansi else Style.null()


def _matrix_strips(matrix, base: Style) -> list[Strip]:
    """A plotext canvas as Textual strips, one per row, read straight from its cell matrix.

    plotext would join the cells into an ANSI string for Rich to parse back, and Textual
    would then convert that text again: reading the matrix directly gives the same picture
    at a fraction of the cost. `base` is the widget's own style, under the cells' colours.
    """
    strips = []
    width = matrix.cols
    for row in range(matrix.rows - 1, -1, -1):  # plotext stores the bottom row first
        markers, fg, st, bg = matrix.marker[row], matrix.fullground[row], matrix.style[row], matrix.background[row]
        segments = []
        start = 0
        for col in range(1, width + 1):
            if col == width or fg[col] != fg[start] or st[col] != st[start] or bg[col] != bg[start]:
                style = base + _cell_style(_hashable(fg[start]), st[start], _hashable(bg[start]))
                for piece in _RUNS.findall("".join(markers[start:col])):
                    segments.append(Segment(piece, _blank_style(style) if piece[0] == " " else style))
                start = col
        strips.append(Strip(segments, width))
    return strips


@lru_cache(maxsize=256)
def _blank_style(style: Style) -> Style:
    """The style of a run of blanks: only its background shows (as Textual renders text).

    Kept apart from the marks' style so that SVG exports place every label at its cell.
    """
    if style.underline or style.reverse or style.strike:
        return style
    return Style(bgcolor=style.bgcolor)


def _hashable(colour):
    return tuple(colour) if isinstance(colour, list) else colour


def _log_ticks(y_range: tuple[float, float], count: int = 5) -> tuple[list[float], list[str]]:
    """Tick positions (log10 of the loss) and their labels in loss units."""
    low, high = y_range
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    positions = [float(p) for p in np.linspace(low, high, count)]
    return positions, [f"{10 ** p:.3g}" for p in positions]


def _integer_ticks(low: float, high: float, count: int = 5) -> list[int]:
    if high <= low:
        return [int(low)]
    return sorted({round(low + (high - low) * i / (count - 1)) for i in range(count)})


class LossChart(PlotextPlot):
    """Loss curves of one or more jobs, with epoch boundaries and the suggested epoch marked."""

    DEFAULT_CSS = """
    LossChart {
        width: 1fr;
        height: 1fr;
        min-height: 8;
    }
    LossChart.-empty {
        content-align: center middle;
        color: $text-muted;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._curves: tuple[Curve, ...] = ()
        self._view = ChartView()
        self._suggested: int | None = None
        self._title = ""
        self._frame_key: tuple | None = None
        self._frame: list[Strip] | None = None  # the plot's rows; None: the empty message
        self.builds = 0  # how many times the plot was rebuilt (the benchmark and tests read it)
        self.drawn_points: tuple[int, ...] = ()  # points plotted per curve in the last build

    @property
    def view(self) -> ChartView:
        return self._view

    @property
    def curves(self) -> tuple[Curve, ...]:
        return self._curves

    def show(
        self,
        curves: Sequence[Curve],
        view: ChartView | None = None,
        *,
        suggested_epochs: int | None = None,
        title: str = "",
    ) -> None:
        """Show these curves; the plot is rebuilt on the next paint only if something changed."""
        self._curves = tuple(curves)
        if view is not None:
            self._view = view
        self._suggested = suggested_epochs
        self._title = title
        self.set_class(not any(len(c) for c in self._curves), "-empty")
        if self._key() != self._frame_key:
            self.refresh()

    def _key(self) -> tuple:
        data = tuple((id(c), c.version, len(c), c.label) for c in self._curves)
        return (data, self._view, self._suggested, self._title, self.size.width, self.size.height, self.app.theme)

    def _current_frame(self) -> list[Strip] | None:
        """The plot's rows, rebuilt only when the data, view, size or theme changed."""
        key = self._key()
        if key != self._frame_key:
            self._frame = self._build()
            self._frame_key = key
        return self._frame

    def render_line(self, y: int) -> Strip:
        """A row of the plot (Textual's line API: no text to convert on every rebuild)."""
        frame = self._current_frame()
        if frame is None:
            return super().render_line(y)  # the empty message, aligned by CSS
        return frame[y] if y < len(frame) else Strip.blank(self.size.width, self.visual_style.rich_style)

    def render(self) -> RenderResult:
        """The chart as text: what `render_line` draws, or the empty message."""
        frame = self._current_frame()
        if frame is None:
            return Text(EMPTY_MESSAGE, justify="center")
        return Text("\n".join(strip.text for strip in frame), no_wrap=True, overflow="crop")

    def _build(self) -> list[Strip] | None:
        width, height = self.size.width, self.size.height
        if not any(len(c) for c in self._curves) or width < 10 or height < 4:
            return None
        self.builds += 1
        plt = self._plot
        plt.clear_figure()
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        variables = self.app.theme_variables
        max_points = max(16, 2 * width)
        low_step, high_step = self._visible_range()
        drawn: list[int] = []
        y_range = (0.0, 0.0)
        colours = self._series_colours(variables)
        for index, curve in enumerate(self._curves):
            if not len(curve):
                continue
            mask_start = int(np.searchsorted(curve.steps, low_step, side="left"))
            steps = curve.steps[mask_start:]
            losses = (curve.smoothed() if self._view.smoothing else curve.losses)[mask_start:]
            if self._view.log_scale:
                # Plotted as log10 on a linear axis with labels in loss units: the same
                # picture as plotext's log scale at a third of the cost.
                losses = np.log10(np.maximum(losses, LOG_FLOOR))
            xs, ys = downsample(steps, losses, max_points)
            drawn.append(len(xs))
            low, high = float(np.min(ys)), float(np.max(ys))
            y_range = (low, high) if not drawn[:-1] else (min(y_range[0], low), max(y_range[1], high))
            colour = colours[index % len(colours)]
            label = curve.label if len(self._curves) > 1 else None
            # Dense curves arrive as each bucket's minimum and maximum, two points per column:
            # dots draw that band faithfully, while lines would fill every bucket's full
            # range pixel by pixel (the slow part of plotext) and show no more.
            draw = plt.scatter if len(steps) > max_points else plt.plot
            draw(list(map(float, xs)), list(map(float, ys)), marker=CURVE_MARKER, color=colour, label=label)
        self.drawn_points = tuple(drawn)
        self._y_range = y_range
        boundaries = self._draw_epochs(plt, variables, low_step, high_step)
        if self._view.log_scale and drawn:
            plt.yticks(*_log_ticks(self._y_range))
        plt.xticks(_integer_ticks(low_step, high_step))
        plt.xlim(low_step, high_step)
        plt.xlabel("step   (│ epoch boundary)" if boundaries else "step")
        plt.title(self._title)
        plt.plotsize(width, height)
        plt._set_size(width, height)  # see PlotextPlot.render: resizing needs both calls
        # What plt.build() does before it joins the cells into ANSI text.
        plt._set_sizes()
        plt._build_matrix()
        return _matrix_strips(plt.monitor.matrix, self.visual_style.rich_style)

    @staticmethod
    def _series_colours(variables: dict[str, str]) -> list:
        """Distinct colours from the theme (some themes share a colour between variables)."""
        colours: list = []
        for name in SERIES_COLOURS:
            colour = _rgb(variables, name)
            if colour not in colours:
                colours.append(colour)
        return colours + [c for c in FALLBACK_COLOURS if c not in colours]

    def _visible_range(self) -> tuple[int, int]:
        lows = [int(c.steps[0]) for c in self._curves if len(c)]
        highs = [int(c.steps[-1]) for c in self._curves if len(c)]
        low, high = min(lows), max(highs)
        if self._view.recent_steps:
            low = max(low, high - self._view.recent_steps + 1)
        return low, max(high, low + 1)

    def _draw_epochs(self, plt, variables: dict[str, str], low: int, high: int) -> bool:
        """Epoch boundaries of a single curve and the suggested epoch count as a marked point.

        Returns whether boundaries were drawn.
        """
        shown = [c for c in self._curves if len(c)]
        if len(shown) != 1:
            return False  # overlaid jobs have their own epoch lengths: boundaries would mislead
        curve = shown[0]
        ends = curve.epoch_ends()
        boundaries = [step for epoch, step in sorted(ends.items())[:-1] if low <= step < high]
        drawn = bool(boundaries) and len(boundaries) <= MAX_EPOCH_LINES
        if drawn:
            for step in boundaries:
                plt.vline(step + 0.5, _rgb(variables, "panel-lighten-2"))
        if self._suggested is None or not ends:
            return drawn
        first_epoch = min(ends)
        step = ends.get(first_epoch + self._suggested - 1)
        if step is None or not low <= step <= high:
            return drawn
        index = int(np.searchsorted(curve.steps, step))
        losses = curve.smoothed() if self._view.smoothing else curve.losses
        loss = float(np.log10(max(float(losses[index]), LOG_FLOOR))) if self._view.log_scale else float(losses[index])
        plt.scatter(
            [float(step)],
            [loss],
            marker="●",
            color=_rgb(variables, "success"),
            label=f"suggested: {self._suggested} epochs",
        )
        return drawn
