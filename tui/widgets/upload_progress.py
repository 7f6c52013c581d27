"""The dataset upload of a launch: a bar with the bytes sent, the total and the rate.

The backend reports `(bytes done, bytes total)` from wherever its upload runs (the event
loop, or a thread): `report` only records the figures (`UploadState`), which is safe from
any thread, and a timer on the UI repaints from them at most `REPAINT_S` apart.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import ProgressBar, Static

from tui.jobs.upload import UploadState
from tui.widgets.still_progress_bar import StillProgressBar

REPAINT_S = 0.1  # at most ten repaints a second, however often the backend reports


class UploadProgress(Vertical):
    """Hidden until a launch uploads; then the bar and `12.0 / 48.3 MB · 5.2 MB/s`."""

    DEFAULT_CSS = """
    UploadProgress { height: auto; display: none; margin-bottom: 1; }
    UploadProgress.-shown { display: block; }
    UploadProgress ProgressBar { width: 1fr; }
    UploadProgress ProgressBar Bar { width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = UploadState()
        self._painted: tuple[int, int, int] | None = None
        self._timer: Timer | None = None
        self._after = ""

    def compose(self) -> ComposeResult:
        bar = StillProgressBar(total=1, id="upload-bar")  # determinate: a hidden bar never animates
        bar.display = False
        yield bar
        yield Static("", id="upload-text")

    # -- fed by the backend (any thread) ------------------------------------------------------

    def report(self, done: int, total: int) -> None:
        """The backend's progress callback: records only; the UI timer paints."""
        self.state.record(done, total)

    # -- the UI ---------------------------------------------------------------------------------

    def start(self, what: str, after: str = "Launching…") -> None:
        """A launch begins: say what happens before the first byte (`what`), then follow the reports,
        then what happens once the bytes are there (`after`)."""
        self.state = UploadState()
        self._after = after
        self._painted = None
        bar = self.query_one(ProgressBar)
        bar.update(total=1, progress=0)
        bar.display = False
        self.query_one("#upload-text", Static).update(what)
        self.add_class("-shown")
        if self._timer is None:
            self._timer = self.set_interval(REPAINT_S, self.paint)

    def paint(self) -> None:
        """Show the latest report (called by the timer, and once more when the upload ends)."""
        state = self.state
        figures = (state.reports, state.done, state.total)
        if not state.reports or figures == self._painted:
            return
        self._painted = figures
        bar = self.query_one(ProgressBar)
        bar.update(total=max(state.total, 1), progress=state.done)
        bar.display = True
        words = state.words()
        self.query_one("#upload-text", Static).update(f"{words}\n{self._after}" if state.finished else words)

    def stop(self, *, keep: bool) -> None:
        """The launch is over: paint the last report; `keep` the bar (where an upload stopped) or hide it all."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.paint()
        if not keep:
            self.remove_class("-shown")
