"""The three panels of the Datasets screen: examples (table + viewer), findings, stats.

The findings and stats panels are hidden at first: their widgets are mounted by
`mount_hidden`, after the screen with the examples panel is on screen.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TabbedContent, TabPane

from tui.widgets.dataset_stats import DatasetStatsView
from tui.widgets.example_table import ExampleTable
from tui.widgets.example_viewer import ExampleViewer
from tui.widgets.findings_list import FindingsTable


class DatasetPanels(Vertical):
    """Tabs over the open dataset; the screen fills the widgets by id."""

    DEFAULT_CSS = """
    DatasetPanels { width: 1fr; height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        with TabbedContent(id="dataset-tabs", initial="examples"):
            with TabPane("Examples", id="examples"):
                yield ExampleTable(id="example-table")
                yield ExampleViewer(id="example-viewer")
            yield TabPane("Findings", id="findings")
            yield TabPane("Stats", id="stats")

    async def mount_hidden(self) -> None:
        """Mount the widgets of the panels not shown at first (findings, stats)."""
        await self.query_one("#findings", TabPane).mount(
            FindingsTable(id="findings-table"),
            Static("Enter on a finding shows its example.", id="finding-detail", markup=False),
        )
        await self.query_one("#stats", TabPane).mount(DatasetStatsView(id="stats-view"))
