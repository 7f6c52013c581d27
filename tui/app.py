"""The Textual app: a shell of modes (Datasets, Configure, Monitor, Playground, Models).

Built by `make_app(settings, manager)` so tests and the screenshot script inject their
own settings and job manager. Screens reach shared services as `self.app.settings` and
`self.app.manager`; they handle their own messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.jobs.manager import JobManager


class TuneDeckApp(App[None]):
    """tunedeck: browse datasets, configure and launch tuning jobs, monitor them, try models."""

    TITLE = "tunedeck"
    MODES = {
        "datasets": "tui.screens.datasets:DatasetsScreen",
        "configure": "tui.screens.configure:ConfigureScreen",
        "monitor": "tui.screens.monitor:MonitorScreen",
        "playground": "tui.screens.playground:PlaygroundScreen",
        "models": "tui.screens.models:ModelsScreen",
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
