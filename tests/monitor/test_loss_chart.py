"""LossChart on synthetic snapshots: fallback, downsampling with extremes, toggles, no needless replots."""

from __future__ import annotations

import math

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


def braille_columns(text: str) -> list[int]:
    """Columns of the chart's text that hold at least one dot of a curve."""
    return sorted({x for line in text.splitlines() for x, char in enumerate(line) if "\u2800" < char <= "\u28ff"})


async def test_a_curve_is_drawn_as_a_line_not_a_cloud_of_dots():
    """150 points in 64 columns: every column between the first and the last point holds a
    dot of the curve (plotext's braille scatter left gaps where the loss fell fast)."""
    points = [CurvePoint(step=i, epoch=1 + (i - 1) // 25, value=2 * math.exp(-i / 12) + 0.05) for i in range(1, 151)]
    app = ChartApp()
    async with app.run_test(size=(64, 20)) as pilot:
        chart = app.query_one(LossChart)
        chart.show([Series.of("train loss", points, job="j")], steps_total=150)
        await pilot.pause()
        columns = braille_columns(plain(chart))
        assert columns == list(range(columns[0], columns[-1] + 1)), plain(chart)


async def test_a_loss_spanning_decades_suggests_the_log_scale():
    points = [CurvePoint(step=i, epoch=1, value=3.0 * 0.95**i) for i in range(1, 151)]  # 2.85 down to 0.0014
    app = ChartApp()
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.query_one(LossChart)
        series = Series.of("train loss", points, job="j")
        chart.show([series], ChartView(), title="loss per step")
        await pilot.pause()
        assert "spans 3 decades: l for log scale" in plain(chart).splitlines()[0]
        chart.show([series], ChartView(log_scale=True), title="loss per step · log scale")
        await pilot.pause()
        assert "l for log scale" not in plain(chart)


async def test_train_and_eval_loss_of_one_job_share_the_chart_with_a_legend():
    train = [CurvePoint(step=i, epoch=1 + (i - 1) // 20, value=2.0 * math.exp(-i / 15) + 0.1) for i in range(1, 81)]
    evals = [CurvePoint(step=i, epoch=i // 20, value=2.2 * math.exp(-i / 18) + 0.2) for i in range(20, 81, 20)]
    app = ChartApp()
    async with app.run_test(size=(90, 26)) as pilot:
        chart = app.query_one(LossChart)
        curves = [
            Series.of("train loss", train, job="j", colour="primary"),
            Series.of("eval loss", evals, job="j", colour="warning"),
        ]
        chart.show(curves, steps_total=80, suggested_epochs=2)
        await pilot.pause()
        text = plain(chart)
        assert "train loss" in text and "eval loss" in text and "suggested: 2 epochs" in text
        assert "│" in text  # one job: its epoch boundaries are drawn
        strips = chart._current_frame()
        dots = [segment for strip in strips for segment in strip if "\u2800" < segment.text[0] <= "\u28ff"]
        colours = {segment.style.color for segment in dots if segment.style}
        assert len(colours) >= 2  # each curve in its own colour


@pytest.mark.parametrize(("epochs", "steps_per_epoch", "drawn"), [(5, 30, 4), (50, 3, 0)])
async def test_epoch_lines_are_drawn_only_when_they_leave_room_for_the_curve(epochs, steps_per_epoch, drawn):
    """Five epochs of 30 steps: a line after each of the first four. Fifty epochs of 3 steps on
    the same width: none at all (from the first epoch's end on, not once forty are drawn)."""
    total = epochs * steps_per_epoch
    points = [CurvePoint(step=i, epoch=1 + (i - 1) // steps_per_epoch, value=2.0 * math.exp(-i / total) + 0.1)
              for i in range(1, total + 1)]
    app = ChartApp()
    async with app.run_test(size=(90, 26)) as pilot:
        chart = app.query_one(LossChart)
        for shown in (points[: steps_per_epoch + 2], points):  # just past the first epoch, then all of it
            chart.show([Series.of("loss", shown, job="j")], steps_total=total)
            await pilot.pause()
            top = next(line for line in plain(chart).splitlines() if "┌" in line)  # the plot's top edge
            lines = top.count("┬")  # where each epoch line meets it
            assert lines == (drawn if shown is points else min(drawn, 1))


async def test_new_points_repaint_only_the_cells_they_touch():
    """The step axis runs to the job's total and the loss axis is rounded out: a new point
    leaves every drawn cell where it is, so only a few cells are sent again."""
    points = falling_curve(epochs=6, steps_per_epoch=20)
    app = ChartApp()
    async with app.run_test(size=(100, 30)) as pilot:
        chart = app.query_one(LossChart)
        series = Series.of("train loss", points[:70], job="j")
        chart.show([series], steps_total=len(points))
        await pilot.pause()
        before = plain(chart)
        series.extend(points[70:72])
        chart.show([series], steps_total=len(points))
        await pilot.pause()
        after = plain(chart)
        lines = zip(before.splitlines(), after.splitlines(), strict=True)
        changed = sum(a != b for old, new in lines for a, b in zip(old, new, strict=True))
        assert 0 < changed <= 6
        assert 0 < chart.repainted_cells <= 12
        ticks = [line.split("┤")[0] for line in after.splitlines() if "┤" in line]
        assert ticks == [line.split("┤")[0] for line in before.splitlines() if "┤" in line]


def test_a_jobs_series_follow_its_named_curves():
    """Loss: train, and eval when the job has it; accuracy on its own; points appended in place."""
    from tui.models import EVAL_LOSS, TRAIN_ACCURACY, TRAIN_LOSS, Job
    from tui.widgets.chart_series import JobSeries
    from tui.widgets.loss_chart import describe

    train = [CurvePoint(step=s, epoch=1, value=1.0 / s) for s in range(1, 11)]
    job = Job(name="tunedModels/j", curves={TRAIN_LOSS: train[:5]})
    series = JobSeries()
    (only,) = series.of_job(job)
    assert only.label == "train loss" and len(only) == 5
    job = job.model_copy(update={"curves": {TRAIN_LOSS: train, EVAL_LOSS: train[4::5], TRAIN_ACCURACY: train}})
    shown = series.of_job(job)
    assert [s.label for s in shown] == ["train loss", "eval loss"] and shown[0] is only and len(only) == 10
    assert {s.colour for s in shown} == {"primary", "warning"}
    assert series.available(job) == ["loss", "accuracy"]
    assert [s.label for s in series.of_job(job, "accuracy")] == ["train accuracy"]
    assert describe(ChartView(metric="accuracy")) == "accuracy per step"
