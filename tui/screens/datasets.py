"""Placeholder for the Datasets screen until it is built."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class DatasetsScreen(Screen):
    """Datasets (not built yet)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Datasets: not built yet")
        yield Footer()
