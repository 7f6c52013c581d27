"""The samples list's picture on the first frame (tui/widgets/samples_picture.py) is drawn as the
focused OptionList that replaces it, segment for segment, in the same place; the list then has
the focus and takes keys."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from textual.widgets import OptionList

from tests.app.conftest import SIZE
from tui.app import make_app
from tui.config import load_settings
from tui.widgets.samples_picture import SamplesPicture


def look(style) -> tuple:
    # (An attribute left unset draws as one set off.)
    return (style.color, style.bgcolor, bool(style.bold), bool(style.dim), bool(style.italic), bool(style.reverse))


def drawn(app, region) -> list[list[tuple]]:
    """The segments of the screen's lines in `region`'s rows, cut to its columns."""
    lines = app.screen._compositor.render_strips()[region.y : region.bottom]
    return [[(segment.text, look(segment.style)) for segment in line.crop(region.x, region.right)] for line in lines]


async def test_the_picture_is_drawn_as_the_focused_list(tmp_path):
    settings = replace(load_settings(env={}, data_dir=tmp_path / "data", config_dir=tmp_path / "config",
                                     backend="local"), local_url="http://127.0.0.1:9")
    app = make_app(settings, None)
    first: dict = {}

    def first_frame() -> None:
        picture = app.screen.query_one("#samples-picture", SamplesPicture)
        first.update(region=picture.region, lines=drawn(app, picture.region))

    app.after_first_paint(first_frame)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.first_screen_shown.wait(), 10)
        await pilot.pause()
        samples = app.screen.query_one("#samples", OptionList)
        assert not app.screen.query("#samples-picture")
        assert samples.has_focus and samples.highlighted == 0
        assert samples.region == first["region"]
        assert drawn(app, samples.region) == first["lines"]
        assert "number-increment.jsonl" in "".join(text for text, _look in first["lines"][0])
        await pilot.press("down")
        assert samples.highlighted == 1
