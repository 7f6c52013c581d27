"""Placeholder for the Configure screen until it is built."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class ConfigureScreen(Screen):
    """Configure (not built yet)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Configure: not built yet")
        yield Footer()
