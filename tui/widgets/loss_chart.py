"""The loss chart: named curves (one job's train and eval loss, or several jobs') in one plot.

`LossChart.show(series, view, steps_total=..., suggested_epochs=...)` is the one update
method; a `Series` is a name, its points and a colour. plotext draws the frame (axes,
ticks, title, epoch boundaries); the curves are traced with numpy as lines, or as each
column's min-max band where points are dense (`chart_canvas`), then a legend names them.

The axes hold still while a job trains: steps run from 0 to the job's total, the loss
axis is rounded out to 1-2-5 steps. So a new point changes only the cells it touches, and
only those cells are repainted: the chart diffs each new frame against the last one. The
plot is rebuilt only when the data, the view, the size or the theme changes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.text import Text
from textual.app import RenderResult
from textual.color import Color
from textual.strip import Strip
from textual_plotext import PlotextPlot

from tui.widgets.chart_canvas import Trace, braille, decades, linear_scale, log_scale, step_range, step_ticks
from tui.widgets.chart_series import Series
from tui.widgets.line_diff import changed_regions
from tui.widgets.plotext_strips import Cells, matrix_strips

# Epoch lines at least this many columns apart, or none: closer ones would hide the curve (and
# a job with many short epochs would redraw a column of the chart at every epoch's end).
MIN_EPOCH_GAP_COLS = 4
Y_AXIS_COLS = 10  # about what the loss axis's labels take of the chart's width
LOG_FLOOR = 1e-6  # a loss of 0 cannot be drawn on a log scale
SERIES_COLOURS = ("primary", "warning", "success", "error", "secondary", "accent")
FALLBACK_COLOURS = ("cyan", "magenta", "orange", "white")
BLANK_CELL = 0x2800  # a braille cell with no dots
LEGEND_LINE = "⠤⠤"  # a short horizontal line in the curve's colour
EMPTY_MESSAGE = "No loss points yet.\nThe curve appears after the first training step."


@dataclass(frozen=True)
class ChartView:
    """What the chart shows (loss or accuracy) and how: smoothed or raw, linear or log
    scale, all steps or the last N."""

    smoothing: bool = False
    log_scale: bool = False
    recent_steps: int | None = None  # zoom: show only the last N steps
    metric: str = "loss"


# Zoom levels step through these shares of the curve (None: the whole curve).
ZOOM_SHARES = (None, 0.5, 0.25, 0.1)
MIN_ZOOM_STEPS = 10


def zoom_steps(level: int, points: int) -> int | None:
    """How many recent steps zoom level `level` shows for a curve of `points` points."""
    share = ZOOM_SHARES[level % len(ZOOM_SHARES)]
    return None if share is None else max(MIN_ZOOM_STEPS, int(points * share))


def describe(view: ChartView) -> str:
    """A chart title saying what the view shows: `loss (smoothed) · log scale · last 50 steps`."""
    parts = [f"{view.metric} (smoothed)" if view.smoothing else f"{view.metric} per step"]
    if view.log_scale:
        parts.append("log scale")
    if view.recent_steps:
        parts.append(f"last {view.recent_steps} steps")
    return " · ".join(parts)


def _rgb(variables: dict[str, str], name: str) -> tuple[int, int, int] | str:
    value = variables.get(name)
    if not value:
        return "default"
    try:
        return Color.parse(value).rgb
    except Exception:  # noqa: BLE001 - a theme variable plotext cannot use: fall back to the terminal's colour
        return "default"


@dataclass
class _Canvas:
    """Where the plot area lies in plotext's matrix and what its axes span."""

    matrix: Cells
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    @property
    def cols(self) -> range:
        return self.matrix.plot_cols

    @property
    def rows(self) -> range:  # bottom-up, as plotext stores them
        return self.matrix.plot_rows

    def cell(self, x: float, y: float) -> tuple[int, int] | None:
        """The matrix (column, row) of a data point, as `trace` places its dots."""
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        dot_x = math.floor(0.5 + (2 * len(self.cols) - 1) * (x - x0) / ((x1 - x0) or 1))
        dot_y = math.floor(0.5 + (4 * len(self.rows) - 1) * (y - y0) / ((y1 - y0) or 1))
        col, row = self.cols.start + dot_x // 2, self.rows.start + dot_y // 4
        return (col, row) if col in self.cols and row in self.rows else None

    def put(self, col: int, row: int, marker: str, colour: Any) -> None:
        self.matrix.marker[row][col] = marker
        self.matrix.fullground[row][col] = colour


class LossChart(PlotextPlot):
    """Named curves with epoch boundaries, the suggested epoch marked and a legend."""

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
        self._series: tuple[Series, ...] = ()
        self._view = ChartView()
        self._steps_total: int | None = None
        self._suggested: int | None = None
        self._title = ""
        self._frame_key: tuple | None = None
        self._frame: list[Strip] | None = None  # the plot's rows; None: the empty message
        self.builds = 0  # how many times the plot was rebuilt (the benchmark and tests read it)
        self.repainted_cells = 0  # cells marked for repaint by the last partial update (tests read it)
        self.repaints = 0  # refreshes asked for by `show` (the benchmark reads it)
        self._axes_cache: tuple[tuple, Cells] | None = None  # the frame without curves, and its key
        self._ticks_colour: Any = None
        self._drawn: tuple[Cells, list[Strip], Any] | None = None  # the last cells, their strips, the base style
        self._traces: dict[int, tuple[tuple, Trace]] = {}  # each series' trace (by id), and what it was traced for

    @property
    def view(self) -> ChartView:
        return self._view

    @property
    def series(self) -> tuple[Series, ...]:
        return self._series

    def show(
        self,
        series: Sequence[Series],
        view: ChartView | None = None,
        *,
        steps_total: int | None = None,
        suggested_epochs: int | None = None,
        title: str = "",
    ) -> None:
        """Show these curves on a step axis up to `steps_total` (when known).

        A changed picture repaints only the cells that differ from what is on screen.
        """
        self._series = tuple(series)
        if view is not None:
            self._view = view
        self._steps_total = steps_total or None
        self._suggested = suggested_epochs
        self._title = title
        self.set_class(not any(len(s) for s in self._series), "-empty")
        key = self._key()
        if key == self._frame_key:
            return
        old, same_canvas = self._frame, self._frame_key is not None and self._frame_key[-2:] == key[-2:]
        frame = self._current_frame() if old is not None and same_canvas and self.is_mounted else None
        if frame is None or old is None:
            self.repaints += 1
            self.refresh()
            return
        regions = changed_regions(old, frame, self.size.width)
        self.repainted_cells = sum(region.area for region in regions)
        if regions:
            self.repaints += 1
            self.refresh(*regions)

    def _key(self) -> tuple:
        data = tuple((id(s), s.version, len(s), s.label, s.colour) for s in self._series)
        size = (self.size.width, self.size.height)
        return (data, self._view, self._steps_total, self._suggested, self._title, size, self.app.theme)

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

    # -- building a frame -------------------------------------------------------------

    def _build(self) -> list[Strip] | None:
        width, height = self.size.width, self.size.height
        shown = [s for s in self._series if len(s)]
        if not shown or width < 10 or height < 4:
            return None
        self.builds += 1
        variables = self.app.theme_variables
        x_range = self._x_range(shown)
        curves = [(s, int(np.searchsorted(s.steps, x_range[0], side="left"))) for s in shown]
        curves = [(s, start) for s, start in curves if start < len(s)]
        extents = [self._extent(s, start) for s, start in curves]
        low = min((e[0] for e in extents), default=0.0)
        high = max((e[1] for e in extents), default=1.0)
        if self._view.log_scale:
            scale = log_scale(max(low, LOG_FLOOR), max(high, LOG_FLOOR))
        else:
            scale = linear_scale(low, high)
        boundaries = self._boundaries(shown, x_range, width - Y_AXIS_COLS)
        title = self._title + self._log_hint(low, high)
        axes = self._axes(x_range, scale, bool(boundaries), title, variables)
        bottom, top = scale[0], scale[1]
        canvas = _Canvas(axes.copy(), (float(x_range[0]), float(x_range[1])), (bottom, top))
        self._draw_boundaries(canvas, boundaries, _rgb(variables, "panel-lighten-2"))
        colours = self._colours(variables)
        legend = []
        traces: dict[int, tuple[tuple, Trace]] = {}
        for s, start in curves:
            colour = colours[id(s)]
            traces[id(s)] = self._traced(s, start, canvas, self._traces.get(id(s)))
            self._draw(canvas, traces[id(s)][1], colour)
            legend.append((LEGEND_LINE, colour, s.label))
        self._traces = traces
        legend = legend if len(curves) > 1 else []
        legend += self._mark_suggestion(canvas, variables, shown)
        self._draw_legend(canvas, legend, self._ticks_colour)
        base = self.visual_style.rich_style
        previous = self._drawn if self._drawn is not None and self._drawn[2] == base else None
        strips = matrix_strips(canvas.matrix, base, previous[:2] if previous else None)
        self._drawn = (canvas.matrix, strips, base)
        return strips

    def _axes(
        self,
        x_range: tuple[int, int],
        scale: tuple[float, float, list[float], list[str]],
        boundaries: bool,
        title: str,
        variables: dict[str, str],
    ) -> Cells:
        """The frame without curves (axes, ticks, title), drawn by plotext only when one of
        those changed: new points and new epochs reuse it."""
        key = (x_range, scale[:2], tuple(scale[3]), boundaries, title, self.size, self.app.theme)
        if self._axes_cache is not None and self._axes_cache[0] == key:
            return self._axes_cache[1]
        width, height = self.size.width, self.size.height
        bottom, top, ticks, labels = scale
        plt: Any = self._plot  # plotext's own build steps are not in its typed surface
        plt.clear_figure()
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        plt.xlim(*x_range)
        plt.ylim(bottom, top)
        plt.yticks(ticks, labels)
        plt.xticks(step_ticks(*x_range))
        plt.scatter([float(x_range[0])], [bottom], marker=" ")  # keeps the axes: the curves are traced below
        plt.xlabel("step   (│ epoch boundary)" if boundaries else "step")
        plt.title(title)
        plt.plotsize(width, height)
        plt._set_size(width, height)  # see PlotextPlot.render: resizing needs both calls
        # What plt.build() does before it joins the cells into ANSI text.
        plt._set_sizes()
        plt._build_matrix()
        self._ticks_colour = plt.monitor.ticks_color
        cells = Cells.of(plt.monitor.matrix)
        self._axes_cache = (key, cells)
        return cells

    def _x_range(self, shown: list[Series]) -> tuple[int, int]:
        first = min(int(s.steps[0]) for s in shown)
        last = max(int(s.steps[-1]) for s in shown)
        if self._view.recent_steps:
            low = max(first, last - self._view.recent_steps + 1)
            return low, max(last, low + 1)
        return step_range(first, last, self._steps_total)

    def _extent(self, series: Series, start: int) -> tuple[float, float]:
        """The lowest and highest value drawn from index `start` on."""
        if start == 0:
            return series.extent(self._view.smoothing)
        values = series.shown(self._view.smoothing)[start:]
        return float(np.min(values)), float(np.max(values))

    def _traced(
        self, series: Series, start: int, canvas: _Canvas, known: tuple[tuple, Trace] | None
    ) -> tuple[tuple, Trace]:
        """The series' trace on this canvas: the one from the last frame with the new points
        added when the canvas and view are the same, else traced afresh."""
        key = (id(series), canvas.x_range, canvas.y_range, len(canvas.cols), len(canvas.rows), self._view, start)
        if known is None or known[0] != key or known[1].count > len(series) - start:
            known = (key, Trace(canvas.x_range, canvas.y_range, len(canvas.cols), len(canvas.rows)))
        trace = known[1]
        begin = start + trace.count
        if begin < len(series):
            values = series.shown(self._view.smoothing)[begin:]
            if self._view.log_scale:
                values = np.log10(np.maximum(values, LOG_FLOOR))
            trace.add(series.steps[begin:], values)
        return known

    def _log_hint(self, low: float, high: float) -> str:
        """Suggest the log scale when the linear one squeezes most of the curve near its floor."""
        spans = decades(low, high)
        if self._view.log_scale or spans < 1:
            return ""
        count = math.floor(spans)
        return f" · spans {count} decade{'s' if count > 1 else ''}: l for log scale"

    def _colours(self, variables: dict[str, str]) -> dict[int, Any]:
        """A colour per series (by id): its own theme variable, else the next distinct one."""
        palette: list[Any] = []
        for name in SERIES_COLOURS:
            colour = _rgb(variables, name)
            if colour not in palette:
                palette.append(colour)
        palette += [c for c in FALLBACK_COLOURS if c not in palette]
        chosen = {id(s): _rgb(variables, s.colour) for s in self._series if s.colour}
        free = [c for c in palette if c not in chosen.values()] or palette
        for index, s in enumerate(s for s in self._series if not s.colour):
            chosen[id(s)] = free[index % len(free)]
        return chosen

    @staticmethod
    def _draw(canvas: _Canvas, trace: Trace, colour: Any) -> None:
        """Draw one curve's dots into the plot area, over the epoch lines and earlier curves."""
        codes = braille(trace.grid())
        rows, cols = np.nonzero(codes != BLANK_CELL)
        markers, colours = canvas.matrix.marker, canvas.matrix.fullground
        top, left = canvas.rows.start, canvas.cols.start
        cells = zip((rows + top).tolist(), (cols + left).tolist(), codes[rows, cols].tolist(), strict=True)
        for row, col, code in cells:
            under = markers[row][col]
            if "\u2800" <= under <= "\u28ff":  # another curve's dots: keep both
                code |= ord(under)
            markers[row][col] = chr(code)
            colours[row][col] = colour

    @staticmethod
    def _draw_boundaries(canvas: _Canvas, boundaries: list[int], colour: Any) -> None:
        """A `│` down the plot area after the last step of each epoch (as plotext's vline)."""
        (x0, x1), width = canvas.x_range, len(canvas.cols)
        markers, colours = canvas.matrix.marker, canvas.matrix.fullground
        for step in boundaries:
            col = canvas.cols.start + math.floor(0.5 + (width - 1) * (step + 0.5 - x0) / ((x1 - x0) or 1))
            if col not in canvas.cols:
                continue
            for row in canvas.rows:
                if markers[row][col] == " ":
                    markers[row][col] = "│"
                    colours[row][col] = colour
            for row, joint in ((canvas.rows.start - 1, "┴"), (canvas.rows.stop, "┬")):  # where it meets the frame
                if 0 <= row < len(markers) and markers[row][col] == "─":
                    markers[row][col] = joint

    @staticmethod
    def _boundaries(shown: list[Series], x_range: tuple[int, int], columns: int) -> list[int]:
        """Epoch boundaries to draw, when every curve shown belongs to one job and its epochs are
        at least MIN_EPOCH_GAP_COLS of the plot's `columns` wide (the step axis is fixed to the
        job's total steps, so that is known from the first epoch's end and does not change)."""
        if len({s.job for s in shown}) != 1 or (len(shown) > 1 and not shown[0].job):
            return []  # overlaid jobs have their own epoch lengths: boundaries would mislead
        low, high = x_range
        finished = [step for _, step in sorted(shown[0].epoch_ends().items())[:-1]]
        boundaries = [step for step in finished if low <= step < high]
        if not boundaries:
            return []
        # An epoch's length in steps: between the first two ends, or the first epoch's own.
        length = finished[1] - finished[0] if len(finished) > 1 else finished[0] - int(shown[0].steps[0]) + 1
        return boundaries if length * columns >= MIN_EPOCH_GAP_COLS * max(high - low, 1) else []

    def _mark_suggestion(self, canvas: _Canvas, variables: dict[str, str], shown: list[Series]) -> list:
        """The suggested epoch count as a point on the first curve; its legend entry."""
        if self._suggested is None or len({s.job for s in shown}) != 1:
            return []
        series = shown[0]
        ends = series.epoch_ends()
        if not ends:
            return []
        step = ends.get(min(ends) + self._suggested - 1)
        if step is None:
            return []
        index = int(np.searchsorted(series.steps, step))
        value = float((series.smoothed() if self._view.smoothing else series.values)[index])
        y = math.log10(max(value, LOG_FLOOR)) if self._view.log_scale else value
        cell = canvas.cell(step, y)
        if cell is None:
            return []
        colour = _rgb(variables, "success")
        canvas.put(*cell, "●", colour)
        return [("●", colour, f"suggested: {self._suggested} epochs")]

    @staticmethod
    def _draw_legend(canvas: _Canvas, entries: list, text_colour: Any) -> None:
        """One line per entry at the top right of the plot area: a mark in its colour, a label."""
        width = max((len(marker) + len(label) + 3 for marker, _, label in entries), default=0)
        if not entries or width > len(canvas.cols) or len(entries) > len(canvas.rows):
            return
        left = canvas.cols.stop - width
        for index, (marker, colour, label) in enumerate(entries):
            row = canvas.rows.stop - 1 - index
            text = f" {marker} {label}".ljust(width)
            for offset, char in enumerate(text):
                canvas.put(left + offset, row, char, colour if 0 < offset <= len(marker) else text_colour)
