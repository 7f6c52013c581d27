"""The Stats panel is ready before it is shown: its histogram is drawn in the background when
the lint ends, at the width the panel will have, so `t` only shows it. Another dataset, a
resize or a theme change draws it again; a failed open removes it."""

from __future__ import annotations

from tests.app.conftest import SIZE, open_path, open_sample, settle
from tui.app import make_app
from tui.models import DatasetStats, LengthSummary
from tui.widgets.length_histogram import HEIGHT, histogram_strips


def text_of(widget) -> str:
    return str(widget.render())


def test_histogram_rows_fill_the_size_asked_for() -> None:
    from rich.style import Style

    lengths = LengthSummary(count=3, min=10, max=90, mean=50, p50=50, p95=90, histogram=(1, 1, 1),
                            bin_edges=(10, 37, 63, 90))
    strips = histogram_strips(DatasetStats(examples=3, input_chars=lengths), 50, 12, "default", Style())
    assert len(strips) == 12
    assert {strip.cell_length for strip in strips} == {50}
    text = "\n".join(strip.text for strip in strips)
    assert "examples by length" in text and "input chars" in text and "output chars" not in text
    empty = "\n".join(strip.text for strip in histogram_strips(DatasetStats(), 40, 10, "default", Style()))
    assert "no lengths to plot yet" in empty


async def test_the_stats_panel_is_drawn_before_it_is_shown(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await open_sample(app, pilot, "classification.jsonl")
        await settle(app, pilot)
        screen = app.screen
        histogram = screen.query_one("#stats-histogram")
        assert screen.query_one("#dataset-tabs").active == "examples"
        assert histogram.builds == 1 and histogram.drawn  # drawn while the tab is hidden
        hidden_width = histogram.expected_width()

        await pilot.press("t")
        await settle(app, pilot)
        assert screen.query_one("#dataset-tabs").active == "stats"
        assert histogram.size.width == hidden_width  # the width foreseen was the right one
        assert histogram.builds == 1  # showing the tab drew nothing
        assert "examples 200" in text_of(screen.query_one("#stats-text"))
        plot = text_of(histogram)
        assert "examples by length" in plot and "input chars" in plot
        assert len(plot.splitlines()) == HEIGHT

        # Another dataset: its own stats and histogram (the one before left with its dataset).
        await open_sample(app, pilot, "summarization.jsonl")
        await pilot.press("t")
        await settle(app, pilot)
        assert "examples 200" not in text_of(screen.query_one("#stats-text"))
        assert not histogram.is_attached
        histogram = screen.query_one("#stats-histogram")
        assert histogram.builds == 1 and histogram.drawn
        assert text_of(histogram) != plot

        # A narrower terminal: drawn again at the new width.
        await pilot.resize_terminal(100, SIZE[1])
        await settle(app, pilot)
        await pilot.pause()
        await settle(app, pilot)
        assert histogram.builds == 2 and histogram.drawn
        assert {len(line) for line in text_of(histogram).splitlines()} == {histogram.size.width}
        assert histogram.size.width < hidden_width

        # Resized while the tab is hidden: drawn again before the tab is shown.
        await pilot.press("e")
        await pilot.resize_terminal(*SIZE)
        await settle(app, pilot)
        await pilot.pause()
        await settle(app, pilot)
        assert histogram.builds == 3 and histogram.drawn and histogram.expected_width() == hidden_width
        await pilot.press("t")
        await settle(app, pilot)
        assert histogram.builds == 3 and histogram.size.width == hidden_width

        # Another theme: drawn again in its colours.
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await settle(app, pilot)
        await pilot.pause()
        await settle(app, pilot)
        assert histogram.builds == 4 and histogram.drawn


async def test_a_failed_open_removes_the_histogram(manager, settings, tmp_path):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await open_sample(app, pilot, "classification.jsonl")
        await settle(app, pilot)
        assert app.screen.query("#stats-histogram")
        await open_path(app, pilot, str(tmp_path / "missing.jsonl"))
        await pilot.press("t")
        await settle(app, pilot)
        assert not app.screen.query("#stats-histogram")
        assert "No dataset open." in text_of(app.screen.query_one("#stats-text"))
