"""A progress bar that moves only when it is told to."""

from __future__ import annotations

from textual import events
from textual.widgets import ProgressBar


class StillProgressBar(ProgressBar):
    """Textual's ProgressBar (with no ETA) without its once-a-second timer.

    That timer only refreshes the ETA, which this bar never shows, but it wakes the app every
    second for as long as the bar is mounted: hidden, and on a screen that is not shown, too.
    """

    def __init__(self, *, total: float | None = None, id: str | None = None) -> None:
        super().__init__(total=total, show_eta=False, id=id)

    def _on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # ProgressBar.on_mount would start the timer
        super()._on_mount(event)  # Widget's
        self.update()
