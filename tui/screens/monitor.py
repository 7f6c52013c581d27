"""The Monitor: every job with its live loss curve, summary, advice and actions.

Left, the job list (newest first, `/` to filter, space to mark for comparison); right, the
selected job's loss curve and summary. The screen listens to `app.job_events` and only
touches the widgets an event concerns, so an idle monitor costs next to nothing: training
progress is applied in one pass every few seconds, and the "updated … ago" column wakes
the screen only when one of its labels is due to change.
"""

from __future__ import annotations

from dataclasses import replace
from time import monotonic
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import DataTable, Footer, Header, Input, Static

from tui.jobs.curve import Suggestion, suggest_epochs
from tui.jobs.events import (
    BackendFailed,
    BackendMoved,
    BackendRecovered,
    Event,
    HistoryFailed,
    JobAdded,
    JobFinished,
    JobRemoved,
)
from tui.jobs.polling import DISPLAY_INTERVAL_S
from tui.models import EVAL_LOSS, Job
from tui.screens.monitor_actions import JobActions
from tui.screens.monitor_format import job_title
from tui.widgets.chart_series import JobSeries
from tui.widgets.loss_chart import ZOOM_SHARES, ChartView, LossChart, describe, zoom_steps
from tui.widgets.monitor_job_table import JobTable
from tui.widgets.monitor_summary import JobSummary, judged_points

if TYPE_CHECKING:
    from textual.timer import Timer

    from tui.jobs.manager import JobManager

NARROW_COLUMNS = 100
WIDE_COLUMNS = 120  # from here the list takes half the width: room for every column
JOB_ACTIONS = frozenset({"mark", "cancel_job", "relaunch", "delete_job", "export", "try_model"})
# Training progress and new loss points (list rows, summary, curve) are applied together
# at most once per UPDATE_S: one repaint per pass. A pass follows news by SETTLE_S when the
# last one is that long ago, so news that arrives together is shown together. New,
# finished and removed jobs show at once, and so does the news of the selected job.
UPDATE_S = DISPLAY_INTERVAL_S
SETTLE_S = 0.3


class MonitorScreen(JobActions):
    """Jobs, their loss curves and what to do about them."""

    CSS_PATH = "monitor.tcss"
    AUTO_FOCUS = "#jobs"  # the job list; the filter is hidden until `/`
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash", "filter", "Filter", key_display="/", tooltip="Filter jobs by name or state", id="monitor.filter"
        ),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="monitor.clear_filter"),
        Binding("space", "mark", "Mark", tooltip="Mark or unmark the job for comparison", id="monitor.mark"),
        Binding("c", "compare", "Compare", tooltip="Overlay the marked jobs' curves", id="monitor.compare"),
        Binding("s", "toggle_smoothing", "Smooth", tooltip="Smoothed or raw loss", id="monitor.smoothing"),
        Binding("l", "toggle_log", "Log", tooltip="Log or linear loss scale", id="monitor.log_scale"),
        Binding(
            "z",
            "zoom",
            "Zoom",
            tooltip="Zoom to the most recent steps (press again to zoom further)",
            id="monitor.zoom",
        ),
        Binding(
            "a",
            "toggle_metric",
            "Accuracy",
            tooltip="Accuracy or loss curves (when the backend reports them)",
            id="monitor.metric",
        ),
        Binding("x", "cancel_job", "Cancel", tooltip="Cancel the job (asks first)", id="monitor.cancel"),
        Binding(
            "r",
            "relaunch",
            "Relaunch",
            tooltip="Relaunch with the suggested epochs (opens the form)",
            id="monitor.relaunch",
        ),
        Binding("d", "delete_job", "Delete", tooltip="Delete the tuned model (asks first)", id="monitor.delete"),
        Binding("t", "try_model", "Try", tooltip="Try the tuned model in the playground", id="monitor.try"),
        Binding("e", "export", "Export CSV", show=False, tooltip="Save the loss points as CSV", id="monitor.export"),
        Binding(
            "i",
            "toggle_details",
            "Details",
            show=False,
            tooltip="The whole summary (advice, checkpoints) in place of the chart, or the chart again",
            id="monitor.details",
        ),
        Binding(
            "ctrl+r", "refresh_jobs", "Refresh now", show=False, tooltip="Ask the backend now", id="monitor.refresh"
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._series = JobSeries()
        self._suggestions: dict[str, tuple[tuple, Suggestion]] = {}
        self._view = ChartView()
        self._zoom = 0
        self._pending_select: str | None = None
        self._heading = ""
        self._dirty: set[str] = set()
        self._flush_timer: Timer | None = None
        self._flushed_at = float("-inf")  # monotonic time of the last update pass
        self._age_timer: Timer | None = None
        self._following = False  # the selected job's news is due on screen
        self._followed: str | None = None  # the job the manager polls more often for us

    @property
    def manager(self) -> JobManager | None:
        return self.app.manager

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="monitor-body"):
            with Vertical(id="jobs-pane"):
                yield Static("Jobs", classes="section-title")
                job_filter = Input(placeholder="filter jobs by name or state", id="job-filter")
                job_filter.display = False
                yield job_filter
                yield JobTable(relative_times=self.app.show_clock, id="jobs")
                yield Static("", id="jobs-empty", classes="muted")
            with Vertical(id="detail-pane"):
                yield Static("", id="job-heading", classes="section-title")
                yield LossChart(id="chart")
                with VerticalScroll(id="summary-scroll"):
                    yield JobSummary(id="summary")
        yield Footer()

    def on_mount(self) -> None:
        from tui.widgets.row_renders import render_rows_only

        render_rows_only()  # a new point repaints a cell or two: render those rows, not every widget whole
        self.app.job_events.subscribe(self, self._on_job_event)
        if self.manager is not None:
            self._load_jobs()
        else:
            self.app.manager_ready.subscribe(self, lambda _manager: self._load_jobs())
        self.query_one(JobTable).focus()

    def on_screen_resume(self) -> None:
        """Shown again: apply what arrived meanwhile and bring the ages up to date."""
        self._flush()
        self._age()
        self._follow(self.query_one(JobTable).selected_name)

    def on_screen_suspend(self) -> None:
        self._follow(None)
        if self._age_timer is not None:
            self._age_timer.stop()
            self._age_timer = None

    def on_resize(self, event) -> None:
        # Below 100 columns the list goes above the chart so its columns stay readable.
        self.set_class(event.size.width < NARROW_COLUMNS, "-narrow")
        self.set_class(event.size.width >= WIDE_COLUMNS, "-wide")

    def action_toggle_details(self) -> None:
        """The summary in the chart's place (and the list's, on a narrow terminal), scrolled
        with the arrow keys; pressed again, the chart and the list come back."""
        details = not self.has_class("-details")
        self.set_class(details, "-details")
        (self.query_one("#summary-scroll") if details else self.query_one(JobTable)).focus()

    # -- public -----------------------------------------------------------------------

    def select_job(self, name: str) -> None:
        """Show this job (the app calls it on an `OpenJob` message)."""
        table = self.query_one(JobTable)
        if not table.select(name):
            self._pending_select = name  # the job list may still be loading
            return
        self._show_job(name)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out the job actions that do not apply to the selected job (None: disabled)."""
        if action not in JOB_ACTIONS and action != "compare":
            return True
        try:
            table = self.query_one(JobTable)
        except NoMatches:  # not composed yet
            return True
        if action == "compare":
            return True if len(table.marked) >= 2 else None
        job = self.selected_job
        if job is None:
            return None
        if action == "cancel_job" and job.state.finished:
            return None
        if action == "export" and not job.loss_curve:
            return None
        return True

    @property
    def selected_job(self) -> Job | None:
        table = self.query_one(JobTable)
        name = table.selected_name
        return table.job(name) if name else None

    # -- events ------------------------------------------------------------------------

    def _load_jobs(self) -> None:
        if self.manager is None:
            return
        table = self.query_one(JobTable)
        table.set_jobs(list(self.manager.jobs))
        self._update_empty()
        if self._pending_select and table.select(self._pending_select):
            self._pending_select = None
        self._show_job(table.selected_name)
        self._age()

    def _on_job_event(self, event: Event) -> None:
        table = self.query_one(JobTable)
        if isinstance(event, JobRemoved):
            table.remove_job(event.name)
            self._series.forget(event.name)
            self._dirty.discard(event.name)
            self._update_empty()
            self._show_job(table.selected_name)
            return
        if isinstance(event, (BackendFailed, BackendRecovered, BackendMoved, HistoryFailed)):
            return
        job = event.job
        if isinstance(event, (JobAdded, JobFinished)):
            self._dirty.add(job.name)
            self._flush()  # new and finished jobs show at once
            if isinstance(event, JobAdded):
                self._update_empty()
                if self._pending_select == job.name:
                    self.select_job(job.name)
            else:  # the app announces it (on every screen); here only the keys change
                self.refresh_bindings()  # a finished job can no longer be cancelled
            return
        # Progress and loss points arrive several per poll and job: they are applied
        # together, at most once per UPDATE_S, so a busy backend costs one repaint. The
        # selected job's show at once (after the rest of the poll's events).
        self._dirty.add(job.name)
        if job.name == self.query_one(JobTable).selected_name and not self._following:
            self._following = True
            self.call_later(self._apply_selected)
        if self._flush_timer is None:
            wait = max(SETTLE_S, self._flushed_at + UPDATE_S - monotonic())
            self._flush_timer = self.set_timer(wait, self._flush)
            if self._age_timer is not None:  # the pass ages the list too
                self._age_timer.stop()
                self._age_timer = None

    def _flush(self) -> None:
        """Apply the jobs that changed since the last flush: list rows, curve, summary."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        if not self._dirty or self.manager is None or self.app.screen is not self:
            return  # a hidden monitor catches up when it is shown again
        self._flushed_at = monotonic()
        table = self.query_one(JobTable)
        dirty, self._dirty = self._dirty, set()
        for name in dirty:
            # The manager's current view of the job wins over the copies events carry.
            job = self.manager.job(name)
            if job is not None:
                table.upsert(job)
        selected = table.selected_name
        if selected in dirty:
            self._show_job(selected)
        self._age()

    def _apply_selected(self) -> None:
        """Draw the selected job's new points now (its summary and row, like the others'
        rows, in the update pass: a new point often changes no cell of the curve, and then
        nothing is repainted at all)."""
        self._following = False
        table = self.query_one(JobTable)
        name = table.selected_name
        if name is None or name not in self._dirty or self.manager is None or self.app.screen is not self:
            return
        if (job := self.manager.job(name)) is not None:
            self._show_job(name, job, curve_only=True)

    def _follow(self, name: str | None) -> None:
        """Have the manager poll this job (the one on screen) more often; None: no job."""
        if self.manager is not None and name != self._followed:
            self._followed = name
            self.manager.focus(name)

    def _age(self) -> None:
        """Age the 'updated' column, and wake again when one of its labels next changes
        (or with the next update pass, when one is due)."""
        if self._age_timer is not None:
            self._age_timer.stop()
            self._age_timer = None
        if self.app.screen is not self:
            return
        wait = self.query_one(JobTable).tick(self.manager.job if self.manager is not None else None)
        # While jobs train, the next update pass ages the list with the rest (one repaint).
        if wait is not None and self._flush_timer is None:
            self._age_timer = self.set_timer(wait + 0.05, self._age)

    @on(DataTable.RowHighlighted, "#jobs")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_job(event.row_key.value if event.row_key else None)
        self.refresh_bindings()

    @on(Input.Changed, "#job-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_one(JobTable).set_filter(event.value)
        self._update_empty()
        self._age()

    @on(Input.Submitted, "#job-filter")
    def _filter_done(self) -> None:
        self.query_one(JobTable).focus()

    # -- showing a job -----------------------------------------------------------------

    def suggestion(self, job: Job) -> Suggestion:
        """The curve's advice, recomputed only when an epoch completes (see `judged_points`)."""
        # While a job trains, the judged points change only when an epoch completes.
        progress = len(job.loss_curve) if job.state.finished else job.current_epoch
        key = (job.state.finished, progress, len(job.curve(EVAL_LOSS)))
        cached = self._suggestions.get(job.name)
        if cached is None or cached[0] != key:
            points, evals = judged_points(job), judged_points(job, EVAL_LOSS)
            cached = (key, suggest_epochs(points, job.hyperparameters.epoch_count, evals))
            self._suggestions[job.name] = cached
        return cached[1]

    def _show_job(self, name: str | None, job: Job | None = None, *, curve_only: bool = False) -> None:
        """Show a job's curve and summary (or only its curve): the list's copy of the job,
        or `job` when it is newer."""
        table = self.query_one(JobTable)
        job = job or (table.job(name) if name else None)
        chart = self.query_one(LossChart)
        heading = self.query_one("#job-heading", Static)
        summary = self.query_one(JobSummary)
        self._follow(name if job is not None and self.app.screen is self else None)
        if job is None:
            self._heading = ""
            heading.update("No job selected")
            chart.show([])
            summary.show(None, None)
            return
        suggestion = self.suggestion(job)
        title = f"{job_title(job)}  [$text-muted]{job.name}[/]"
        if title != self._heading:
            self._heading = title
            heading.update(title)
        if not curve_only:
            summary.show(job, suggestion, clock=self.app.show_clock)
        series = self._series.of_job(job, self._view.metric)
        view = replace(self._view, recent_steps=zoom_steps(self._zoom, len(series[0])))
        suggested = suggestion.epochs if view.metric == "loss" else None
        chart.show(series, view, steps_total=job.total_steps, suggested_epochs=suggested, title=describe(view))

    def _update_empty(self) -> None:
        table = self.query_one(JobTable)
        empty = self.query_one("#jobs-empty", Static)
        if table.row_count:
            empty.display = False
            return
        empty.display = True
        if table.jobs:
            empty.update("No job matches the filter. Esc clears it.")
        elif self.manager is None:
            empty.update("Connecting to the backend…")
        else:
            empty.update("No jobs yet. Launch one from Configure (press 2).")

    # -- view actions --------------------------------------------------------------------

    def action_filter(self) -> None:
        field = self.query_one("#job-filter", Input)
        field.display = True
        field.focus()

    def action_clear_filter(self) -> None:
        field = self.query_one("#job-filter", Input)
        field.value = ""
        field.display = False
        self.query_one(JobTable).focus()

    def action_toggle_smoothing(self) -> None:
        self._view = replace(self._view, smoothing=not self._view.smoothing)
        self._show_job(self.query_one(JobTable).selected_name)

    def action_toggle_log(self) -> None:
        self._view = replace(self._view, log_scale=not self._view.log_scale)
        self._show_job(self.query_one(JobTable).selected_name)

    def action_toggle_metric(self) -> None:
        job = self.selected_job
        if self._view.metric == "loss" and (job is None or "accuracy" not in self._series.available(job)):
            self.notify("This job reports no accuracy curve (only Vertex jobs do).", severity="warning")
            return
        self._view = replace(self._view, metric="accuracy" if self._view.metric == "loss" else "loss")
        self._show_job(self.query_one(JobTable).selected_name)

    def action_zoom(self) -> None:
        self._zoom = (self._zoom + 1) % len(ZOOM_SHARES)
        self._show_job(self.query_one(JobTable).selected_name)

    def action_mark(self) -> None:
        table = self.query_one(JobTable)
        if table.selected_name:
            table.toggle_mark(table.selected_name)
            self.refresh_bindings()

    def action_compare(self) -> None:
        from tui.screens.compare import CompareScreen

        table = self.query_one(JobTable)
        jobs = [job for job in map(table.job, table.marked) if job is not None]
        if len(jobs) < 2:
            self.notify("Mark two or more jobs with space, then press c to compare them.", severity="warning")
            return
        self.app.push_screen(CompareScreen([job.name for job in jobs], self._view))
