"""Models: the tuned models on the backend, and what to do with them.

On the Gemini API a tuned model is its job: the table shows each with its state and
whether this app launched it. On Vertex AI the table is the Model Registry's tuned models:
display name, base model, the endpoints serving each, when it was made and the job it came
from (the line under the table names the selected model's resources in full). Rename,
delete (says exactly what goes, asks first), open the job in the Monitor or try it in the
Playground.
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
from tui.jobs.library import ModelRegistry, TunedModel, registry_of
from tui.messages import OpenJob, TryModel
from tui.models import Job, JobState
from tui.screens.base import AppScreen
from tui.screens.dialogs import ConfirmDialog
from tui.screens.model_delete import delete_with_confirmation
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
REGISTRY_COLUMNS = (
    ("name", "Tuned model"),
    ("base", "Base model"),
    ("endpoints", "Endpoints"),
    ("created", "Created (UTC)"),
    ("job", "From job"),
    ("id", "Model"),
)
ENDPOINT_DIGITS, ENDPOINTS_SHOWN = 4, 3
DETAIL_ENDPOINTS = 8  # endpoints named in full under the table; `tunedeck models list --json` has them all
# Events that change what this table shows (progress and loss points do not).
RELEVANT = (JobAdded, JobStateChanged, JobFinished, JobRemoved, JobUpdated)
# On a registry, only a job that ends (and so makes a model) changes the list.
REGISTRY_RELEVANT = (JobFinished, JobRemoved)
FAILED = {"rename": "Could not rename", "delete": "Could not delete", "models-load": "Could not list tuned models"}


def created_text(job: Job | TunedModel) -> str:
    return job.created.strftime("%Y-%m-%d %H:%M") if job.created else "—"


def short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def endpoint_cell(endpoints: tuple[str, ...]) -> str:
    """The endpoints in a table cell: the last digits of each (the line under the table names them in full)."""
    cells = [f"…{short(e)[-ENDPOINT_DIGITS:]}" for e in endpoints[:ENDPOINTS_SHOWN]]
    more = len(endpoints) - ENDPOINTS_SHOWN
    return ", ".join(cells) + (f" +{more}" if more > 0 else "") or "none"


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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._registry_models: list[TunedModel] = []
        self._columns: tuple[tuple[str, str], ...] = ()

    @property
    def manager(self) -> JobManager | None:
        return self.app.manager

    @property
    def registry(self) -> ModelRegistry | None:
        return registry_of(self.manager) if self.manager is not None else None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="models-body"):
            yield Static("Tuned models", classes="section-title")
            yield DataTable(id="models-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="models-empty", classes="muted")
            yield Static("", id="models-detail", classes="muted", markup=False)
            yield Static("", id="models-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.app.job_events.subscribe(self, self._on_job_event)
        if self.manager is not None:
            self._start()
        else:
            self.app.manager_ready.subscribe(self, lambda _manager: self._start())
        self.query_one("#models-table", DataTable).focus()

    def _start(self) -> None:
        self._fill()
        if self.registry is not None:
            self._load()

    # -- table ---------------------------------------------------------------------------

    @property
    def models(self) -> list[Job]:
        """The Gemini API's tuned models (their jobs)."""
        if self.manager is None:
            return []
        return [job for job in self.manager.jobs if job.state is not JobState.DELETED]

    @property
    def selected_key(self) -> str | None:
        table = self.query_one("#models-table", DataTable)
        if not table.row_count:
            return None
        value = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(value) if value is not None else None

    @property
    def selected(self) -> Job | None:
        """The selected Gemini API tuned model (its job)."""
        name = self.selected_key
        return self.manager.job(name) if name is not None and self.manager is not None else None

    @property
    def selected_model(self) -> TunedModel | None:
        """The selected registry model (Vertex AI)."""
        name = self.selected_key
        return next((m for m in self._registry_models if m.name == name), None)

    def _set_columns(self, columns: tuple[tuple[str, str], ...]) -> None:
        if self._columns == columns:
            return
        table = self.query_one("#models-table", DataTable)
        table.clear(columns=True)
        for key, label in columns:
            table.add_column(label, key=key)
        self._columns = columns

    def _fill(self) -> None:
        table = self.query_one("#models-table", DataTable)
        current = self.selected_key
        registry = self.registry is not None
        self._set_columns(REGISTRY_COLUMNS if registry else COLUMNS)
        table.clear()
        if registry:
            for model in self._registry_models:
                endpoints = endpoint_cell(model.endpoints)
                table.add_row(model.display_name or model.id, model.base_model or "—", endpoints, created_text(model),
                              short(model.job) if model.job else "—", model.id, key=model.name)
        else:
            for job in self.models:
                colour = self.app.theme_variables.get(STATE_COLOURS.get(job.state.value, ""), "")
                state = Text(job.state_word, style=colour if colour.startswith("#") else "dim")
                here = "yes" if job.launched_here else "no"
                base = job.base_model.removeprefix("models/")
                table.add_row(job_title(job), state, here, created_text(job), base, job.id, key=job.name)
        if current is not None and current in table.rows:
            table.move_cursor(row=table.get_row_index(current), animate=False)
        empty = self.query_one("#models-empty", Static)
        empty.display = not table.row_count
        if self.manager is None:
            empty.update("Connecting to the backend…")
        else:
            empty.update("No tuned models on this backend yet. Launch a job from Configure (press 2).")
        self._show_detail()

    def _show_detail(self) -> None:
        """The selected registry model's resources in full (the table shows short ids)."""
        detail = self.query_one("#models-detail", Static)
        model = self.selected_model if self.registry is not None else None
        detail.display = model is not None
        if model is None:
            return
        lines = [f"Model {model.name}"]
        lines += [f"Endpoint {e}" for e in model.endpoints[:DETAIL_ENDPOINTS]] or ["Served at no endpoint"]
        if len(model.endpoints) > DETAIL_ENDPOINTS:
            lines.append(f"… and {len(model.endpoints) - DETAIL_ENDPOINTS} more endpoints (`tunedeck models list`)")
        lines.append(f"From job {model.job}" if model.job else "Made by a job this project no longer lists")
        detail.update("\n".join(lines))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _status(self, text: str, error: bool) -> None:
        status = self.query_one("#models-status", Static)
        status.update(text)
        status.display = bool(text)
        status.set_class(error, "error-text")

    @work(exclusive=True, group="models-load", exit_on_error=False)
    async def _load(self) -> None:
        registry = self.registry
        if registry is None:
            return
        self._registry_models = await registry.list()
        self._fill()

    def _on_job_event(self, event: Event) -> None:
        if self.registry is None:
            if isinstance(event, RELEVANT):
                self._fill()
        elif isinstance(event, REGISTRY_RELEVANT):
            self._load()

    def worker_failed(self, group: str, error: BaseException) -> None:
        if group in FAILED:
            self.notify(f"{FAILED[group]}: {error}", severity="error", timeout=10)
        else:
            super().worker_failed(group, error)

    # -- actions -------------------------------------------------------------------------------

    def _require(self) -> Job | TunedModel | None:
        chosen: Job | TunedModel | None = self.selected_model if self.registry is not None else self.selected
        if chosen is None:
            self.notify("Select a tuned model first.", severity="warning")
        return chosen

    async def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row opens it in the Monitor."""
        event.stop()
        self.action_open()

    def action_cursor_down(self) -> None:
        self.query_one("#models-table", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#models-table", DataTable).action_cursor_up()

    def _job_of(self, chosen: Job | TunedModel) -> str | None:
        job = chosen.name if isinstance(chosen, Job) else chosen.job
        if job is None:
            self.notify("This model's tuning job is not listed here.", severity="warning")
        return job

    def action_open(self) -> None:
        chosen = self._require()
        if chosen is not None and (job := self._job_of(chosen)) is not None:
            self.post_message(OpenJob(job))

    def action_try_model(self) -> None:
        chosen = self._require()
        if chosen is not None and (job := self._job_of(chosen)) is not None:
            self.post_message(TryModel(job))

    def action_rename(self) -> None:
        chosen = self._require()
        if chosen is None:
            return
        current = chosen.display_name

        def renamed(value: str | None) -> None:
            if value and value != current:
                self._rename(chosen.name, value)

        self.app.push_screen(RenameDialog(current, chosen.name), renamed)

    @work(group="rename", exit_on_error=False)
    async def _rename(self, name: str, display_name: str) -> None:
        if self.manager is None:
            return
        registry = self.registry
        if registry is None:
            await self.manager.rename(name, display_name)
            self._fill()
        else:
            await registry.rename(name, display_name)
            self._load()
        self.notify(f"Renamed to “{display_name}”.")

    def action_delete(self) -> None:
        chosen = self._require()
        if chosen is None:
            return
        if isinstance(chosen, TunedModel):
            self._delete_registered(chosen)
            return
        job = chosen
        detail = f"{job.name} is removed from the backend with its learned parameters. This cannot be undone."
        if not job.state.finished:
            detail += " The job is still training; deleting stops it."

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(job.name)

        dialog = ConfirmDialog(f"Delete {job_title(job)}?", detail, confirm_label="Delete", danger=True)
        self.app.push_screen(dialog, confirmed)

    @work(group="delete", exit_on_error=False)
    async def _delete_registered(self, model: TunedModel) -> None:
        registry = self.registry
        if registry is None:
            return
        try:
            # through its job when known: the job names every endpoint made for the model
            await delete_with_confirmation(self, registry, model.job or model.name, model.display_name or model.id,
                                           self._status)
        finally:
            self._load()

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
            if self.registry is not None:
                self._load()
