"""The Datasets screen: open a dataset, page through its examples, read its findings and stats.

Reading and linting run in a thread worker with a progress bar, so a large file never
freezes the UI. The bar exists only while a file is being read: an idle bar would keep
animating (and waking the app) for the whole session. The opened dataset (path, reader,
lint report) is kept on the app as `app.dataset` for the Configure screen, and announced on
`app.dataset_changed`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from tui.messages import DatasetIndexed, DatasetLinted, WorkProgress
from tui.samples import sample_paths
from tui.screens.base import AppScreen

# tui.datasets.opened (and the readers) are imported where they are used: the first
# frame does not need them.

if TYPE_CHECKING:
    from textual.widgets import Button, Input, ProgressBar, TabbedContent

    from tui.datasets.opened import OpenedDataset
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
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield Static("Samples", classes="section-title")
                yield OptionList(*[Option(path.name, id=str(path)) for path in sample_paths()], id="samples")
                yield Static("Dataset", classes="section-title")
                yield Static("Open a sample or a file to start.", id="dataset-summary")
            yield Vertical(id="main")

    def _build(self) -> None:
        """Mount the path bar, the example/findings/stats panels and the footer."""
        from textual.widgets import Button, Footer

        from tui.widgets.dataset_panels import DatasetPanels
        from tui.widgets.path_input import PathInput

        self.mount(Horizontal(PathInput(id="path"), Button("Browse…", id="browse"), id="open-bar"), before="#body")
        self.query_one("#main").mount(DatasetPanels())
        self.mount(Footer())
        self.call_after_refresh(self.refresh_bindings)  # a footer mounted late must hear of the keys

    # The panels are mounted after the first frame, their modules imported then: these
    # typed lookups keep the imports out of the first frame.
    @property
    def _path_input(self) -> PathInput:
        return cast("PathInput", self.query_one("#path"))

    @property
    def _example_table(self) -> ExampleTable:
        return cast("ExampleTable", self.query_one("#example-table"))

    @property
    def _findings_table(self) -> FindingsTable:
        return cast("FindingsTable", self.query_one("#findings-table"))

    @property
    def _stats_view(self) -> DatasetStatsView:
        return cast("DatasetStatsView", self.query_one("#stats-view"))

    _shown: OpenedDataset | None = None
    _progress: tuple[Horizontal, Static, ProgressBar] | None = None  # (row, stage label, bar) while a file is read

    def on_mount(self) -> None:
        self.app.dataset_changed.subscribe(self, self._dataset_changed)
        self.app.after_first_paint(self._build)

    # -- opening ----------------------------------------------------------------------

    def open_path(self, path: str | Path, format: str | None = None) -> None:
        """Read and check the dataset at `path` in the background."""
        path = Path(path).expanduser()
        from tui.screens.paths import display_path

        self._path_input.value = display_path(path)
        self._set_summary(f"Reading {path.name}…", "muted")
        self._open(path, format)

    @work(thread=True, exclusive=True, group="dataset", exit_on_error=False)
    def _open(self, path: Path, format: str | None) -> None:
        from textual.worker import get_current_worker

        from tui.datasets.opened import read_and_check

        worker = get_current_worker()

        def post(message: Message) -> None:
            if not worker.is_cancelled:  # a newer open replaced this one: its messages win
                self.post_message(message)

        def progress(stage: str, done: float, total: float | None) -> None:
            post(WorkProgress(stage, done, total))

        opened = read_and_check(path, format, progress, indexed=lambda reader: post(DatasetIndexed(path, reader)))
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

    def _end_progress(self) -> None:
        """Remove the progress bar: it animates while it exists, even when hidden."""
        if self._progress is not None:
            self._progress[0].remove()
            self._progress = None

    def on_dataset_indexed(self, message: DatasetIndexed) -> None:
        self._example_table.show(message.reader)
        self._set_summary(f"{message.path.name}\n{len(message.reader):,} examples · checking…", "muted")

    def on_dataset_linted(self, message: DatasetLinted) -> None:
        self._end_progress()
        from tui.datasets.opened import OpenedDataset

        opened = OpenedDataset(message.path, message.reader, message.report)
        self._shown = opened
        self.app.dataset = opened
        self._show_report(opened)
        self.app.dataset_changed.publish(opened)

    def _dataset_changed(self, opened: OpenedDataset) -> None:
        """A dataset opened elsewhere (a relaunch from the monitor): show it here too."""
        if opened is not self._shown and self.query("#example-table"):
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
        tabs = cast("TabbedContent", self.query_one("#dataset-tabs"))
        tabs.get_tab("findings").label = f"Findings ({len(findings)})"
        dataset = opened.reader.dataset
        lines = [
            opened.path.name,
            f"{dataset.format} · {opened.examples:,} examples · {dataset.size_bytes / 1024:,.1f} KiB",
            f"{counts['error']} errors · {counts['warning']} warnings · {counts['info']} info",
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
        self._end_progress()
        self._set_summary(f"Could not open the dataset:\n{error}", "error-text")
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

    def action_focus_path(self) -> None:
        self._path_input.focus()

    def action_focus_samples(self) -> None:
        self.query_one("#samples", OptionList).focus()

    def action_browse(self) -> None:
        from tui.screens.dialogs import OpenFileDialog

        start = Path(self._path_input.value or ".").expanduser()
        self.app.push_screen(OpenFileDialog(start if start.is_dir() else start.parent), self._browsed)

    def _browsed(self, path: Path | None) -> None:
        if path is not None:
            self.open_path(path)

    def action_show_tab(self, tab: str) -> None:
        # Focus moves into the shown panel: a focused widget left in a hidden panel
        # would pull the tabs back to its own panel.
        cast("TabbedContent", self.query_one("#dataset-tabs")).active = tab
        self.query_one(self.TAB_FOCUS[tab]).focus()

    def action_next_tab(self) -> None:
        self._step_tab(1)

    def action_previous_tab(self) -> None:
        self._step_tab(-1)

    def _step_tab(self, step: int) -> None:
        tabs = cast("TabbedContent", self.query_one("#dataset-tabs"))
        self.action_show_tab(self.TABS[(self.TABS.index(tabs.active) + step) % len(self.TABS)])

    def action_reload(self) -> None:
        value = self._path_input.value.strip()
        if value:
            self.open_path(value)
        else:
            self.notify("Open a dataset first (o: type a path, s: samples).", title="Reload")

    async def action_configure(self) -> None:
        await self.app.switch_mode("configure")
