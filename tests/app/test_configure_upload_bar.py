"""The upload bar takes the backend's reports from another thread: they are only recorded
there, and the UI's timer paints the latest one (never a paint per report)."""

from __future__ import annotations

import threading

from textual.app import App, ComposeResult
from textual.widgets import ProgressBar, Static

from tui.widgets.upload_progress import UploadProgress

TOTAL = 4_000_000
STEP = 4_000


class BarApp(App[None]):
    def compose(self) -> ComposeResult:
        yield UploadProgress(id="upload")


async def test_reports_from_a_thread_end_on_the_last_one():
    app = BarApp()
    async with app.run_test() as pilot:
        upload = app.query_one(UploadProgress)
        bar = app.query_one(ProgressBar)
        painted: list[float] = []
        update = bar.update

        def counted(**kwargs):
            painted.append(kwargs.get("progress"))
            return update(**kwargs)

        bar.update = counted  # type: ignore[method-assign]
        upload.start("Preparing the upload…")
        assert str(app.query_one("#upload-text", Static).render()) == "Preparing the upload…"
        assert not bar.display  # no bar before the first report

        def send() -> None:
            upload.report(0, TOTAL)
            for done in range(STEP, TOTAL + 1, STEP):
                upload.report(done, TOTAL)

        sender = threading.Thread(target=send)
        sender.start()
        sender.join()
        for _ in range(200):
            if bar.progress == TOTAL:
                break
            await pilot.pause(0.05)
        assert bar.display and bar.total == TOTAL and bar.progress == TOTAL
        words = str(app.query_one("#upload-text", Static).render())
        assert words.startswith("Uploaded 4.0 MB") and words.endswith("Launching…")
        reports = TOTAL // STEP + 1
        assert 1 <= len(painted) < reports  # the timer painted the latest figures, not every report
        upload.stop(keep=False)
        await pilot.pause()
        assert not upload.has_class("-shown")
