"""Placeholder for the Playground screen until it is built."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class PlaygroundScreen(Screen):
    """Playground (not built yet)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Playground: not built yet")
        yield Footer()
