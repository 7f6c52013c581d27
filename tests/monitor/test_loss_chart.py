"""LossChart on synthetic snapshots: fallback, downsampling with extremes, toggles, no needless replots."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult

from tests.monitor.curves import falling_curve
from tui.jobs.curve import ema
from tui.models import CurvePoint
from tui.widgets.chart_series import Series
from tui.widgets.loss_chart import EMPTY_MESSAGE, ChartView, LossChart
from tui.widgets.plotext_strips import matrix_strips


class ChartApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LossChart(id="chart")


def plain(chart: LossChart) -> str:
    return str(chart.render())


def test_curve_extend_skips_known_steps_and_smooths_incrementally():
    snapshots = falling_curve(epochs=3, steps_per_epoch=5)
    curve = Series.of("job", snapshots[:7])
    first = curve.smoothed().copy()
    curve.extend(snapshots[5:])  # overlaps steps 6-7
    assert curve.steps.tolist() == list(range(1, 16))
    assert curve.version == 2
    full = ema([s.value for s in snapshots], 0.1)
    assert curve.smoothed().tolist() == pytest.approx(full)
    assert curve.smoothed()[:7].tolist() == pytest.approx(first.tolist())
    assert curve.epoch_ends() == {1: 5, 2: 10, 3: 15}


async def test_empty_chart_shows_a_readable_fallback():
    app = ChartApp()
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.query_one(LossChart)
        chart.show([Series("job")])
        await pilot.pause()
        assert plain(chart) == EMPTY_MESSAGE
        assert chart.builds == 0
        assert chart.has_class("-empty")


async def test_replots_only_when_data_or_view_changes():
    app = ChartApp()
    async with app.run_test(size=(100, 30)) as pilot:
        chart = app.query_one(LossChart)
        curve = Series.of("job", falling_curve())
        chart.show([curve], ChartView())
        await pilot.pause()
        plain(chart)
        builds = chart.builds
        assert builds == 1
        chart.show([curve], ChartView())  # same data, same view
        chart.refresh()
        await pilot.pause()
        plain(chart)
        assert chart.builds == builds
        chart.show([curve], ChartView(smoothing=True))
        await pilot.pause()
        plain(chart)
        assert chart.builds == builds + 1
        curve.extend([CurvePoint(step=61, epoch=7, value=0.04)])
        chart.show([curve], chart.view)
        await pilot.pause()
        plain(chart)
        assert chart.builds == builds + 2


async def test_a_dense_curve_keeps_its_spike():
    points = [CurvePoint(step=i, epoch=1 + i // 20_000, value=1.0 + (i % 7) / 100) for i in range(1, 100_001)]
    points[49_999] = CurvePoint(step=50_000, epoch=3, value=9.0)
    app = ChartApp()
    async with app.run_test(size=(100, 30)) as pilot:
        chart = app.query_one(LossChart)
        chart.show([Series.of("job", points)])
        await pilot.pause()
        lines = plain(chart).splitlines()
        ticks = {line.split("┤")[0].strip(): y for y, line in enumerate(lines) if "┤" in line}
        assert float(next(iter(ticks))) >= 9.0, lines  # the spike sets the top of the axis
        marked = [y for y, line in enumerate(lines) if any("\u2800" < char <= "\u28ff" for char in line)]
        under = max((label for label in ticks if float(label) < 9.0), key=float)
        assert marked[0] <= ticks[under], "\n".join(lines)  # and is drawn up there


async def test_toggles_change_the_picture_and_mark_the_suggestion():
    app = ChartApp()
    async with app.run_test(size=(100, 30)) as pilot:
        chart = app.query_one(LossChart)
        curve = Series.of("job", falling_curve(epochs=6, steps_per_epoch=10))
        chart.show([curve], ChartView(), suggested_epochs=3)
        await pilot.pause()
        raw = plain(chart)
        assert "suggested: 3 epochs" in raw
        assert raw.count("│") > 0
        chart.show([curve], ChartView(log_scale=True), suggested_epochs=3)
        await pilot.pause()
        logged = plain(chart)
        assert logged != raw
        chart.show([curve], ChartView(recent_steps=20))
        await pilot.pause()
        zoomed = plain(chart)
        assert "41" in zoomed.splitlines()[-2] and "60" in zoomed.splitlines()[-2]
        assert "suggested" not in zoomed  # epoch 3 ends at step 30, outside the zoom


async def test_strips_match_plotexts_own_ansi_output():
    app = ChartApp()
    async with app.run_test(size=(70, 20)) as pilot:
        chart = app.query_one(LossChart)
        chart.show([Series.of("job", falling_curve())], ChartView(log_scale=True), suggested_epochs=3, title="t")
        await pilot.pause()
        assert chart.render().plain == "\n".join(strip.text for strip in chart._current_frame())
        strips = matrix_strips(chart._plot.monitor.matrix, Style())
        fast = Text("\n").join(Text.assemble(*((segment.text, segment.style) for segment in strip)) for strip in strips)
        reference = Text.from_ansi(chart._plot.monitor.matrix.set_canvas())
        assert fast.plain == reference.plain.rstrip("\n")
        # Same style on every cell (sampled across the canvas).
        console = Console(width=1, color_system="truecolor")
        for offset in range(0, len(fast.plain), 37):
            assert fast.get_style_at_offset(console, offset) == reference.get_style_at_offset(console, offset), offset
