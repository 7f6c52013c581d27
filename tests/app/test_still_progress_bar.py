"""StillProgressBar: no timer of its own (Textual's ProgressBar wakes the app every second)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import ProgressBar

from tui.widgets.still_progress_bar import StillProgressBar


class Bars(App[None]):
    def compose(self) -> ComposeResult:
        yield ProgressBar(total=10, show_eta=False, id="textuals")
        yield StillProgressBar(total=10, id="still")


async def test_the_bar_draws_and_moves_when_told_without_a_timer():
    app = Bars()
    async with app.run_test(size=(60, 4)) as pilot:
        await pilot.pause()
        textuals, still = app.query_one("#textuals", ProgressBar), app.query_one("#still", StillProgressBar)
        # Textual's own bar starts a timer on mount: what StillProgressBar leaves out. If this
        # fails, Textual no longer does, and StillProgressBar can go.
        assert any(timer._callback == textuals.update for timer in textuals._timers)
        assert not still._timers
        assert still.size == textuals.size  # styled as a ProgressBar
        still.update(progress=5)
        await pilot.pause()
        assert still.percentage == 0.5
        assert "50%" in str(still.query_one("#percentage").render())
