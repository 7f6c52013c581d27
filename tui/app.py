"""The Textual app: a shell of modes (Datasets, Configure, Monitor, Playground, Models).

Built by `make_app(settings, manager)` so tests and the screenshot script inject their
own settings and job manager. With `manager=None` the app opens the job manager itself,
after the first frame, so google-genai and numpy never delay the first paint.

Screens reach shared services as `self.app.settings` and `self.app.manager`, subscribe to
`self.app.job_events` for job events, and handle their own messages. The header line under
the title always says which backend is active and whether it answers. When a job finishes
the app says so (and rings the terminal bell if `settings.bell`), whatever screen is shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterable
from importlib import import_module
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.jobs.manager import JobManager
    from tui.models import Job

# How often the header re-checks that the backend answers.
HEALTH_INTERVAL_S = 30.0
# With `tunedeck PATH`, how long the job manager waits for the file's first rows to be on screen.
FIRST_ROWS_WAIT_S = 2.0
# Worker groups that live as long as their owner (tests wait for all the others):
# the job-event consumer, and the directory browser's loader queue (Textual's).
BACKGROUND_GROUPS = frozenset({"job-events", "_loader"})


def _lazy_screen(path: str):
    """A screen factory that imports its module on first use (keeps the first frame fast)."""

    def build() -> Screen:
        module, _, name = path.partition(":")
        screen = getattr(import_module(module), name)()
        app = screen.app
        # Textual internals (8.x): without them, Textual simply does its full refresh.
        stacks = getattr(app, "_screen_stacks", None)
        if isinstance(stacks, dict) and not any(stacks.values()) and hasattr(screen, "_css_update_count"):
            # The first mode's screen: Textual would re-read every rule twice (a full CSS
            # refresh) before the first frame, though nothing changed since the app read
            # them. Style the app now, which is all that refresh changes here (the screen
            # inherits from it), and mark the screen's styles current.
            app.stylesheet.update(app)
            screen._css_update_count = app._css_update_count
        return screen

    return build


class TuneDeckApp(App[None]):
    """tunedeck: browse datasets, configure and launch tuning jobs, monitor them, try models."""

    TITLE = "tunedeck"
    # The first screen's styles are read with the app's, in one parse: a screen's own
    # CSS_PATH makes Textual re-parse every rule when it mounts, before the first frame.
    CSS_PATH = ["app.tcss", "screens/datasets.tcss"]
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
        Binding("question_mark", "show_keys", "Keys", key_display="?", id="app.keys"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]

    def __init__(self, settings: Settings, manager: JobManager | None) -> None:
        super().__init__()
        self.settings = settings
        self.manager = manager
        self._owns_manager = manager is None
        self._first_painted = False
        self._after_first_paint: list = []
        # Every job event from the manager, re-published for screens to subscribe to.
        self.job_events: Signal[Any] = Signal(self, "job_events")
        # Published once with the manager when it is ready (at once if it was injected).
        self.manager_ready: Signal[Any] = Signal(self, "manager_ready")
        self.backend_reachable: bool | None = None
        # The dataset open on the Datasets screen (an OpenedDataset), announced when it changes.
        self.dataset: Any = None
        # `tunedeck PATH`: the dataset's first rows, being read (a tui.datasets.first_page.FirstPage).
        self.open_on_start: Any = None
        # Set when those rows are on screen: the job manager (google-genai) loads after them.
        self.first_rows_shown = asyncio.Event()
        self.dataset_changed: Signal[Any] = Signal(self, "dataset_changed")
        self._shown_screen: Any = None
        self._resting_cursors: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()  # hidden screen -> its paused cursor
        self._set_backend_status(None, "connecting…")

    # -- lifecycle -------------------------------------------------------------------

    def after_first_paint(self, callback) -> None:
        """Run `callback` once the first frame is on screen (at once if it already is)."""
        if self._first_painted:
            self.call_later(callback)
        else:
            self._after_first_paint.append(callback)

    def on_ready(self) -> None:
        """The first frame is on screen: now start what may take a while."""
        self._first_painted = True
        callbacks, self._after_first_paint = self._after_first_paint, []
        for callback in callbacks:
            callback()

    def on_mount(self) -> None:
        from tui.widgets.line_diff import send_changed_cells_only

        send_changed_cells_only()  # over SSH, a changed cell costs a few bytes, not its whole line
        self.screen_change_signal.subscribe(self, self._rest_hidden_cursor)
        self._shown_screen = self.screen
        if self.manager is None:
            self.after_first_paint(self._open_manager)
        else:
            self._manager_opened()

    @work(exclusive=True, group="manager-open", exit_on_error=False)
    async def _open_manager(self) -> None:
        """Open the job manager after the first frame (this is where google-genai loads)."""
        if self.open_on_start is not None:  # the file's first rows go first
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.first_rows_shown.wait(), FIRST_ROWS_WAIT_S)
        try:
            # google-genai takes a while to import: do it in a thread so keys keep working.
            from tui.jobs.polling import APP_POLICY

            service = await asyncio.to_thread(import_module, "tui.jobs.service")
            # The backend loads google-genai when it is made: load it here, off the event loop.
            await asyncio.to_thread(import_module, "google.genai")
            self.manager = await service.open_manager(self.settings, policy=APP_POLICY)
        except Exception as exc:  # noqa: BLE001 - any failure here must reach the user, not crash
            self._set_backend_status(False, f"not available: {exc}")
            self.notify(
                f"Could not start the job manager: {exc}. Check `tunedeck doctor` for details.",
                title="Backend",
                severity="error",
                timeout=15,
            )
            return
        self._manager_opened()

    def _manager_opened(self) -> None:
        self.manager_ready.publish(self.manager)
        if getattr(self.manager, "history_problem", None) is not None:
            self._announce_history_problem(self.manager.history_problem)
        self._consume_events()
        self._check_health()
        if not self.settings.test_mode:
            self.set_interval(HEALTH_INTERVAL_S, self._check_health)

    @work(exclusive=True, group="job-events", exit_on_error=False)
    async def _consume_events(self) -> None:
        """Re-publish every manager event on `job_events`; keep the header honest; announce
        finished jobs."""
        from tui.jobs.events import BackendFailed, BackendMoved, BackendRecovered, HistoryFailed, JobFinished

        async for event in self.manager.events():
            if isinstance(event, HistoryFailed):
                self._announce_history_problem(event.error)
            elif isinstance(event, BackendMoved):
                self.notify(event.message, title="Local emulator", timeout=10)
            elif isinstance(event, BackendFailed):
                self._set_backend_status(False, str(event.error))
            elif isinstance(event, BackendRecovered):
                self._set_backend_status(True, "reachable")
            elif isinstance(event, JobFinished):
                self._announce_finished(event.job)
            self.job_events.publish(event)

    def _announce_history_problem(self, error: Any) -> None:
        """The history file failed: jobs are kept in memory until the app quits; say what to do."""
        self.notify(f"{error}. Jobs are kept in memory until you quit.", title="History", severity="error", timeout=20)

    def _announce_finished(self, job: Job) -> None:
        """A notification (and the bell, if enabled) that a job finished, on any screen."""
        from tui.models import JobState
        from tui.widgets.monitor_format import job_title

        severity = "information" if job.state is JobState.ACTIVE else "warning"
        outcome = {
            JobState.ACTIVE: "finished: the tuned model is ready. Try it in the Playground (4).",
            JobState.FAILED: f"failed: {job.error or 'no reason given'}",
            JobState.CANCELLED: "was cancelled.",
        }.get(job.state, f"ended as {job.state.value}.")
        self.notify(f"{job_title(job)} {outcome}", title="Job finished", severity=severity, timeout=10)
        if self.settings.bell:
            self.bell()

    @work(exclusive=True, group="health", exit_on_error=False)
    async def _check_health(self) -> None:
        try:
            health = await self.manager.check()
        except Exception as exc:  # noqa: BLE001 - the header reports it
            self._set_backend_status(False, str(exc))
            return
        if health.reachable:
            self._set_backend_status(True, "reachable")
        else:
            self._set_backend_status(False, f"unreachable: {health.message}")

    async def on_unmount(self) -> None:
        """However the app ends, close the manager it opened; a local emulator keeps
        training in its own process."""
        if self.manager is not None and self._owns_manager:
            close = getattr(self.manager, "close", None)
            if close is not None:
                try:
                    await close()
                except Exception:  # noqa: BLE001 - quitting must always work
                    pass

    async def settle(self) -> None:
        """Wait for every short-lived worker to finish (tests and the screenshot script)."""
        while True:
            pending = [w for w in self.workers if w.group not in BACKGROUND_GROUPS and not w.is_finished]
            if not pending:
                return
            await self.workers.wait_for_complete(pending)

    def _rest_hidden_cursor(self, screen) -> None:
        """Pause the text cursor of the screen just left: blinking where nobody sees it
        would wake the app twice a second for as long as the screen stays hidden."""
        left, self._shown_screen = self._shown_screen, screen
        if left is not None and left is not screen:
            focused = left.focused
            if getattr(focused, "cursor_blink", False):
                focused.cursor_blink = False
                self._resting_cursors[left] = focused
        cursor = self._resting_cursors.pop(screen, None)
        if cursor is not None and cursor.is_mounted:
            cursor.cursor_blink = True

    def steady(self, root) -> None:
        """In test mode, stop cursors blinking under `root` so screenshots are stable."""
        if self.settings.test_mode:
            for widget in root.query("Input, TextArea"):
                widget.cursor_blink = False

    # -- backend status ---------------------------------------------------------------

    @property
    def backend_label(self) -> str:
        """Which backend is active, with the key masked: never the key itself."""
        if self.manager is not None and getattr(self.manager, "backend_description", None):
            label = self.manager.backend_description
            if self.settings.test_mode:
                # A test emulator listens on a random port; keep snapshots identical.
                label = re.sub(r"(127\.0\.0\.1|localhost):\d+", r"\1:PORT", label)
            return label
        if self.settings.active_backend == "gemini":
            return f"Gemini API (key {self.settings.masked_key})"
        return "local emulator"

    def _set_backend_status(self, reachable: bool | None, message: str) -> None:
        self.backend_reachable = reachable
        mark = {True: "●", False: "✖", None: "○"}[reachable]
        # The state first: a narrow terminal cuts the end of the line, never the state.
        self.sub_title = f"{mark} {message} · {self.backend_label}"

    # -- cross-screen calls ------------------------------------------------------------

    async def open_job(self, name: str) -> None:
        """Show a job in the monitor."""
        await self.switch_mode("monitor")
        select = getattr(self.screen, "select_job", None)
        if select is not None:
            result = select(name)
            if hasattr(result, "__await__"):
                await result

    async def relaunch(self, job: Job, epochs: int | None = None) -> None:
        """Open the job form pre-filled from `job` (optionally with another epoch count)."""
        from tui.models import JobSpec

        hyperparameters = job.hyperparameters
        if epochs is not None:
            hyperparameters = hyperparameters.model_copy(update={"epoch_count": epochs})
        from tui.widgets.job_form import distinct_name

        taken = {other.display_name for other in self.manager.jobs} if self.manager is not None else set()
        name = distinct_name(job.display_name, taken | {job.display_name})
        spec = JobSpec(display_name=name, base_model=job.base_model, hyperparameters=hyperparameters)
        await self.switch_mode("configure")
        self.screen.load(spec, job.dataset_path)

    async def try_model(self, name: str) -> None:
        """Open the playground on a tuned model."""
        await self.switch_mode("playground")
        select = getattr(self.screen, "select_model", None)
        if select is not None:
            result = select(name)
            if hasattr(result, "__await__"):
                await result

    async def refresh_jobs(self) -> bool:
        """Ask the backend now (the screens' ctrl+r); say so where the user is if it fails."""
        if self.manager is None:
            self.notify("The backend is not connected yet.", severity="warning")
            return False
        try:
            await self.manager.refresh()
        except Exception as exc:  # noqa: BLE001 - any failure is shown, the app goes on
            self.notify(f"Refresh failed: {exc}", severity="error", timeout=10)
            return False
        return True

    # -- keys and commands ------------------------------------------------------------

    def action_show_keys(self) -> None:
        """Show the keys active on the current screen."""
        from tui.screens.help import HelpScreen, collect_keys

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(collect_keys(self.screen), title=self.screen.__class__.__name__))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every binding active here is also a command in the palette."""
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        # The app's own bindings are always offered, even while a text field takes the keys.
        entries = [(active.node, active.binding, active.enabled) for active in screen.active_bindings.values()]
        entries += [(self, binding, True) for binding in self.BINDINGS if isinstance(binding, Binding)]
        for namespace, binding, enabled in entries:
            if not binding.description or not enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.get_key_display(binding)
            help_text = f"{binding.tooltip or binding.description} (key: {key})"

            async def run(namespace=namespace, action=binding.action) -> None:
                await self.run_action(action, namespace)

            yield SystemCommand(binding.description, help_text, run)


def make_app(settings: Settings, manager: JobManager | None) -> TuneDeckApp:
    """Build the app around the given settings and job manager (None: open one after first paint)."""
    return TuneDeckApp(settings, manager)
