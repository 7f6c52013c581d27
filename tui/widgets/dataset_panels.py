"""The three panels of the Datasets screen: examples (table + viewer), findings, stats.

The panels sit under a tab line drawn by one widget (the panel names, the shown one
underlined); `active` names the panel shown. The first screen shows the examples panel with
no dataset open: the table's column headings over an empty table and the viewer's "No
example selected.", drawn by `EmptyExamples` and `EmptyViewer` (the table, a DataTable, and
the viewer, a scrolling container of five texts, take a while to load and mount). Right
after that screen is complete, `mount_hidden` puts the examples panel (the table and the
viewer) in their place (the screen looks the same) and mounts the findings and stats panels,
which are hidden at first; the panels' containers come with them (each is a layer more to
lay out and draw on the first screen). The screen takes keys once they are all in (tui.typeahead holds the
ones typed before).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.style import Style
from rich.text import Text
from textual import events
from textual.containers import Vertical
from textual.reactive import reactive
from textual.renderables.bar import Bar
from textual.widget import Widget
from textual.widgets import Static

# What the viewer says with no example shown (tui.widgets.example_viewer.NOTHING, not imported
# for it: the viewer loads after the first screen).
NOTHING = "No example selected."

if TYPE_CHECKING:
    from textual.app import ComposeResult

PANELS = (("examples", "Examples"), ("findings", "Findings"), ("stats", "Stats"))
# The examples table's column headings as the table draws them (tui.widgets.example_table: "#" and
# "line" 6 cells wide, the others as wide as their heading while the table is empty, one cell of
# padding on each side).
HEADINGS = (("#", 6), ("line", 6), ("input", 5), ("output", 6))
EMPTY_HEADINGS = "".join(f" {heading:<{width}} " for heading, width in HEADINGS)


class PanelTab:
    """One panel's name on the tab line; setting `label` redraws the line."""

    def __init__(self, tab_line: PanelTabLine, label: str) -> None:
        self._tab_line = tab_line
        self._label = Text(label)

    @property
    def label(self) -> Text:
        return self._label

    @label.setter
    def label(self, label: str | Text) -> None:
        self._label = Text(label) if isinstance(label, str) else label
        self._tab_line.refresh()


class PanelTabLine(Widget):
    """The panels' names, the shown one bright and underlined, as Textual's tabs draw them; a click
    on a name shows that panel."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"panel-tabs--tab", "panel-tabs--active", "panel-tabs--bar"}
    DEFAULT_CSS = """
    PanelTabLine {
        height: 2;
        width: 1fr;
        & > .panel-tabs--tab { color: $foreground 50%; }
        & > .panel-tabs--active { color: $foreground; }
        & > .panel-tabs--bar { color: $block-cursor-background; background: $foreground 10%; }
        &:ansi {
            & > .panel-tabs--tab { text-style: dim; }
            & > .panel-tabs--active { text-style: not dim bold; }
            & > .panel-tabs--bar { color: $block-cursor-background; background: $border-blurred; }
        }
    }
    """

    active: reactive[str] = reactive("examples")

    def __init__(self) -> None:
        super().__init__(id="panel-tab-line")
        self.tabs = {name: PanelTab(self, label) for name, label in PANELS}
        self._spans: list[tuple[int, int, str]] = []  # (first column, end column, panel)

    def render(self) -> Group:
        tab_style = self.get_component_rich_style("panel-tabs--tab")
        active_style = self.get_component_rich_style("panel-tabs--active")
        bar_style = self.get_component_rich_style("panel-tabs--bar")
        names = Text(no_wrap=True, overflow="crop")
        self._spans = []
        highlight = (0, 0)
        for name, tab in self.tabs.items():
            start = len(names)
            label = tab.label.plain
            names.append(" ")
            names.append(label, active_style if name == self.active else tab_style)
            names.append(" ")
            self._spans.append((start, len(names), name))
            if name == self.active:
                highlight = (start + 1, start + 1 + len(label))
        bar = Bar(highlight_range=highlight, highlight_style=Style.from_color(bar_style.color),
                  background_style=Style.from_color(bar_style.bgcolor))
        return Group(names, bar)

    async def on_click(self, event: events.Click) -> None:
        for start, end, name in self._spans:
            if start <= event.x < end:
                panels = self.parent
                if isinstance(panels, DatasetPanels):
                    await panels.choose(name)
                return


class EmptyExamples(Widget):
    """The examples table before any dataset is open: its headings on the table's background,
    drawn as the table draws them."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"empty-examples--header"}
    DEFAULT_CSS = """
    EmptyExamples {
        height: 1fr;
        background: $surface;
        color: $foreground;
        & > .empty-examples--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .empty-examples--header { background: ansi_bright_blue; color: ansi_default; }
    }
    """

    def render(self) -> Text:
        header = Text(EMPTY_HEADINGS, style=self.get_component_rich_style("empty-examples--header"), no_wrap=True,
                      overflow="crop", end="")
        header.pad_right(max(0, self.size.width - len(header)))
        return header


class EmptyViewer(Widget):
    """The example viewer before any dataset is open (`NOTHING` and the two headings), drawn as the
    viewer (a scrolling container of five texts, styled by datasets.tcss) draws it."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"empty-viewer--where", "empty-viewer--label"}
    DEFAULT_CSS = """
    EmptyViewer {
        height: 12;
        border-top: hkey $panel;
        padding: 0 1;
        & > .empty-viewer--where { color: $text-muted; }
        & > .empty-viewer--label { color: $text-accent; text-style: bold; }
    }
    """

    def render(self) -> Text:
        where = self.get_component_rich_style("empty-viewer--where")
        label = self.get_component_rich_style("empty-viewer--label")
        # The place, a margin, "input", its empty value, a margin, "output".
        return Text.assemble((NOTHING, where), "\n\n", ("input", label), "\n\n\n", ("output", label), no_wrap=True,
                             overflow="crop", end="")


class DatasetPanels(Vertical):
    """Tabs over the open dataset; the screen fills the widgets by id and shows a panel with `active`."""

    DEFAULT_CSS = """
    DatasetPanels { width: 1fr; height: 1fr; }
    DatasetPanels > .dataset-panel { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__(id="dataset-tabs")
        self._tab_line = PanelTabLine()

    def compose(self) -> ComposeResult:
        # The panels' containers come with their widgets (`mount_hidden`): the pictures stand in
        # for the examples panel until then.
        yield self._tab_line
        yield EmptyExamples(id="empty-examples")
        yield EmptyViewer(id="empty-viewer")

    @property
    def active(self) -> str:
        """The panel shown."""
        return self._tab_line.active

    @active.setter
    def active(self, name: str) -> None:
        if name not in self._tab_line.tabs:
            raise ValueError(f"no panel named {name!r}")
        self._tab_line.active = name
        for panel, _label in PANELS:
            self.query_one(f"#{panel}").display = panel == name

    def get_tab(self, name: str) -> PanelTab:
        """The name of the panel `name` on the tab line (its `label` may be changed)."""
        return self._tab_line.tabs[name]

    async def choose(self, name: str) -> None:
        """A click on a panel's name: show it as its key would (the screen's `show_tab`, which moves the focus)."""
        if not self._complete:  # the panels' widgets are being mounted (a moment after the first screen)
            return
        if hasattr(self.screen, "action_show_tab"):
            await self.screen.run_action(f"show_tab({name!r})")
        else:
            self.active = name

    _complete = False  # every panel's widgets are mounted

    async def mount_hidden(self) -> None:
        """Put the examples table in place of its empty headings, and mount the widgets of the panels
        not shown at first (findings, stats)."""
        from tui.widgets.dataset_stats import DatasetStatsView
        from tui.widgets.example_table import ExampleTable
        from tui.widgets.example_viewer import ExampleViewer
        from tui.widgets.findings_list import FindingsTable

        with self.app.batch_update():  # one frame: the table and the viewer as they replace their pictures
            await self.query("#empty-examples, #empty-viewer").remove()
            examples = Vertical(ExampleTable(id="example-table"), ExampleViewer(id="example-viewer"), id="examples",
                                classes="dataset-panel")
            await self.mount(examples)
        findings = Vertical(
            FindingsTable(id="findings-table"),
            Static("Enter on a finding shows its example.", id="finding-detail", markup=False),
            id="findings",
            classes="dataset-panel",
        )
        stats = Vertical(DatasetStatsView(id="stats-view"), id="stats", classes="dataset-panel")
        await self.mount(findings.set_styles("display: none;"), stats.set_styles("display: none;"))
        self._complete = True
