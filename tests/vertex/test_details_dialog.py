"""The several-paragraph confirmation keeps its buttons on screen at 80×24, however long the text."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Button

from tui.screens.monitor_dialogs import DetailsDialog


async def test_buttons_stay_on_screen_and_the_answer_defaults_to_no():
    answers: list[bool | None] = []
    paragraphs = [f"paragraph {i}: " + "words " * 40 for i in range(12)]

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(DetailsDialog("Delete it?", paragraphs, confirm_label="Delete"), answers.append)

    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for button in app.screen.query(Button):
            region = button.region
            assert region.height and region.y >= 0 and region.bottom <= 24, (button.id, region)
        assert app.focused is not None and app.focused.id == "confirm-no"
        await pilot.press("enter")
        await pilot.pause()
    assert answers == [False]
