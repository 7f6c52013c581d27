"""The monitor's job summary: state, losses, best and suggested epochs, time, settings, data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from textual.content import Content
from textual.markup import escape
from textual.widgets import Static

from tui.models import Job, JobState
from tui.screens.monitor_format import (
    CANCEL_WARNING,
    STATE_STYLE,
    best_loss,
    duration,
    elapsed,
    eta,
    fingerprint,
    hyperparameters_text,
    loss_text,
)

if TYPE_CHECKING:
    from tui.jobs.curve import Suggestion


def summary_markup(job: Job, suggestion: Suggestion | None, now: datetime | None) -> str:
    """Content markup for one job; `now` is None in test mode (no clock-based figures)."""
    state = f"[{STATE_STYLE[job.state]}]{job.state.value}[/]"
    steps = f"{job.completed_steps}/{job.total_steps} steps" if job.total_steps else "steps not known yet"
    lines = [("State", f"{state} · {steps} ({job.progress * 100:.0f}%)")]
    lowest = best_loss(job)
    loss = f"latest {loss_text(job.latest_loss)} · lowest {loss_text(lowest)}"
    lines.append(("Loss", loss))
    if suggestion is not None:
        best = f"epoch {suggestion.best_epoch}" if suggestion.best_epoch is not None else "—"
        advised = f"[b]{suggestion.epochs} epochs[/b]" if suggestion.epochs is not None else "no advice yet"
        lines.append(("Best", f"{best} · suggested {advised}"))
    timing = f"elapsed {duration(elapsed(job, now))}"
    if not job.state.finished:
        timing += f" · ETA {duration(eta(job, now))}"
    lines.append(("Time", timing))
    lines.append(("Settings", escape(hyperparameters_text(job.hyperparameters))))
    lines.append(("Base", escape(job.base_model)))
    lines.append(("Dataset", escape(fingerprint(job))))
    text = "\n".join(f"[$text-muted]{label:<9}[/] {value}" for label, value in lines)
    if suggestion is not None:
        text += f"\n\n[$text-accent]{'Advice':<9}[/] {escape(suggestion.reason)}"
    if job.state is JobState.CANCELLED:
        text += f"\n\n[$text-error]Cancelled.[/] {escape(CANCEL_WARNING)}"
    elif job.state is JobState.FAILED:
        text += f"\n\n[$text-error]Failed:[/] {escape(job.error or 'the backend gave no reason')}"
    return text


class JobSummary(Static):
    """What a job is, how far it got and what its curve advises."""

    DEFAULT_CSS = """
    JobSummary {
        height: auto;
        padding: 0 1;
    }
    """

    _markup = ""
    _job: str | None = None

    def show(self, job: Job | None, suggestion: Suggestion | None, *, clock: bool = True) -> None:
        if job is None:
            markup = "[$text-muted]No job selected. Launch one from Configure (2), or wait for the list to load.[/]"
        else:
            markup = summary_markup(job, suggestion, datetime.now(UTC) if clock else None)
        if markup == self._markup:
            return
        # A layout pass costs more than the repaint (and resizes the chart beside it): while
        # the same job updates, lay out again only when its text needs more lines. Fewer
        # lines leave blank ones below until another job is shown.
        name = job.name if job is not None else None
        self.set_class(job is not None, "-job")
        height = self._height_of(markup)
        layout = name != self._job or height < 0 or height > self.content_region.height
        self._markup, self._job = markup, name
        self.update(markup, layout=layout)

    def _height_of(self, markup: str) -> int:
        width = self.content_region.width
        return len(Content.from_markup(markup).wrap(width)) if width > 0 else -1
