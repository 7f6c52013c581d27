"""A partial update renders only the rows it repaints, and sends the terminal the same cells as Textual's."""

from __future__ import annotations

from textual._compositor import Compositor
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Region
from textual.widgets import DataTable, Footer, Header, Static

from tests.monitor.curves import falling_curve
from tui.widgets import row_renders
from tui.widgets.chart_series import Series
from tui.widgets.loss_chart import LossChart

TEXTUAL_GET_RENDERS = row_renders._textual_get_renders


class Screenful(App[None]):
    """Widgets laid out as on the Monitor: header, a list and a chart side by side, a footer."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            table: DataTable = DataTable()
            table.add_columns("job", "state")
            for index in range(12):
                table.add_row(f"job {index}", "ACTIVE")
            with Vertical(id="list-pane"):
                yield table
            with Vertical(id="chart-pane"):
                yield Static("heading")
                yield LossChart()
        yield Footer()


def partial_update(app: App, regions: list[Region], get_renders) -> tuple[str, int, int, int]:
    """The terminal output of a partial update of `regions`, and how many lines the header, the list's pane
    and the chart's pane (behind the chart) rendered."""
    rendered: dict[str, list[int]] = {"header": [], "pane": [], "chart-pane": []}
    widgets = {"header": app.query_one(Header), "pane": app.query_one("#list-pane"),
               "chart-pane": app.query_one("#chart-pane")}
    for key, widget in widgets.items():
        original = widget.render_lines

        def counting(crop: Region, key=key, original=original):
            rendered[key].append(crop.height)
            return original(crop)

        widget.render_lines = counting  # type: ignore[method-assign]
    Compositor._get_renders = get_renders  # type: ignore[method-assign]
    try:
        compositor = app.screen._compositor
        compositor._dirty_regions.clear()
        compositor._dirty_regions.update(regions)
        update = compositor.render_partial_update()
    finally:
        Compositor._get_renders = TEXTUAL_GET_RENDERS  # type: ignore[method-assign]
        for widget in widgets.values():
            del widget.render_lines
    assert update is not None
    header, pane, behind = (sum(rendered[key]) for key in ("header", "pane", "chart-pane"))
    return update.render_segments(app.console), header, pane, behind


async def test_a_cell_of_the_chart_renders_its_row_only_and_sends_the_same_output():
    app = Screenful()
    async with app.run_test(size=(100, 30)) as pilot:
        chart = app.query_one(LossChart)
        chart.show([Series.of("train", falling_curve(), job="job")], steps_total=100)
        await pilot.pause()
        cell = Region(chart.region.x + chart.region.width // 2, chart.region.y + 5, 1, 1)
        row = Region(0, chart.region.y + 7, 100, 1)  # a whole row, across the list and the chart
        for regions in ([cell], [cell, row], [Region(0, 0, 100, 1)]):
            textual, header_lines, _pane_lines, _behind = partial_update(app, regions, TEXTUAL_GET_RENDERS)
            ours, our_header_lines, our_pane_lines, our_behind = partial_update(app, regions, row_renders._get_renders)
            assert ours == textual
            touches_header = any(region.y == 0 for region in regions)
            assert header_lines == 1  # Textual renders the header whole (one line) for any update
            assert our_header_lines == (1 if touches_header else 0)
            # The list's pane beside the chart: nothing for the chart's cell alone, and with a row that
            # crosses it, the update's rows (from the cell's to that row's: 3).
            assert our_pane_lines == (3 if row in regions else 0)
            # Behind the chart: nothing for a cell the chart covers; its rows for an update wider than the chart.
            assert (our_behind > 0) == (row in regions)


async def test_the_monitor_installs_it_and_textual_still_has_the_shape_it_relies_on(monkeypatch):
    monkeypatch.setattr(Compositor, "_get_renders", TEXTUAL_GET_RENDERS)
    assert row_renders.render_rows_only()  # fails loudly when Textual's compositor changes shape
    assert Compositor._get_renders is row_renders._get_renders
