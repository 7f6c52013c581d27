"""The base of tunedeck's screens: a typed `app`, and one way to report a failed worker.

`self.app` is the `TuneDeckApp` for the type checker, so a screen's use of the app's
shared state (`manager`, `settings`, `dataset`, the signals) is checked. A worker that
raises ends in `worker_failed(group, error)`; the default shows the error where the user
is (`TuneDeckApp.report_error`), and a screen overrides it where a failure changes what
the screen shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from textual import events, on
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from textual import getters

    from tui.app import TuneDeckApp

ResultType = TypeVar("ResultType")

# What a failed worker was doing, by group, for the error's title line.
WHAT_FAILED = {
    "job-action": "The job action failed",
    "model-action": "The model action failed",
    "refresh": "Refresh failed",
    "models-refresh": "Refresh failed",
    "export": "Could not write the CSV",
    "playground-clear": "Could not clear the playground history",
}


class AppScreen(Screen[ResultType]):
    """A full screen of the app, with the areas' tab bar under its header."""

    if TYPE_CHECKING:
        app = getters.app(TuneDeckApp)

    def on_mount(self) -> None:
        """Put the tab bar under the header (each screen's own on_mount runs as well)."""
        from textual.widgets import Header

        from tui.widgets.area_tabs import AreaTabs

        if self.app.current_mode is None or self.query("#area-tabs"):
            return
        headers = self.query(Header)
        if headers:
            self.mount(AreaTabs(), after=headers.first())
        else:
            self.mount(AreaTabs(), before=0)

    # Whether the terminal had the focus when the screen was last styled and hidden (left for
    # another area, or built ahead: tui/screens_ahead.py); None while it is shown.
    hidden_with_focus: bool | None = None

    def post_message(self, message: Message) -> bool:
        """A screen shown again is not restyled whole, as Textual does, when nothing it is styled
        by changed while it was hidden: its widgets' own changes restyle them where they happen,
        the app's CSS and theme restyle every screen when the area is switched to, and only the
        terminal's focus is left (tests/app/test_screens_ahead.py checks every screen shown)."""
        if isinstance(message, events.ScreenSuspend):
            self.hidden_with_focus = self.app.app_focus
        elif isinstance(message, events.ScreenResume):
            if self.hidden_with_focus is not None and self.hidden_with_focus == self.app.app_focus:
                message.refresh_styles = False
            self.hidden_with_focus = None
        return super().post_message(message)

    @on(events.ScreenResume)
    def _resumed(self) -> None:
        """Styled and laid out again: a switch to this screen may draw it now."""
        from tui.widgets.area_tabs import AreaTabs

        for tabs in self.query(AreaTabs):
            tabs.draw()
        release = getattr(self.app, "release_switch_hold", None)  # tests mount screens in plain apps too
        if release is not None:
            release()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is WorkerState.ERROR and not worker.is_cancelled and worker.error is not None:
            self.worker_failed(worker.group, worker.error)

    def worker_failed(self, group: str, error: BaseException) -> None:
        """A worker of this screen raised `error`: tell the user (override to do more)."""
        self.app.report_error(error, WHAT_FAILED.get(group, "Something failed"))


class AppModal(ModalScreen[ResultType]):
    """A dialog over a screen of the app."""

    if TYPE_CHECKING:
        app = getters.app(TuneDeckApp)
