"""Models: the tuned models on the backend, whether this app launched them, and what to do.

Rename, delete (asks first), open in the Monitor or try in the Playground.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Static

from tui.jobs.events import Event, JobAdded, JobFinished, JobRemoved, JobStateChanged, JobUpdated
from tui.messages import OpenJob, TryModel
from tui.models import Job, JobState
from tui.screens.base import AppScreen
from tui.screens.dialogs import ConfirmDialog
from tui.screens.monitor_dialogs import RenameDialog
from tui.screens.monitor_format import job_title
from tui.widgets.monitor_job_table import STATE_COLOURS

if TYPE_CHECKING:
    from tui.jobs.manager import JobManager

COLUMNS = (
    ("name", "Tuned model"),
    ("state", "State"),
    ("here", "Launched here"),
    ("created", "Created (UTC)"),
    ("base", "Base model"),
    ("id", "Name"),
)
# Events that change what this table shows (progress and loss points do not).
RELEVANT = (JobAdded, JobStateChanged, JobFinished, JobRemoved, JobUpdated)
FAILED = {"rename": "Could not rename", "delete": "Could not delete"}


def created_text(job: Job) -> str:
    return job.created.strftime("%Y-%m-%d %H:%M") if job.created else "—"


class ModelsScreen(AppScreen[None]):
    """Every tuned model the backend knows, newest first."""

    CSS_PATH = "models.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "open", "Monitor", tooltip="Open the model's job in the Monitor", id="models.open"),
        Binding("t", "try_model", "Try", tooltip="Try the model in the Playground", id="models.try"),
        Binding("n", "rename", "Rename", tooltip="Change the model's display name", id="models.rename"),
        Binding("d", "delete", "Delete", tooltip="Delete the tuned model (asks first)", id="models.delete"),
        Binding("ctrl+r", "refresh_models", "Refresh now", tooltip="Ask the backend now", id="models.refresh"),
        Binding("j", "cursor_down", "Down", show=False, id="models.down"),
        Binding("k", "cursor_up", "Up", show=False, id="models.up"),
    ]

    @property
    def manager(self) -> JobManager | None:
        return self.app.manager

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="models-body"):
            yield Static("Tuned models", classes="section-title")
            yield DataTable(id="models-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="models-empty", classes="muted")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#models-table", DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        self.app.job_events.subscribe(self, self._on_job_event)
        if self.manager is not None:
            self._fill()
        else:
            self.app.manager_ready.subscribe(self, lambda _manager: self._fill())
        table.focus()

    # -- table ---------------------------------------------------------------------------

    @property
    def models(self) -> list[Job]:
        if self.manager is None:
            return []
        return [job for job in self.manager.jobs if job.state is not JobState.DELETED]

    @property
    def selected(self) -> Job | None:
        table = self.query_one("#models-table", DataTable)
        if not table.row_count or self.manager is None:
            return None
        name = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.manager.job(name) if name is not None else None

    def _fill(self) -> None:
        table = self.query_one("#models-table", DataTable)
        current = self.selected
        table.clear()
        for job in self.models:
            colour = self.app.theme_variables.get(STATE_COLOURS.get(job.state.value, ""), "")
            state = Text(job.state.value, style=colour if colour.startswith("#") else "dim")
            here = "yes" if job.launched_here else "no"
            base = job.base_model.removeprefix("models/")
            table.add_row(job_title(job), state, here, created_text(job), base, job.id, key=job.name)
        if current is not None and current.name in table.rows:
            table.move_cursor(row=table.get_row_index(current.name), animate=False)
        empty = self.query_one("#models-empty", Static)
        empty.display = not table.row_count
        if self.manager is None:
            empty.update("Connecting to the backend…")
        else:
            empty.update("No tuned models on this backend yet. Launch a job from Configure (press 2).")

    def _on_job_event(self, event: Event) -> None:
        if isinstance(event, RELEVANT):
            self._fill()

    def worker_failed(self, group: str, error: BaseException) -> None:
        if group in FAILED:
            self.notify(f"{FAILED[group]}: {error}", severity="error", timeout=10)
        else:
            super().worker_failed(group, error)

    # -- actions -------------------------------------------------------------------------------

    def _require(self) -> Job | None:
        job = self.selected
        if job is None:
            self.notify("Select a tuned model first.", severity="warning")
        return job

    async def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row opens it in the Monitor."""
        event.stop()
        self.action_open()

    def action_cursor_down(self) -> None:
        self.query_one("#models-table", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#models-table", DataTable).action_cursor_up()

    def action_open(self) -> None:
        job = self._require()
        if job is not None:
            self.post_message(OpenJob(job.name))

    def action_try_model(self) -> None:
        job = self._require()
        if job is not None:
            self.post_message(TryModel(job.name))

    def action_rename(self) -> None:
        job = self._require()
        if job is None:
            return

        def renamed(value: str | None) -> None:
            if value and value != job.display_name:
                self._rename(job.name, value)

        self.app.push_screen(RenameDialog(job.display_name, job.name), renamed)

    @work(group="rename", exit_on_error=False)
    async def _rename(self, name: str, display_name: str) -> None:
        if self.manager is None:
            return
        await self.manager.rename(name, display_name)
        self._fill()
        self.notify(f"Renamed to “{display_name}”.")

    def action_delete(self) -> None:
        job = self._require()
        if job is None:
            return
        detail = f"{job.name} is removed from the backend with its learned parameters. This cannot be undone."
        if not job.state.finished:
            detail += " The job is still training; deleting stops it."

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(job.name)

        dialog = ConfirmDialog(f"Delete {job_title(job)}?", detail, confirm_label="Delete", danger=True)
        self.app.push_screen(dialog, confirmed)

    @work(group="delete", exit_on_error=False)
    async def _delete(self, name: str) -> None:
        if self.manager is None:
            return
        await self.manager.delete(name)
        self._fill()
        self.notify(f"Deleted {name}.")

    def action_refresh_models(self) -> None:
        self._refresh()

    @work(exclusive=True, group="models-refresh", exit_on_error=False)
    async def _refresh(self) -> None:
        if await self.app.refresh_jobs():
            self._fill()
