"""The Datasets screen's reading of a dataset: open a file, follow its reading, show the report.

Reading and linting run in a thread worker with a progress bar, so a large file never
freezes the UI. The bar exists only while a file is being read: an idle bar would keep
animating (and waking the app) for the whole session. The opened dataset (path, reader,
lint report) is kept on the app as `app.dataset` for the Configure screen, and announced on
`app.dataset_changed`. The screen itself (its widgets, keys and actions) is
`tui.screens.datasets.DatasetsScreen`, built on this class.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import work
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Static

from tui.screens.base import AppScreen

# tui.datasets.opened (and the readers) are imported where they are used: the first
# frame does not need them.

FINISH_AFTER_S = 0.15  # from the first rows' frame to starting the index and the lint
LONG_LINE = 64 * 1024  # a first line longer than this is slow to parse: the screen is drawn before
DRAW_WAIT_S = 0.2  # the longest the reading thread waits for that frame
# The longest the screen holds its next frame for a file's first rows: short enough that the
# key (Enter, r) still answers within 100 ms when they are slow (a first record of 50 MB).
ROWS_FRAME_WAIT_S = 0.05

if TYPE_CHECKING:
    from textual.widgets import ProgressBar

    from tui.datasets import DatasetReader
    from tui.datasets.opened import OpenedDataset
    from tui.messages import DatasetIndexed, DatasetLinted, DatasetOpened, WorkProgress
    from tui.widgets.dataset_panels import DatasetPanels
    from tui.widgets.dataset_stats import DatasetStatsView
    from tui.widgets.example_table import ExampleTable
    from tui.widgets.example_viewer import ExampleViewer
    from tui.widgets.findings_list import FindingsTable
    from tui.widgets.path_input import PathInput


class DatasetReading(AppScreen[None]):
    """Open a dataset file and show its rows, findings and stats as they are read and checked."""

    # The panels are mounted after the first frame, their modules imported then: these
    # typed lookups keep the imports out of the first frame.
    @property
    def _path_input(self) -> PathInput:
        return cast("PathInput", self.query_one("#path"))

    @property
    def _example_table(self) -> ExampleTable:
        return cast("ExampleTable", self.query_one("#example-table"))

    @property
    def _example_viewer(self) -> ExampleViewer:
        return cast("ExampleViewer", self.query_one("#example-viewer"))

    @property
    def _findings_table(self) -> FindingsTable:
        return cast("FindingsTable", self.query_one("#findings-table"))

    @property
    def _stats_view(self) -> DatasetStatsView:
        return cast("DatasetStatsView", self.query_one("#stats-view"))

    @property
    def _tabs(self) -> DatasetPanels:
        return cast("DatasetPanels", self.query_one("#dataset-tabs"))

    _shown: OpenedDataset | None = None
    _progress: tuple[Horizontal, Static, ProgressBar] | None = None  # (row, stage label, bar) while a file is read
    _built = False  # the panels are mounted
    _opening: Path | None = None  # the file being read
    _start_path: Path | None = None  # the file given on the command line
    _reader: DatasetReader | None = None  # the reader of the file being read
    _early: tuple[Message, ...] = ()  # news of the file read that came before the panels
    _told_end = False  # said where the index has got, at the end of the rows known so far
    _held_frame: ExitStack | None = None  # the screen's next frame waits for a file's first rows

    # -- opening ----------------------------------------------------------------------

    def open_path(self, path: str | Path, format: str | None = None) -> None:
        """Read and check the dataset at `path` in the background."""
        path = Path(path).expanduser()
        from tui.screens.paths import display_path

        self._hold_frame()
        self._path_input.value = display_path(path)
        self._set_summary(f"Reading {path.name}…", "muted")
        if self._reader is not None:
            self._reader.stop_indexing()  # the file read before is no longer wanted
        self._opening, self._reader = path, None
        self._clear_panels()  # nothing of the previous file stays on screen, or ready to launch
        self._open(path, format)

    def _hold_frame(self) -> None:
        """Draw nothing more until the file's first rows are shown (at most ROWS_FRAME_WAIT_S): one
        frame with them, rather than a frame of emptied panels first that would delay them."""
        if self._held_frame is None and self._built:
            self._held_frame = ExitStack()
            self._held_frame.enter_context(self.app.batch_update())
            self.app.set_timer(ROWS_FRAME_WAIT_S, self._release_frame)  # the app's timer: it runs on any screen

    def _release_frame(self) -> None:
        if self._held_frame is not None:
            held, self._held_frame = self._held_frame, None
            held.close()
            # Ending the batch wakes the app, not the screen: the screen draws what is pending
            # when it next goes idle, which is now.
            self.app.screen.check_idle()

    def _clear_panels(self) -> None:
        """Forget the dataset shown: its examples, findings and stats leave the screen, and nothing
        can be launched on it (the Configure screen hears that no dataset is open)."""
        if self._built:
            self._end_progress()
            self._example_table.show(None)
            self._example_viewer.clear()
            self._findings_table.show([])
            self.query_one("#finding-detail", Static).update("Enter on a finding shows its example.")
            self._stats_view.clear()
            self._tabs.get_tab("findings").label = "Findings"
        self._shown = None
        if self.app.dataset is not None:
            self.app.dataset = None
            self.app.dataset_changed.publish(None)

    @work(thread=True, exclusive=True, group="dataset", exit_on_error=False)
    def _open(self, path: Path, format: str | None) -> None:
        """Read the first rows; the index and the lint follow once they are on screen (`_finish`)."""
        from textual.worker import get_current_worker

        from tui.datasets.first_page import FIRST_ROWS
        from tui.datasets.reader import open_reader
        from tui.messages import DatasetOpened

        reader = open_reader(path, format)
        if _long_first_line(path):
            self._draw_before_parsing()
        rows = reader.first_rows(FIRST_ROWS)
        if not get_current_worker().is_cancelled:
            self.post_message(DatasetOpened(path, reader, rows))

    def _draw_before_parsing(self) -> None:
        """(On the reading thread.) Let the screen draw that the file is being read before a long
        record is parsed: the parser holds the interpreter (80 ms for 50 MB), and the key that
        opened the file would answer only after it."""
        drawn = threading.Event()

        def release() -> None:
            self._release_frame()
            self.call_after_refresh(drawn.set)

        self.app.call_from_thread(release)
        drawn.wait(DRAW_WAIT_S)

    @work(thread=True, exclusive=True, group="dataset", exit_on_error=False)
    def _finish(self, path: Path, reader: DatasetReader) -> None:
        """Index and lint the file whose first rows are shown."""
        from textual.worker import get_current_worker

        from tui.datasets.opened import finish_reading
        from tui.messages import DatasetIndexed, DatasetLinted, WorkProgress

        worker = get_current_worker()

        def post(message: Message) -> None:
            if not worker.is_cancelled:  # a newer open replaced this one: its messages win
                self.post_message(message)

        def progress(stage: str, done: float, total: float | None) -> None:
            post(WorkProgress(stage, done, total))

        opened = finish_reading(
            reader,
            progress,
            indexed=lambda reader: post(DatasetIndexed(path, reader)),
            cancelled=lambda: worker.is_cancelled,
        )
        if opened is not None:
            post(DatasetLinted(path, opened.reader, opened.report))

    def on_work_progress(self, message: WorkProgress) -> None:
        """Show how far reading has got, mounting the progress bar on the first report."""
        from tui.widgets.key_footer import KeyFooter
        from tui.widgets.still_progress_bar import StillProgressBar

        if self._progress is None:
            label, still = Static("", id="progress-label"), StillProgressBar(id="progress")
            # A class, not an id: a bar being removed may still be in the DOM when the next one mounts.
            row = Horizontal(label, still, classes="progress-bar")
            self._progress = (row, label, still)
            footers = self.query(KeyFooter)
            self.mount(row, before=footers.first() if footers else None)
        _row, label, bar = self._progress
        label.update(message.stage)
        bar.update(total=message.total, progress=message.done)
        reader = self._reading()
        if message.stage == "Indexing" and reader is not None and not reader.complete:
            self._example_table.grow(len(reader))
            self._set_summary(
                f"{reader.path.name}\n{len(reader):,} examples so far · indexing {reader.index.fraction:.0%}", "muted"
            )

    def _reading(self) -> DatasetReader | None:
        """The reader in the example table, if it is the file being read."""
        tables = self.query("#example-table")
        reader = cast("ExampleTable", tables.first()).reader if tables else None
        return reader if reader is not None and reader.path == self._opening else None

    def _end_progress(self) -> None:
        """Remove the progress bar: it animates while it exists, even when hidden."""
        if self._progress is not None:
            self._progress[0].remove()
            self._progress = None

    def on_dataset_opened(self, message: DatasetOpened) -> None:
        """The first rows: shown at once; the index and the lint start once they are on screen."""
        if not self._built:
            self._early = (*self._early, message)
            return
        if message.path != self._opening:  # another file was opened since
            return
        self._told_end = False
        self._reader = message.reader
        table = self._example_table
        table.show(message.reader, rows=message.rows)
        if message.path == self._start_path:
            table.focus()  # opened from the shell: its keys move through the examples at once
        self._set_summary(f"{message.path.name}\nindexing…", "muted")
        self._release_frame()
        self.call_after_refresh(self._rows_shown, message.path, message.reader)

    def _rows_shown(self, path: Path, reader: DatasetReader) -> None:
        # The table lays its rows out on the frame after, and the frame takes a moment to reach the
        # terminal: the job manager's loading, and the index and lint, start a little later.
        self.call_after_refresh(self.app.first_rows_shown.set)
        self.set_timer(FINISH_AFTER_S, lambda: self._finish(path, reader) if reader is self._reader else None)

    def on_dataset_indexed(self, message: DatasetIndexed) -> None:
        if not self._built:
            self._early = (*self._early, message)
            return
        table = self._example_table
        if table.reader is message.reader:
            table.grow(len(message.reader))
        else:
            table.show(message.reader)
        self._set_summary(f"{message.path.name}\n{len(message.reader):,} examples · checking…", "muted")

    def on_dataset_linted(self, message: DatasetLinted) -> None:
        if not self._built:
            self._early = (*self._early, message)
            return
        self._end_progress()
        from tui.datasets.opened import OpenedDataset

        opened = OpenedDataset(message.path, message.reader, message.report)
        self._shown = opened
        self.app.dataset = opened
        self._show_report(opened)
        self.app.dataset_changed.publish(opened)

    def _dataset_changed(self, opened: OpenedDataset | None) -> None:
        """A dataset opened elsewhere (a relaunch from the monitor): show it here too."""
        if opened is not None and opened is not self._shown and self.query("#example-table"):
            self._shown = opened
            from tui.screens.paths import display_path

            self._path_input.value = display_path(opened.path)
            self._example_table.show(opened.reader)
            self._show_report(opened)

    def _show_report(self, opened: OpenedDataset) -> None:
        report = opened.report
        findings = list(report.findings)
        self._findings_table.show(findings)
        self._stats_view.show(report.stats, report.profile)
        from tui.datasets.opened import count_by_severity

        counts = {**count_by_severity(findings), **report.counts}
        tabs = self._tabs
        tabs.get_tab("findings").label = f"Findings ({len(findings)})"
        dataset = opened.reader.dataset
        from tui.datasets.wording import examples_text, plural, size

        lines = [
            opened.path.name,
            f"{dataset.format} · {examples_text(opened.examples, report.stats.examples)} · {size(dataset.size_bytes)}",
            f"{plural(counts['error'], 'error')} · {plural(counts['warning'], 'warning')} · {counts['info']} info",
        ]
        if counts["error"]:
            lines.append("Fix the errors before launching (f: findings).")
            self._set_summary("\n".join(lines), "error-text")
        else:
            lines.append("Ready to tune: press c.")
            self._set_summary("\n".join(lines), "success-text")

    def worker_failed(self, group: str, error: BaseException) -> None:
        if group != "dataset":
            super().worker_failed(group, error)
            return
        self._release_frame()
        self._end_progress()
        self._clear_panels()
        name = self._opening.name if self._opening is not None else "the dataset"
        self._set_summary(f"Could not open {name}:\n{error}\nNo dataset is open.", "error-text")
        self.notify(
            f"{error}\nCheck the path and the file's format, then open it again.",
            title="Dataset",
            severity="error",
            timeout=10,
        )

    def _set_summary(self, text: str, style: str) -> None:
        summary = self.query_one("#dataset-summary", Static)
        summary.update(text)
        summary.set_classes(style)


def _long_first_line(path: Path) -> bool:
    """Whether the file's first line is longer than LONG_LINE bytes (its record is slow to parse)."""
    with path.open("rb") as f:
        head = f.read(LONG_LINE)
    return len(head) == LONG_LINE and b"\n" not in head
