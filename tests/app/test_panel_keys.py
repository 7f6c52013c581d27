"""Moving between the Datasets panels rebuilds nothing that stays the same: the footer keeps
its keys (Textual's footer would rebuild them, a whole-screen layout each, at every focus
move), and an opened dataset's objects are set aside from the garbage collector's full
passes, which otherwise held a key's frame for 100-400 ms."""

from __future__ import annotations

import gc

from tests.app.conftest import SIZE, open_sample, settle
from tui.app import make_app
from tui.launch import set_aside_long_lived
from tui.widgets.steady_footer import SteadyFooter


def footer_keys(footer) -> list:
    from textual.widgets._footer import FooterKey

    return list(footer.query(FooterKey))


async def test_the_footer_keeps_its_keys_when_they_stay_the_same(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await open_sample(app, pilot, "classification.jsonl")
        await settle(app, pilot)
        footer = app.screen.query_one(SteadyFooter)
        keys = footer_keys(footer)
        assert [key.description for key in keys][:3] == ["Open path", "Browse", "Samples"]
        for key in ("f", "t", "e", "right_square_bracket", "left_square_bracket", "t"):
            await pilot.press(key)
            await settle(app, pilot)
        assert app.screen.query_one("#dataset-tabs").active == "stats"
        assert footer_keys(footer) == keys  # the same widgets: not rebuilt

        # The path field takes the focus: `esc leave field` joins the keys, and leaves with it.
        await pilot.press("o")
        await settle(app, pilot)
        shown = [key.description for key in footer_keys(footer)]
        assert "leave field" in shown
        await pilot.press("escape")
        await settle(app, pilot)
        assert "leave field" not in [key.description for key in footer_keys(footer)]


async def test_an_opened_dataset_is_set_aside_from_full_collections(manager, settings):
    app = make_app(settings, manager)
    set_aside_long_lived(app)  # as `tunedeck` does
    try:
        async with app.run_test(size=SIZE) as pilot:
            await open_sample(app, pilot, "classification.jsonl")
            await settle(app, pilot)
            await pilot.pause()
            report = app.dataset.report
            table = app.screen.query_one("#findings-table")
            unfrozen = {id(o) for o in gc.get_objects()}  # what full passes still walk
            assert id(report) not in unfrozen and id(table) not in unfrozen
    finally:
        gc.unfreeze()  # the rest of the test session collects as usual
