"""The histogram of a dataset's input and output lengths, drawn before its tab is shown.

plotext draws it in a thread worker as soon as the stats are known, at the size the widget
will have when the Stats tab is shown: its height is fixed, its width is that of the panel
area, which is on screen while the tab is hidden. Switching to the tab then only shows
rows already drawn: no plotext on the UI loop while a key waits for its frame. A resize
(even while the tab is hidden) or a theme change draws it again the same way; until the
new rows are ready, the rows drawn before are shown, cut or padded to the width.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING, Any

from rich.style import Style
from rich.text import Text
from textual import events, work
from textual.app import RenderResult
from textual.strip import Strip
from textual.widget import Widget
from textual_plotext import PlotextPlot

from tui.widgets.plotext_strips import Cells, matrix_strips

if TYPE_CHECKING:
    from tui.models import DatasetStats

HEIGHT = 16  # rows of the histogram
MIN_WIDTH = 20  # narrower than this, nothing is drawn


def histogram_strips(stats: DatasetStats, width: int, height: int, theme: str, base: Style) -> list[Strip]:
    """The histogram as rows of cells, drawn by plotext on a figure of its own (safe in a thread)."""
    from textual_plotext.plot import Plot

    plt: Any = Plot()  # plotext's build steps are not in its typed surface
    drawn = False
    for label, summary in (("input", stats.input_chars), ("output", stats.output_chars)):
        if summary and summary.histogram and len(summary.bin_edges) >= 2:
            centres = [(a + b) / 2 for a, b in pairwise(summary.bin_edges)]
            plt.plot(centres[: len(summary.histogram)], list(summary.histogram), label=f"{label} chars",
                     marker="braille")
            drawn = True
    if drawn:
        plt.title("examples by length (characters)")
        plt.xlabel("characters")
    else:
        plt.title("no lengths to plot yet")
    # The theme after the curves: they keep plotext's default colours (the terminal's own
    # palette), and the theme sets the background and the axes.
    plt.theme(theme)
    plt.plotsize(width, height)
    plt._set_size(width, height)  # see PlotextPlot.render: resizing needs both calls
    # What plt.build() does before it joins the cells into ANSI text.
    plt._set_sizes()
    plt._build_matrix()
    return matrix_strips(Cells.of(plt.monitor.matrix), base)


def _across(widget: Widget) -> int:
    """Columns a widget takes beside its content: margins, borders, padding and a kept scrollbar gutter."""
    styles = widget.styles
    gutter = styles.scrollbar_size_vertical if styles.scrollbar_gutter == "stable" else 0
    return styles.margin.width + styles.gutter.width + gutter


class LengthHistogram(PlotextPlot):
    """Input and output lengths of one dataset's examples, as rows drawn off the UI loop."""

    DEFAULT_CSS = f"""
    LengthHistogram {{ height: {HEIGHT}; width: 1fr; }}
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._stats: DatasetStats | None = None
        self._version = 0  # one per `show`: tells the stats drawn apart
        self._frame: tuple[tuple, list[Strip]] | None = None  # what was drawn for (key), and its rows
        self._drawing: tuple | None = None  # the key being drawn
        self.builds = 0  # frames drawn (tests read it)

    @property
    def drawn(self) -> bool:
        """The rows shown are those of the current stats at the current size and theme."""
        return self._frame is not None and self._frame[0] == self._key()

    def show(self, stats: DatasetStats) -> None:
        """Draw the histogram of these stats (in the background)."""
        self._stats = stats
        self._version += 1
        self._frame = None  # another dataset's rows must not stay on screen
        self._draw()
        self.refresh()

    def on_mount(self) -> None:
        # PlotextPlot's own on_mount runs too (Textual calls each class's handler): it
        # registers the app's theme with plotext.
        # After each layout: a resize while the tab is hidden changes the width it will have.
        self.screen.screen_layout_refresh_signal.subscribe(self, lambda _screen: self._draw())
        self._draw()

    def _register_theme(self, app_theme_name: str) -> None:
        super()._register_theme(app_theme_name)
        self._draw()  # the new theme's colours

    def on_resize(self, event: events.Resize) -> None:
        self._draw()

    def expected_width(self) -> int:
        """The width this widget has, or will have once its tab is shown: that of the nearest
        ancestor on screen, less what the hidden ones between take beside their content."""
        chain = [node for node in self.ancestors_with_self if isinstance(node, Widget)]
        hidden = [index for index, node in enumerate(chain) if not node.display]
        if not hidden:
            return self.size.width
        top = hidden[-1]
        if top + 1 >= len(chain):
            return 0
        return max(0, chain[top + 1].size.width - sum(_across(node) for node in chain[: top + 1]))

    def _key(self) -> tuple:
        theme = self._get_plotext_theme_name(self.app.theme)
        return (self._version, self.expected_width(), HEIGHT, theme, self.visual_style.rich_style)

    def _draw(self) -> None:
        """Start drawing the rows for the current stats, size and theme, unless they are drawn or being drawn."""
        if self._stats is None or not self.is_attached:
            return
        key = self._key()
        if key[1] < MIN_WIDTH or key == self._drawing or (self._frame is not None and self._frame[0] == key):
            return
        self._drawing = key
        self._build(key, self._stats)

    @work(thread=True, exclusive=True, group="histogram", exit_on_error=False)
    def _build(self, key: tuple, stats: DatasetStats) -> None:
        from textual.worker import get_current_worker

        _version, width, height, theme, base = key
        strips = histogram_strips(stats, width, height, theme, base)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._built, key, strips)

    def _built(self, key: tuple, strips: list[Strip]) -> None:
        if key != self._drawing:
            return  # newer stats, size or theme since
        self._drawing = None
        self._frame = (key, strips)
        self.builds += 1
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """A row of the histogram (Textual's line API: the rows are drawn already)."""
        width, style = self.size.width, self.visual_style.rich_style
        if self._frame is None or y >= len(self._frame[1]):
            return Strip.blank(width, style)
        return self._frame[1][y].crop_extend(0, width, style)

    def render(self) -> RenderResult:
        """The histogram as text: what `render_line` draws."""
        rows = self._frame[1] if self._frame is not None else []
        return Text("\n".join(strip.text for strip in rows), no_wrap=True, overflow="crop")
