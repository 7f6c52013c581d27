"""Placeholder for the Monitor screen until it is built."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class MonitorScreen(Screen):
    """Monitor (not built yet)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Monitor: not built yet")
        yield Footer()
