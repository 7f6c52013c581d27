"""The Datasets screen: open a dataset, page through its examples, read its findings and stats.

Reading and linting run in a thread worker with a progress bar, so a large file never
freezes the UI. The bar exists only while a file is being read: an idle bar would keep
animating (and waking the app) for the whole session. The opened dataset (path, reader,
lint report) is kept on the app as `app.dataset` for the Configure screen, and announced on
`app.dataset_changed`.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from tui.messages import DatasetIndexed, DatasetLinted, DatasetOpened, WorkProgress
from tui.samples import sample_paths
from tui.screens.base import AppScreen
from tui.typeahead import KeyKind

# tui.datasets.opened (and the readers) are imported where they are used: the first
# frame does not need them.

# Keys that move the focus: the keys typed right after them wait until it has moved.
FOCUS_KEYS = frozenset({"o", "b", "s", "e", "f", "t", "left_square_bracket", "right_square_bracket"})
PREVIEW_WAIT_S = 0.3  # the longest the first frame waits for the preview of a file given on the command line
FINISH_AFTER_S = 0.15  # from the first rows' frame to starting the index and the lint
ROWS_FRAME_WAIT_S = 0.25  # the longest the screen holds its next frame for a file's first rows

if TYPE_CHECKING:
    from textual.widgets import Button, Input, ProgressBar, TabbedContent

    from tui.datasets import DatasetReader
    from tui.datasets.first_page import FirstPage
    from tui.datasets.opened import OpenedDataset
    from tui.widgets.dataset_panels import DatasetPanels
    from tui.widgets.dataset_stats import DatasetStatsView
    from tui.widgets.example_table import ExampleTable
    from tui.widgets.example_viewer import ExampleViewer
    from tui.widgets.findings_list import FindingsTable
    from tui.widgets.path_input import PathInput


class DatasetsScreen(AppScreen[None]):
    """Open a dataset and inspect it before tuning on it."""

    # Styles: datasets.tcss, loaded by the app with its own (see TuneDeckApp.CSS_PATH).
    AUTO_FOCUS = "#samples"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave_field", "leave field", key_display="esc", id="datasets.leave-field"),
        Binding("o", "focus_path", "Open path", tooltip="Type a path (→ completes)", id="datasets.open-path"),
        Binding("b", "browse", "Browse", tooltip="Pick a file in a directory tree", id="datasets.browse"),
        Binding("s", "focus_samples", "Samples", tooltip="The datasets shipped with tunedeck", id="datasets.samples"),
        Binding("e", "show_tab('examples')", "Examples", show=False, id="datasets.examples"),
        Binding("f", "show_tab('findings')", "Findings", show=False, id="datasets.findings"),
        Binding("t", "show_tab('stats')", "Stats", show=False, id="datasets.stats"),
        Binding("right_square_bracket", "next_tab", "Next panel", key_display="]", show=False, id="datasets.next-tab"),
        Binding(
            "left_square_bracket",
            "previous_tab",
            "Previous panel",
            key_display="[",
            show=False,
            id="datasets.previous-tab",
        ),
        Binding("m", "next_part", "More of the example", show=False, tooltip="The next part of a long value",
                id="datasets.next-part"),
        Binding("M", "previous_part", "Back in the example", show=False, id="datasets.previous-part"),
        Binding("v", "read_in_pager", "Example in $PAGER", show=False, tooltip="Read the whole example in $PAGER",
                id="datasets.pager"),
        Binding("r", "reload", "Reload", tooltip="Read and check the file again", id="datasets.reload"),
        Binding(
            "c", "configure", "Configure job", tooltip="Set up a tuning job on this dataset", id="datasets.configure"
        ),
    ]
    TABS = ("examples", "findings", "stats")
    TAB_FOCUS: ClassVar[dict[str, str]] = {
        "examples": "#example-table",
        "findings": "#findings-table",
        "stats": "#stats-view",
    }

    def compose(self) -> ComposeResult:
        # The first frame is the header and the samples list: the rest is mounted right after it
        # (see `_build`), so the app shows up as fast as a bare Textual app.
        yield Header()
        from tui.widgets.area_tabs import AreaTabs

        yield AreaTabs()  # here, not mounted by AppScreen.on_mount: one layout less before the first frame
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield Static("Samples", classes="section-title")
                yield OptionList(*[Option(path.name, id=str(path)) for path in sample_paths()], id="samples")
                yield Static("Dataset", classes="section-title")
                yield Static("Open a sample or a file to start.", id="dataset-summary")
            with Vertical(id="main"):
                preview = self._preview()
                if preview:  # `tunedeck PATH`: its first records are in the first frame
                    yield Static(preview, id="first-rows", markup=False)

    def _preview(self) -> str:
        """The first records of the file given on the command line, as text, if they are read in time."""
        first_page = self.app.open_on_start
        if first_page is None or not first_page.previewed.wait(PREVIEW_WAIT_S) or not first_page.preview:
            return ""
        from tui.widgets.example_table import INPUT_CHARS, OUTPUT_CHARS, one_line

        lines = [f"{'#':<8}{'line':<8}{'input':<{INPUT_CHARS + 2}}output"]
        for number, line, text_input, output in first_page.preview:
            if text_input is None:
                lines.append(f"{number + 1:<8}{line:<8}✖ {one_line(output, INPUT_CHARS)}")
            else:
                lines.append(f"{number + 1:<8}{line:<8}{one_line(text_input, INPUT_CHARS):<{INPUT_CHARS + 2}}"
                             f"{one_line(output, OUTPUT_CHARS)}")
        return "\n".join(lines)

    async def _build(self) -> None:
        """Mount the path bar, the examples panel (the others follow: `_build_hidden`) and the footer."""
        if not self.is_attached:  # the app quit right after its first frame
            return
        from textual.widgets import Button, Footer

        from tui.screens.paths import display_path
        from tui.widgets.dataset_panels import DatasetPanels
        from tui.widgets.path_input import PathInput

        shown = display_path(self._opening) if self._opening is not None else ""  # a file given on the command line
        path_bar = Horizontal(PathInput(value=shown, id="path"), Button("Browse…", id="browse"), id="open-bar")
        panels = DatasetPanels()
        footer = Footer()
        # Textual's footer composes no keys until the screen's bindings change, then composes
        # again after a refresh: mounted after the screen, it may list them at once.
        footer._bindings_ready = True
        # One frame for all of it: Textual would otherwise lay out and draw the screen after
        # each level of the panels' nested widgets is mounted.
        with self.app.batch_update():
            self.query("#first-rows").remove()  # the table takes the preview's place
            for mounting in (self.mount(path_bar, before="#body"), self.query_one("#main").mount(panels),
                             self.mount(footer)):
                await mounting
        self.call_after_refresh(self._build_hidden, panels)

    async def _build_hidden(self, panels: DatasetPanels) -> None:
        """The screen is complete: mount the hidden panels, then take the keys and news held till now."""
        await panels.mount_hidden()
        self._built = True
        self.app.release_keys()  # keys typed since the first frame go on now
        self.call_after_refresh(self.app.first_screen_shown.set)
        for message in self._early:  # news of it that came before the panels
            self.post_message(message)
        self._early = ()

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
    def _tabs(self) -> TabbedContent:
        return cast("TabbedContent", self.query_one("#dataset-tabs"))

    _shown: OpenedDataset | None = None
    _progress: tuple[Horizontal, Static, ProgressBar] | None = None  # (row, stage label, bar) while a file is read
    _built = False  # the panels are mounted
    _opening: Path | None = None  # the file being read
    _start_path: Path | None = None  # the file given on the command line
    _reader: DatasetReader | None = None  # the reader of the file being read
    _early: tuple[Message, ...] = ()  # news of the file read that came before the panels
    _told_end = False  # said where the index has got, at the end of the rows known so far
    _held_frame: ExitStack | None = None  # the screen's next frame waits for a file's first rows

    def on_mount(self) -> None:
        self.app.dataset_changed.subscribe(self, self._dataset_changed)
        self.app.after_first_paint(lambda: self.call_later(self._build))
        first_page = self.app.open_on_start
        if first_page is not None:  # `tunedeck PATH`: its first rows are being read since the start
            self._opening = self._start_path = first_page.path
            self._set_summary(f"Reading {first_page.path.name}…", "muted")
            self.app.after_first_paint(first_page.read_rows)
            first_page.when_read(self._first_page_read)

    def _first_page_read(self, first_page: FirstPage) -> None:
        """The command line's file is read (on the reading thread, or at once)."""
        if first_page.error is None:
            self.post_message(DatasetOpened(first_page.path, first_page.reader, first_page.rows))
        else:  # read it again the usual way, which reports what is wrong
            self.app.call_from_thread(self._open, first_page.path, first_page.format)

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

        reader = open_reader(path, format)
        rows = reader.first_rows(FIRST_ROWS)
        if not get_current_worker().is_cancelled:
            self.post_message(DatasetOpened(path, reader, rows))

    @work(thread=True, exclusive=True, group="dataset", exit_on_error=False)
    def _finish(self, path: Path, reader: DatasetReader) -> None:
        """Index and lint the file whose first rows are shown."""
        from textual.worker import get_current_worker

        from tui.datasets.opened import finish_reading

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
        from textual.widgets import Footer, ProgressBar

        if self._progress is None:
            label, bar = Static("", id="progress-label"), ProgressBar(id="progress", show_eta=False)
            # A class, not an id: a bar being removed may still be in the DOM when the next one mounts.
            row = Horizontal(label, bar, classes="progress-bar")
            self._progress = (row, label, bar)
            footers = self.query(Footer)
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

    # -- events from widgets ------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "path" and event.value.strip():
            self.open_path(event.value.strip())
            self._example_table.focus()  # so single-letter keys work at once

    @on(OptionList.OptionSelected, "#samples")
    def _sample_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.open_path(event.option.id)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "browse":
            self.action_browse()

    def on_example_table_example_highlighted(self, message: ExampleTable.ExampleHighlighted) -> None:
        viewer = cast("ExampleViewer", self.query_one("#example-viewer"))
        viewer.show(message.row, self._path_input.value)
        reader = message.table.reader
        if reader is not None and not reader.complete and message.index >= message.table.total - 1:
            if not self._told_end:
                self._told_end = True
                self.notify(
                    f"{len(reader):,} examples indexed so far ({reader.index.fraction:.0%} of the file); "
                    "the rest appear as indexing goes on.",
                    title="Still indexing",
                    timeout=4,
                )
        else:
            self._told_end = False

    def on_findings_table_finding_highlighted(self, message: FindingsTable.FindingHighlighted) -> None:
        finding = message.finding
        where = (
            f"{Path(finding.path).name if finding.path else 'file'}:{finding.line}" if finding.line else "whole file"
        )
        field = f" · field {finding.field}" if finding.field else ""
        text = f"{finding.severity} {finding.rule} · {where}{field}\n{finding.message}"
        if finding.hint:
            text += f"\nWhat to do: {finding.hint}"
        self.query_one("#finding-detail", Static).update(text)

    def on_findings_table_finding_chosen(self, message: FindingsTable.FindingChosen) -> None:
        finding = message.finding
        table = self._example_table
        if finding.line is None or table.reader is None:
            self.notify("This finding is about the whole file, not one example.", title="Findings")
            return
        self.action_show_tab("examples")
        from tui.datasets.opened import index_of_line

        table.go_to(index_of_line(table.reader, finding.line))
        table.focus()

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`esc leave field` is offered (and shown in the footer) only while the path field has the focus."""
        if action == "leave_field":
            from tui.widgets.area_tabs import typing_in

            return typing_in(self.focused)
        return True

    def action_leave_field(self) -> None:
        """Stop typing in the path field, so single-letter keys and 1-5 work again."""
        tables = self.query("#example-table")
        if tables and self._example_table.row_count:
            tables.first().focus()
        else:
            self.action_focus_samples()

    def key_kind(self, event: events.Key) -> KeyKind:
        """Type-ahead (see tui.typeahead): every key waits for the panels; the keys that move
        the focus hold the keys typed after them until it has moved."""
        if not self._built:
            return "wait"
        from tui.widgets.area_tabs import typing_in

        if event.key in FOCUS_KEYS and self.app.screen is self and not typing_in(self.focused):
            return "moves-focus"
        return None

    def _focus_now(self, widget: Widget) -> None:
        """Move the focus at once (not on the next pass of the loop), then let held keys go on."""
        self.set_focus(widget)
        self.app.release_keys()

    def action_focus_path(self) -> None:
        self._focus_now(self._path_input)

    def action_focus_samples(self) -> None:
        self._focus_now(self.query_one("#samples", OptionList))

    def action_browse(self) -> None:
        from tui.screens.dialogs import OpenFileDialog

        start = Path(self._path_input.value or ".").expanduser()
        self.app.push_screen(OpenFileDialog(start if start.is_dir() else start.parent), self._browsed)
        self.call_after_refresh(self.app.release_keys)  # keys typed after `b` go to the dialog

    def _browsed(self, path: Path | None) -> None:
        if path is not None:
            self.open_path(path)

    def action_show_tab(self, tab: str) -> None:
        # Focus moves into the shown panel: a focused widget left in a hidden panel
        # would pull the tabs back to its own panel.
        self._tabs.active = tab
        self._focus_now(self.query_one(self.TAB_FOCUS[tab]))

    def action_next_tab(self) -> None:
        self._step_tab(1)

    def action_previous_tab(self) -> None:
        self._step_tab(-1)

    def _step_tab(self, step: int) -> None:
        tabs = self._tabs
        self.action_show_tab(self.TABS[(self.TABS.index(tabs.active) + step) % len(self.TABS)])

    def action_next_part(self) -> None:
        self._step_part(1)

    def action_previous_part(self) -> None:
        self._step_part(-1)

    def _step_part(self, step: int) -> None:
        viewer = self._example_viewer
        if viewer.row is None:
            self.notify("Highlight an example first.", title="Example")
        elif not viewer.next_part(step):
            self.notify("The whole example is shown.", title="Example")

    def action_read_in_pager(self) -> None:
        """The whole highlighted example in $PAGER (the app steps aside until the pager ends)."""
        from tui.widgets.example_pager import read_in_pager

        row = self._example_viewer.row
        if row is None or row.example is None:
            self.notify("Highlight a readable example first.", title="Example")
            return
        read_in_pager(self.app, row.example.text_input, row.example.output)

    def action_reload(self) -> None:
        value = self._path_input.value.strip()
        if value:
            self.open_path(value)
        else:
            self.notify("Open a dataset first (o: type a path, s: samples).", title="Reload")

    async def action_configure(self) -> None:
        await self.app.switch_mode("configure")
