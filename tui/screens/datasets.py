"""The Datasets screen: open a dataset, page through its examples, read its findings and stats.

This module builds the screen (the first frame, then the rest) and holds its keys; reading a
file and showing what is found is its base class's part (tui/screens/dataset_reading.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.samples import sample_paths
from tui.screens.dataset_reading import DatasetReading
from tui.typeahead import KeyKind

# tui.datasets.opened (and the readers) are imported where they are used: the first
# frame does not need them.

# Keys that move the focus: the keys typed right after them wait until it has moved.
FOCUS_KEYS = frozenset({"o", "b", "s", "e", "f", "t", "left_square_bracket", "right_square_bracket"})
PREVIEW_WAIT_S = 0.3  # the longest the first frame waits for the preview of a file given on the command line
REDRAW_POLL_S = 0.02  # shown again: how often to look whether the pause of updates is over

if TYPE_CHECKING:
    from textual.widgets import Input

    from tui.datasets.first_page import FirstPage
    from tui.widgets.dataset_panels import DatasetPanels
    from tui.widgets.example_table import ExampleTable
    from tui.widgets.findings_list import FindingsTable


class DatasetsScreen(DatasetReading):
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
        from tui.widgets.app_header import AppHeader
        from tui.widgets.area_tabs import AreaTabs
        from tui.widgets.samples_picture import SamplesPicture

        yield AppHeader()  # Textual's Header, drawn by one widget
        yield AreaTabs()  # here, not mounted by AppScreen.on_mount: one layout less before the first frame
        yield Horizontal(id="open-bar")  # the path bar, filled right after: nothing below it moves then
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield Static("Samples", classes="section-title")
                # The list itself comes right after the complete screen (`_mount_samples`).
                yield SamplesPicture([path.name for path in sample_paths()], id="samples-picture")
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
        """Fill the path bar, mount the examples panel (the others follow: `_build_hidden`) and the footer."""
        if not self.is_attached:  # the app quit right after its first frame
            return
        from tui.screens.paths import display_path
        from tui.widgets.action_button import ActionButton
        from tui.widgets.dataset_panels import DatasetPanels
        from tui.widgets.key_footer import KeyFooter
        from tui.widgets.path_input import PathInput

        shown = display_path(self._opening) if self._opening is not None else ""  # a file given on the command line
        browse = ActionButton("Browse…", "screen.browse", id="browse")
        path_bar = self.query_one("#open-bar")
        panels = DatasetPanels()
        # One frame for all of it: Textual would otherwise lay out and draw the screen after
        # each level of the panels' nested widgets is mounted.
        with self.app.batch_update():
            self.query("#first-rows").remove()  # the table takes the preview's place
            path = PathInput(value=shown, id="path")
            # The footer last: a file's progress bar goes between the body and it.
            mountings = (path_bar.mount(path, browse), self.query_one("#main").mount(panels), self.mount(KeyFooter()))
            for mounting in mountings:
                await mounting
        self.call_after_refresh(self._build_hidden, panels)

    async def _build_hidden(self, panels: DatasetPanels) -> None:
        """The screen is complete: mount the hidden panels, then take the keys and news held till now."""
        await self._mount_samples()
        await panels.mount_hidden()
        self._built = True
        self.app.release_keys()  # keys typed since the first frame go on now
        self.call_after_refresh(self.app.first_screen_complete)
        for message in self._early:  # news of it that came before the panels
            self.post_message(message)
        self._early = ()

    async def _mount_samples(self) -> None:
        """Put the samples list in the place of its picture, with the focus (unless a click moved it)."""
        picture = self.query_one("#samples-picture")
        samples = OptionList(*[Option(path.name, id=str(path)) for path in sample_paths()], id="samples")
        with self.app.batch_update():  # one frame: the list as it replaces its picture
            await self.query_one("#sidebar").mount(samples, after=picture)
            await picture.remove()
        if self.focused is None:
            self.set_focus(samples)

    def on_mount(self) -> None:
        self.app.dataset_changed.subscribe(self, self._dataset_changed)
        self.app.after_first_paint(lambda: self.call_later(self._build))
        first_page = self.app.open_on_start
        if first_page is not None:  # `tunedeck PATH`: its first rows are being read since the start
            self._opening = self._start_path = first_page.path
            self._set_summary(f"Reading {first_page.path.name}…", "muted")
            self.app.after_first_paint(first_page.read_rows)
            first_page.when_read(self._first_page_read)

    def on_screen_resume(self) -> None:
        """Shown again (1 from another area): drawn once the switch's pause of updates is over.

        Textual switches areas inside a short pause of updates (`App.delay_update`) and drops
        the refresh the screen asks for on resume; its end wakes the app, not the screen, so
        unless something else on it changes afterwards the screen stays undrawn (seconds, in a
        busy terminal)."""
        self._draw_after_pause()

    _frame_held = False  # the start-up draw left for after the app's start-up batch

    def _compositor_refresh(self) -> None:
        """Textual lays the screen out during the app's start-up batch of updates and draws it
        then, but draws nothing to the terminal during a batch (`App._display`) and draws the
        frame again right after it: before the first frame, that first draw (a tenth of the time
        to the first frame) is left for after the batch."""
        app = self.app
        if app._batch_count and not app.painted and self is app.screen:
            if not self._frame_held:
                self._frame_held = True
                app.call_later(self._draw_held_frame)  # the app's queue runs once the batch is over
            return
        self._frame_held = False
        super()._compositor_refresh()

    def _draw_held_frame(self) -> None:
        if self._frame_held:  # nothing has drawn it since
            self._compositor_refresh()

    def _draw_after_pause(self) -> None:
        if self.app._batch_count:
            self.set_timer(REDRAW_POLL_S, self._draw_after_pause)
        elif self.is_current:
            self.refresh()

    def _first_page_read(self, first_page: FirstPage) -> None:
        """The command line's file is read (on the reading thread, or at once)."""
        if first_page.error is None:
            from tui.messages import DatasetOpened

            self.post_message(DatasetOpened(first_page.path, first_page.reader, first_page.rows))
        else:  # read it again the usual way, which reports what is wrong
            self.app.call_from_thread(self._open, first_page.path, first_page.format)

    # -- events from widgets ------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "path" and event.value.strip():
            self.open_path(event.value.strip())
            self._example_table.focus()  # so single-letter keys work at once

    @on(OptionList.OptionSelected, "#samples")
    def _sample_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.open_path(event.option.id)

    def on_example_table_example_highlighted(self, message: ExampleTable.ExampleHighlighted) -> None:
        viewer = self._example_viewer
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
