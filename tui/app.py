"""The Textual app: a shell of modes (Datasets, Configure, Monitor, Playground, Models).

Built by `make_app(settings, manager)` so tests and the screenshot script inject their
own settings and job manager. Screens reach shared services as `self.app.settings` and
`self.app.manager`; they handle their own messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from importlib import import_module

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.jobs.manager import JobManager


def _lazy_screen(path: str):
    """A screen factory that imports its module on first use (keeps the first frame fast)."""

    def build() -> Screen:
        module, _, name = path.partition(":")
        return getattr(import_module(module), name)()

    return build


class TuneDeckApp(App[None]):
    """tunedeck: browse datasets, configure and launch tuning jobs, monitor them, try models."""

    TITLE = "tunedeck"
    MODES = {
        "datasets": _lazy_screen("tui.screens.datasets:DatasetsScreen"),
        "configure": _lazy_screen("tui.screens.configure:ConfigureScreen"),
        "monitor": _lazy_screen("tui.screens.monitor:MonitorScreen"),
        "playground": _lazy_screen("tui.screens.playground:PlaygroundScreen"),
        "models": _lazy_screen("tui.screens.models:ModelsScreen"),
    }
    DEFAULT_MODE = "datasets"
    BINDINGS = [
        Binding("1", "switch_mode('datasets')", "Datasets", id="mode.datasets"),
        Binding("2", "switch_mode('configure')", "Configure", id="mode.configure"),
        Binding("3", "switch_mode('monitor')", "Monitor", id="mode.monitor"),
        Binding("4", "switch_mode('playground')", "Playground", id="mode.playground"),
        Binding("5", "switch_mode('models')", "Models", id="mode.models"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]

    def __init__(self, settings: Settings, manager: JobManager | None) -> None:
        super().__init__()
        self.settings = settings
        self.manager = manager


def make_app(settings: Settings, manager: JobManager | None) -> TuneDeckApp:
    """Build the app around the given settings and job manager."""
    return TuneDeckApp(settings, manager)
