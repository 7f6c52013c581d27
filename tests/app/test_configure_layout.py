"""The job form reads whole at 80×24 and at 120×40: the rate-kind choices keep their full
labels, the display name has room for its 40 characters, and on Vertex AI the one rate
field says what it is."""

from __future__ import annotations

import pytest
from textual.widgets import Label

from tests.app.conftest import open_form, settle
from tests.app.test_configure_vertex import vertex_manager, vertex_settings
from tui.app import make_app
from tui.widgets.job_form import MAX_DISPLAY_NAME, JobForm
from tui.widgets.job_form_fields import ADVICE

__all__ = ["vertex_manager", "vertex_settings"]  # fixtures shared with the launch tests


def label_text(label: Label) -> str:
    return str(label.render())


def label_fits(button) -> bool:
    """The radio button's whole label (and its ● marker) is inside the region drawn for it."""
    label = str(button.label)
    return button.content_region.width >= len(label) + 2 and button.region.right <= button.screen.size.width


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_rate_choices_and_display_name_fit(size, manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await open_form(app, pilot)
        screen = app.screen
        form = screen.query_one(JobForm)
        buttons = [screen.query_one("#rate-kind-rate"), screen.query_one("#rate-kind-multiplier")]
        for button in buttons:
            screen.query_one("#form-column").scroll_to_widget(button, animate=False)
        await settle(app, pilot)
        assert [str(b.label) for b in buttons] == ["learning rate", "multiplier"]
        assert all(label_fits(b) for b in buttons), [(str(b.label), b.content_region) for b in buttons]
        name = screen.query_one("#display_name")
        assert name.content_region.width > MAX_DISPLAY_NAME  # 40 characters and the cursor
        assert form.has_class("-stacked") == (size[0] == 80)  # narrow: labels above their fields
        assert label_text(screen.query_one("#rate-label", Label)) == "Value"  # two kinds: the choice says which


async def test_vertex_names_its_one_rate_field(vertex_manager, vertex_settings):
    app = make_app(vertex_settings, vertex_manager)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        form = app.screen.query_one(JobForm)
        assert form.capabilities is not None and form.capabilities.protocol == "vertex"
        assert form.query_one("#rate-kind-row").has_class("-absent")
        assert label_text(form.query_one("#rate-label", Label)) == "LR multiplier"
        assert ADVICE["learning_rate_multiplier"] in str(form.query_one("#rate-advice").render())
        assert form.query_one("#display_name").content_region.width > MAX_DISPLAY_NAME
