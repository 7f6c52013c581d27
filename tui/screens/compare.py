"""Compare: two or more jobs' loss curves overlaid, with their settings and losses side by side."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Static

from tui.jobs.curve import suggest_epochs
from tui.jobs.events import Event, JobRemoved
from tui.models import EVAL_LOSS, Job
from tui.screens.base import AppScreen
from tui.screens.monitor_format import best_loss, job_title, learning_rate_text, loss_text, or_dash
from tui.widgets.chart_series import METRICS, JobSeries
from tui.widgets.loss_chart import ChartView, LossChart, describe, zoom_steps

COLUMNS = (
    ("job", "Job"),
    ("state", "State"),
    ("epochs", "Epochs"),
    ("batch", "Batch"),
    ("rate", "Learning rate"),
    ("steps", "Steps"),
    ("final", "Final loss"),
    ("best", "Best loss"),
    ("best_epoch", "Best epoch"),
    ("suggested", "Suggested epochs"),
)


def distinct_titles(jobs: list[Job]) -> dict[str, str]:
    """Each job's title; where titles collide, each of those also shows its id."""
    titles = [job_title(job) for job in jobs]
    return {
        job.name: f"{title} ({job.id})" if titles.count(title) > 1 and title != job.id else title
        for job, title in zip(jobs, titles, strict=True)
    }


def comparison_row(job: Job, title: str | None = None) -> tuple[str, ...]:
    """One job's settings and losses as table cells."""
    hp = job.hyperparameters
    suggestion = suggest_epochs(job.loss_curve, hp.epoch_count, job.curve(EVAL_LOSS))
    return (
        title or job_title(job),
        job.state_word,
        or_dash(hp.epoch_count),
        or_dash(hp.batch_size),
        learning_rate_text(hp),
        f"{job.completed_steps}/{job.total_steps}",
        loss_text(job.latest_loss),
        loss_text(best_loss(job)),
        "—" if suggestion.best_epoch is None else str(suggestion.best_epoch),
        "—" if suggestion.epochs is None else str(suggestion.epochs),
    )


class CompareScreen(AppScreen[None]):
    """Overlaid loss curves of the marked jobs; Esc goes back to the monitor."""

    CSS_PATH = "compare.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="compare.back"),
        Binding("s", "toggle_smoothing", "Smooth", tooltip="Smoothed or raw loss", id="compare.smoothing"),
        Binding("l", "toggle_log", "Log", tooltip="Log or linear loss scale", id="compare.log_scale"),
        Binding("z", "zoom", "Zoom", tooltip="Zoom to the most recent steps", id="compare.zoom"),
    ]

    def __init__(self, names: list[str], view: ChartView | None = None) -> None:
        super().__init__()
        self._names = list(names)
        self._series = JobSeries()
        self._view = view or ChartView()
        self._zoom = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="compare-body"):
            yield Static("", id="compare-heading", classes="section-title")
            yield LossChart(id="compare-chart")
            yield DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#compare-table", DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        self.app.job_events.subscribe(self, self._on_job_event)
        self._redraw()

    @property
    def jobs(self) -> list[Job]:
        manager = self.app.manager
        found = (manager.job(name) for name in self._names) if manager is not None else ()
        return [job for job in found if job is not None]

    def _on_job_event(self, event: Event) -> None:
        if isinstance(event, JobRemoved):
            name = event.name
        elif hasattr(event, "job"):
            name = event.job.name
        else:
            return  # backend health: the app's header shows it
        if name in self._names:
            self._redraw()

    def _redraw(self) -> None:
        jobs = self.jobs
        curve = METRICS[self._view.metric][0]  # the train curve of each job, labelled with its name
        titles = distinct_titles(jobs)
        series = [self._series.get(job, curve, label=titles[job.name]) for job in jobs]
        heading = ", ".join(titles[job.name] for job in jobs)
        self.query_one("#compare-heading", Static).update(f"Comparing {len(jobs)} jobs: {heading}")
        total = max((job.total_steps for job in jobs), default=0)
        self.query_one(LossChart).show(series, self._view, steps_total=total, title=describe(self._view))
        table = self.query_one("#compare-table", DataTable)
        table.clear()
        for job in jobs:
            table.add_row(*comparison_row(job, titles[job.name]), key=job.name)

    def action_back(self) -> None:
        self.dismiss()

    def action_toggle_smoothing(self) -> None:
        self._set_view(smoothing=not self._view.smoothing)

    def action_toggle_log(self) -> None:
        self._set_view(log_scale=not self._view.log_scale)

    def action_zoom(self) -> None:
        self._zoom += 1
        longest = max((len(s) for s in self.query_one(LossChart).series), default=0)
        self._set_view(recent_steps=zoom_steps(self._zoom, longest))

    def _set_view(self, **changes: object) -> None:
        self._view = replace(self._view, **changes)  # type: ignore[arg-type]
        self._redraw()
