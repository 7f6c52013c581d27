"""The Textual app: a shell of modes (Datasets, Configure, Monitor, Playground, Models).

Built by `make_app(settings, manager)` so tests and the screenshot script inject their
own settings and job manager. With `manager=None` the app opens the job manager itself,
after the first frame, so google-genai and numpy never delay the first paint.

Screens (`tui.screens.base.AppScreen`) reach shared services as `self.app.settings` and
`self.app.manager`, subscribe to `self.app.job_events` for job events, and ask for another
screen with a message (`OpenJob`, `TryModel`, `Relaunch` from `tui.messages`). The header
line under the title always says which backend is active and whether it answers. When a job
finishes the app says so (and rings the terminal bell if `settings.bell`), whatever screen
is shown. A failure anywhere is reported one way: `report_error`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from contextlib import suppress
from importlib import import_module
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, ClassVar
from weakref import WeakKeyDictionary

from textual import events, work
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.signal import Signal
from textual.widget import Widget
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from tui import style_cache
from tui.errors import TunedeckError
from tui.terminal_mirror import TerminalMirror
from tui.typeahead import TypeAhead

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual.notifications import SeverityLevel
    from textual.widget import AwaitMount

    from tui.config import Settings
    from tui.datasets.first_page import FirstPage
    from tui.datasets.opened import OpenedDataset
    from tui.jobs.events import Event
    from tui.jobs.history import HistoryError
    from tui.jobs.manager import JobManager
    from tui.messages import OpenJob, Relaunch, TryModel
    from tui.models import Job

# How often the header re-checks that the backend answers.
HEALTH_INTERVAL_S = 30.0
# With `tunedeck PATH`, how long the job manager waits for the file's first rows to be on screen.
FIRST_ROWS_WAIT_S = 2.0
# Worker groups that live as long as their owner (tests wait for all the others):
# the job-event consumer, and the directory browser's loader queue (Textual's).
BACKGROUND_GROUPS = frozenset({"job-events", "_loader"})


def _lazy_screen(path: str) -> Callable[[], Screen]:
    """A screen factory that imports its module on first use (keeps the first frame fast).

    It uses two of Textual's private attributes (`App._screen_stacks`, `_css_update_count`);
    tests/app/test_textual_contract.py fails loudly if a Textual release changes them.
    A later screen's styles are read ahead the same way (`tui.screens_ahead.style_ahead`).
    """

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
        elif isinstance(stacks, dict) and hasattr(screen, "_css_update_count"):
            from tui.screens_ahead import style_ahead

            style_ahead(app, screen)
        return screen

    build.module = path.partition(":")[0]  # type: ignore[attr-defined]  # imported ahead (tui.screens_ahead)
    return build


class TuneDeckApp(TypeAhead):
    """tunedeck: browse datasets, configure and launch tuning jobs, monitor them, try models."""

    TITLE = "tunedeck"
    # The first screen's styles are read with the app's, in one parse: a screen's own
    # CSS_PATH makes Textual re-parse every rule when it mounts, before the first frame.
    CSS_PATH: ClassVar[list[str | PurePath] | str | PurePath | None] = ["app.tcss", "screens/datasets.tcss"]
    MODES: ClassVar[dict[str, str | Callable[[], Screen]]] = {
        "datasets": _lazy_screen("tui.screens.datasets:DatasetsScreen"),
        "configure": _lazy_screen("tui.screens.configure:ConfigureScreen"),
        "monitor": _lazy_screen("tui.screens.monitor:MonitorScreen"),
        "playground": _lazy_screen("tui.screens.playground:PlaygroundScreen"),
        "models": _lazy_screen("tui.screens.models:ModelsScreen"),
    }
    DEFAULT_MODE = "datasets"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "switch_mode('datasets')", "Datasets", show=False, id="mode.datasets"),
        Binding("2", "switch_mode('configure')", "Configure", show=False, id="mode.configure"),
        Binding("3", "switch_mode('monitor')", "Monitor", show=False, id="mode.monitor"),
        Binding("4", "switch_mode('playground')", "Playground", show=False, id="mode.playground"),
        Binding("5", "switch_mode('models')", "Models", show=False, id="mode.models"),
        Binding("question_mark", "show_keys", "Keys", key_display="?", id="app.keys"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]
    # What varies from one run to the next. Screenshot tests and the screenshot script set
    # these on the class (see tests/ui_fixtures.py) so every frame comes out the same.
    show_clock: ClassVar[bool] = True  # ages, elapsed time and ETA, which follow the clock
    cursor_blink: ClassVar[bool] = True  # the text cursor blinks where a field has focus
    health_interval: ClassVar[float | None] = HEALTH_INTERVAL_S  # None: check the backend once
    build_ahead: ClassVar[bool] = True  # build the Configure screen, hidden, once the first screen is complete
    sets_aside_long_lived = False  # tui.launch sets what lives as long as the app aside (gc.freeze)

    def __init__(self, settings: Settings, manager: JobManager | None) -> None:
        super().__init__()
        self.settings = settings
        self.manager: JobManager | None = manager
        self._owns_manager = manager is None
        self._first_painted = False
        self._after_first_paint: list[Callable[[], object]] = []
        # Every job event from the manager, re-published for screens to subscribe to.
        self.job_events: Signal[Event] = Signal(self, "job_events")
        # Published once with the manager when it is ready (at once if it was injected).
        self.manager_ready: Signal[JobManager] = Signal(self, "manager_ready")
        self.backend_reachable: bool | None = None
        # The dataset open on the Datasets screen, announced when it changes.
        self.dataset: OpenedDataset | None = None
        self.dataset_changed: Signal[OpenedDataset | None] = Signal(self, "dataset_changed")
        # `tunedeck PATH`: the dataset's first rows, being read.
        self.open_on_start: FirstPage | None = None
        # Set when those rows are on screen: the job manager (google-genai) loads after them.
        self.first_rows_shown = asyncio.Event()
        # Set when the first screen is complete (panels, footer): the job manager loads after it.
        self.first_screen_shown = asyncio.Event()
        self._shown_screen: Screen | None = None
        self._resting_cursors: WeakKeyDictionary[Screen, Widget] = WeakKeyDictionary()  # hidden screen -> its cursor
        self.terminal = TerminalMirror()  # what the terminal shows: updates send only what differs
        self._set_backend_status(None, "connecting…")
        # The first screen's parsed styles, saved by the last start (tui/style_cache.py).
        self._styles_loaded = style_cache.load(self.stylesheet, self.style_cache_dir)

    @property
    def style_cache_dir(self) -> Path:
        return self.settings.data_dir / "cache"

    # -- lifecycle -------------------------------------------------------------------

    def first_screen_complete(self) -> None:
        """The first screen is complete (the screen says so): what waited for it goes on."""
        self.first_screen_shown.set()
        style_cache.save(self.stylesheet, self.style_cache_dir, self._styles_loaded)  # if it parsed new CSS

    @property
    def painted(self) -> bool:
        """Whether the first frame is on screen."""
        return self._first_painted

    def after_first_paint(self, callback: Callable[[], object]) -> None:
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
        self.app_resume_signal.subscribe(self, lambda _: self.terminal.forget())  # after a suspend
        self.screen_change_signal.subscribe(self, self._rest_hidden_cursor)
        self._shown_screen = self.screen
        if self.manager is None:
            self.after_first_paint(self._open_manager)
        else:
            self._manager_opened(self.manager)
        if self.build_ahead:
            self.after_first_paint(self._build_ahead)

    @work(exclusive=True, group="manager-open", exit_on_error=False)
    async def _open_manager(self) -> None:
        """Open the job manager after the first frame (this is where google-genai loads)."""
        # The complete first screen, and a file's first rows, go first: imports in a thread
        # still take the interpreter's lock from the screen being built.
        with suppress(TimeoutError):
            await asyncio.wait_for(self.first_screen_shown.wait(), FIRST_ROWS_WAIT_S)
        if self.open_on_start is not None:
            with suppress(TimeoutError):
                await asyncio.wait_for(self.first_rows_shown.wait(), FIRST_ROWS_WAIT_S)
        from tui.jobs.polling import APP_POLICY

        # The dataset reader first (pydantic, the formats) and the messages its screen posts: a
        # path typed now opens without waiting for them while google-genai loads. Imports run in
        # a thread so keys keep working.
        await asyncio.to_thread(import_module, "tui.messages")
        await asyncio.to_thread(import_module, "tui.datasets.reader")
        service = await asyncio.to_thread(import_module, "tui.jobs.service")
        # The backend loads google-genai when it is made: load it here, off the event loop.
        await asyncio.to_thread(import_module, "google.genai")
        self.manager = await service.open_manager(self.settings, policy=APP_POLICY)
        self._manager_opened(self.manager)

    def _manager_opened(self, manager: JobManager) -> None:
        self.manager_ready.publish(manager)
        if manager.history_problem is not None:
            self._announce_history_problem(manager.history_problem)
        self._consume_events(manager)
        self._check_health()
        if self.health_interval is not None:
            self.set_interval(self.health_interval, self._check_health)

    @work(exclusive=True, group="build-ahead", exit_on_error=False)
    async def _build_ahead(self) -> None:
        """Screens made ready before they are asked for (tui.screens_ahead)."""
        from tui.screens_ahead import build_ahead

        await build_ahead(self)

    @work(exclusive=True, group="job-events", exit_on_error=False)
    async def _consume_events(self, manager: JobManager) -> None:
        """Re-publish every manager event on `job_events`; keep the header honest; announce
        finished jobs."""
        from tui.jobs.events import BackendFailed, BackendMoved, BackendRecovered, HistoryFailed, JobFinished

        async for event in manager.events():
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

    def _announce_history_problem(self, error: HistoryError) -> None:
        """The history file failed: jobs are kept in memory until the app quits; say what to do."""
        self.notify(f"{error}. Jobs are kept in memory until you quit.", title="History", severity="error", timeout=20)

    def _announce_finished(self, job: Job) -> None:
        """A notification (and the bell, if enabled) that a job finished, on any screen."""
        from tui.models import JobState
        from tui.screens.monitor_format import job_title

        severity: SeverityLevel = "information" if job.state is JobState.ACTIVE else "warning"
        outcome = {
            JobState.ACTIVE: "finished: the tuned model is ready. Try it in the Playground (4).",
            JobState.FAILED: f"failed: {job.error or 'no reason given'}",
            JobState.CANCELLED: "was cancelled.",
        }.get(job.state, f"ended as {job.state_word}.")
        self.notify(f"{job_title(job)} {outcome}", title="Job finished", severity=severity, timeout=10)
        if self.settings.bell:
            self.bell()

    @work(exclusive=True, group="health", exit_on_error=False)
    async def _check_health(self) -> None:
        if self.manager is None:
            return
        health = await self.manager.check()
        if health.reachable:
            self._set_backend_status(True, "reachable")
        else:
            self._set_backend_status(False, f"unreachable: {health.message}")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The app's own workers: a failure reaches the user, it never crashes the app."""
        worker = event.worker
        if event.state is not WorkerState.ERROR or worker.node is not self or worker.error is None:
            return
        error = worker.error
        if worker.group == "manager-open":
            self._set_backend_status(False, f"not available: {error}")
            self.notify(
                f"Could not start the job manager: {error}. Check `tunedeck doctor` for details.",
                title="Backend",
                severity="error",
                timeout=15,
            )
        elif worker.group == "health":
            self._set_backend_status(False, str(error))
        else:
            self.report_error(error, "Something failed")

    def report_error(self, error: BaseException, title: str) -> None:
        """Tell the user about a failure where they are: an expected one with its next step,
        anything else as the unexpected failure it is."""
        if isinstance(error, TunedeckError):
            text = str(error)
        else:
            text = f"unexpected {type(error).__name__}: {error}. If it persists, report it."
        self.notify(f"{title}: {text}", severity="error", timeout=10)

    async def on_unmount(self) -> None:
        """However the app ends, close the manager it opened; a local emulator keeps
        training in its own process."""
        if self.manager is not None and self._owns_manager:
            with suppress(Exception):  # quitting must always work
                await self.manager.close()

    async def settle(self) -> None:
        """Wait for every short-lived worker to finish (tests and the screenshot script)."""
        while True:
            pending = [w for w in self.workers if w.group not in BACKGROUND_GROUPS and not w.is_finished]
            if not pending:
                return
            # A failure is the app's to report (on_worker_state_changed), not the waiter's.
            with suppress(WorkerFailed, WorkerCancelled):
                await self.workers.wait_for_complete(pending)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """A text field takes the focus: keep its cursor still when blinking is off."""
        if not self.cursor_blink and hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False

    def rest_cursor(self, screen: Screen) -> None:
        """Pause the text cursor of `screen`, hidden, until it is shown (a screen built ahead)."""
        focused = screen.focused
        if focused is not None and getattr(focused, "cursor_blink", False):
            focused.cursor_blink = False  # type: ignore[attr-defined]
            self._resting_cursors[screen] = focused

    def _rest_hidden_cursor(self, screen: Screen) -> None:
        """Pause the text cursor of the screen just left: blinking where nobody sees it
        would wake the app twice a second for as long as the screen stays hidden."""
        left, self._shown_screen = self._shown_screen, screen
        if left is not None and left is not screen:
            focused = left.focused
            if focused is not None and getattr(focused, "cursor_blink", False):
                focused.cursor_blink = False  # type: ignore[attr-defined]
                self._resting_cursors[left] = focused
        cursor = self._resting_cursors.pop(screen, None)
        if cursor is not None and cursor.is_mounted:
            cursor.cursor_blink = True  # type: ignore[attr-defined]

    # -- backend status ---------------------------------------------------------------

    @property
    def backend_label(self) -> str:
        """Which backend is active, with the key masked: never the key itself."""
        if self.manager is not None:
            return self.manager.backend_description
        if self.settings.active_backend == "gemini":
            return f"Gemini API (key {self.settings.masked_key})"
        return "local emulator"

    def _set_backend_status(self, reachable: bool | None, message: str) -> None:
        self.backend_reachable = reachable
        mark = {True: "●", False: "✖", None: "○"}[reachable]
        # The state first: a narrow terminal cuts the end of the line, never the state.
        self.sub_title = f"{mark} {message} · {self.backend_label}"

    # -- cross-screen requests -------------------------------------------------------------

    async def on_open_job(self, message: OpenJob) -> None:
        await self.open_job(message.name)

    async def on_try_model(self, message: TryModel) -> None:
        await self.try_model(message.name)

    async def on_relaunch(self, message: Relaunch) -> None:
        await self.relaunch(message.job, message.epochs)

    async def open_job(self, name: str) -> None:
        """Show a job in the monitor."""
        from tui.screens.monitor import MonitorScreen

        await self.switch_mode("monitor")
        screen = self.screen
        if not isinstance(screen, MonitorScreen):
            raise TypeError(f"the monitor mode shows a {type(screen).__name__}")
        screen.select_job(name)

    async def relaunch(self, job: Job, epochs: int | None = None) -> None:
        """Open the job form pre-filled from `job` (optionally with another epoch count)."""
        from tui.models import JobSpec
        from tui.screens.configure import ConfigureScreen

        hyperparameters = job.hyperparameters
        if epochs is not None:
            hyperparameters = hyperparameters.model_copy(update={"epoch_count": epochs})
        from tui.widgets.job_form import distinct_name

        taken = {other.display_name for other in self.manager.jobs} if self.manager is not None else set()
        name = distinct_name(job.display_name, taken | {job.display_name})
        spec = JobSpec(
            display_name=name,
            base_model=job.base_model,
            hyperparameters=hyperparameters,
            validation=job.validation,  # the same validation set: the eval curve stays comparable
            system_instruction_from_preamble=job.system_instruction is not None,
        )
        await self.switch_mode("configure")
        screen = self.screen
        if not isinstance(screen, ConfigureScreen):
            raise TypeError(f"the configure mode shows a {type(screen).__name__}")
        screen.load(spec, job.dataset_path)

    async def try_model(self, name: str) -> None:
        """Open the playground on a tuned model."""
        from tui.screens.playground import PlaygroundScreen

        await self.switch_mode("playground")
        screen = self.screen
        if not isinstance(screen, PlaygroundScreen):
            raise TypeError(f"the playground mode shows a {type(screen).__name__}")
        screen.select_model(name)

    async def refresh_jobs(self) -> bool:
        """Ask the backend now (the screens' ctrl+r); say so where the user is if it fails."""
        if self.manager is None:
            self.notify("The backend is not connected yet.", severity="warning")
            return False
        try:
            await self.manager.refresh()
        except Exception as exc:  # noqa: BLE001 - any failure is shown, the app goes on
            self.report_error(exc, "Refresh failed")
            return False
        return True

    # -- switching areas ------------------------------------------------------------------

    _switching_to_built = False
    _switch_hold = False

    def switch_mode(self, mode: str) -> AwaitMount:
        """Switch areas. Textual holds every frame for 50 ms after a switch, to hide a screen
        being built; a screen built already (ahead, or on an earlier visit) is shown as soon as
        it has resumed (`release_switch_hold`), at the latest after those 50 ms."""
        self._switching_to_built = mode in getattr(self, "_screen_stacks", {})
        try:
            return super().switch_mode(mode)
        finally:
            self._switching_to_built = False

    def delay_update(self, delay: float = 0.05) -> None:
        if not self._switching_to_built or self._switch_hold:
            super().delay_update(delay)
            return
        self._begin_batch()
        self._switch_hold = True
        self.set_timer(delay, self.release_switch_hold, name="switch-hold")

    def release_switch_hold(self) -> None:
        """The screen switched to has resumed (styled, laid out): draw it."""
        if self._switch_hold:
            self._switch_hold = False
            self._end_batch()
            if not self._batch_count:
                self.screen.refresh()

    # -- keys and commands ------------------------------------------------------------

    def action_show_keys(self) -> None:
        """Show the keys active on the current screen."""
        from tui.screens.help import HelpScreen, collect_keys

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(collect_keys(self.screen), title=self.screen.__class__.__name__))

    def _display(self, screen: Screen, renderable: RenderableType | None) -> None:
        """Textual's, writing only the cells that differ from what the terminal shows."""
        if not self.is_inline:
            renderable = self.terminal.wrap(renderable, self.size)
        super()._display(screen, renderable)

    def action_redraw(self) -> None:
        """Write every cell again (when something else has written to the terminal)."""
        self.terminal.forget()
        self.refresh()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every binding active here is also a command in the palette."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Redraw", "Write every cell of the screen again, if it looks garbled", self.action_redraw)
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
