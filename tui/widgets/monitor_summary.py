"""The monitor's job summary: state, losses, best and suggested epochs, time, settings, data."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from textual.content import Content
from textual.geometry import Size
from textual.markup import escape
from textual.strip import Strip
from textual.visual import Visual
from textual.widget import Widget

from tui.jobs.text import checkpoint_label, data_stats, eval_losses
from tui.models import EVAL_LOSS, TRAIN_LOSS, CurvePoint, Job, JobState
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
from tui.widgets.line_diff import changed_regions

if TYPE_CHECKING:
    from tui.jobs.curve import Suggestion


def rough_duration(seconds: float | None, *, up: bool = False) -> str:
    """`40 s` (tens of seconds), `3 min`, `2 h 07 min`; rounded down, or `up` for what is left."""
    if seconds is None or seconds < 0:
        return "—"
    unit = 10 if seconds < 60 else 60
    steps = math.ceil(seconds / unit) if up else math.floor(seconds / unit)
    rounded = steps * unit
    if rounded < 60:
        return f"{rounded} s"
    return duration(rounded) if rounded >= 3600 else f"{rounded // 60} min"


def judged_points(job: Job, curve: str = TRAIN_LOSS) -> list[CurvePoint]:
    """The points of a curve the advice is judged on: while a job trains, those of its
    complete epochs only (so the advice changes once an epoch, not with every step)."""
    points = job.curve(curve)
    last = job.current_epoch
    if job.state.finished or last is None:
        return points
    done = [point.step for point in job.loss_curve if point.epoch is not None and point.epoch < last]
    limit = done[-1] if done else -1
    return [point for point in points if point.step <= limit]


# (label, its colour, value markup); a paragraph with no label is a blank line.
Paragraph = tuple[str, str, str]
BLANK: Paragraph = ("", "", "")
LABEL_WIDTH = 10  # labels and the space after them; wrapped values are indented to match


def summary_paragraphs(
    job: Job, suggestion: Suggestion | None, now: datetime | None, price: float | None = None
) -> list[Paragraph]:
    """What the summary says about a job; `now` is None in test mode (no clock-based figures); `price`
    (per million training tokens) adds the cost to the backend's count of billable tokens."""
    state = f"[{STATE_STYLE[job.state]}]{job.state_word}[/]"
    if job.sub_state and not job.state.finished:
        state += f" ({escape(job.sub_state)})"
    steps = f"{job.completed_steps}/{job.total_steps} steps" if job.total_steps else "steps not known yet"
    if job.current_epoch is not None and job.hyperparameters.epoch_count:
        steps += f" · epoch {job.current_epoch} of {job.hyperparameters.epoch_count}"
    muted = "$text-muted"
    lines = [("State", muted, f"{state} · {steps} ({job.progress * 100:.0f}%)")]
    lines.append(("Loss", muted, f"latest {loss_text(job.latest_loss)} · lowest {loss_text(best_loss(job))}"))
    evals = job.curve(EVAL_LOSS)
    if evals:
        lowest = min(point.value for point in evals)
        lines.append(("Eval loss", muted, f"latest {loss_text(evals[-1].value)} · lowest {loss_text(lowest)}"))
    if suggestion is not None:
        best = f"epoch {suggestion.best_epoch}" if suggestion.best_epoch is not None else "—"
        advised = "no epoch advice yet"
        if suggestion.epochs is not None:
            advised = f"suggested [b]{suggestion.epochs} epochs[/b]"
        lines.append(("Best", muted, f"{best} · {advised}"))
    if job.state.finished:
        timing = f"elapsed {duration(elapsed(job, now))}"
    else:  # while training, in steps a slow link can afford: the line changes every 10 s, then every minute
        timing = f"elapsed {rough_duration(elapsed(job, now))} · ETA {rough_duration(eta(job, now), up=True)}"
    lines.append(("Time", muted, timing))
    lines.append(("Settings", muted, escape(hyperparameters_text(job.hyperparameters))))
    lines.append(("Base", muted, escape(job.base_model)))
    lines.append(("Dataset", muted, escape(fingerprint(job))))
    if (counted := data_stats(job, price)) is not None:
        lines.append(("Billing", muted, escape(counted)))
    if job.checkpoints:
        lines.append(("Checkpoints", muted, checkpoints_text(job)))
    if suggestion is not None:
        lines += [BLANK, ("Advice", "$text-accent", escape(suggestion.reason))]
    if job.state is JobState.CANCELLED:
        lines += [BLANK, ("Cancelled.", "$text-error", escape(CANCEL_WARNING))]
    elif job.state is JobState.FAILED:
        lines += [BLANK, ("Failed:", "$text-error", escape(job.error or "the backend gave no reason"))]
    return lines


def _markup(paragraph: Paragraph) -> str:
    label, colour, value = paragraph
    return f"[{colour}]{label:<{LABEL_WIDTH - 1}}[/] {value}" if label else value


def checkpoints_text(job: Job) -> str:
    """`epoch 1 · step 20 · eval 0.412`, one per checkpoint, with the eval loss at its step."""
    evals = eval_losses(job)
    return escape("; ".join(checkpoint_label(checkpoint, evals) for checkpoint in job.checkpoints))


def summary_markup(job: Job, suggestion: Suggestion | None, now: datetime | None) -> str:
    """The summary as one piece of content markup."""
    return "\n".join(_markup(p) for p in summary_paragraphs(job, suggestion, now))


NO_JOB: list[Paragraph] = [
    ("", "", "[$text-muted]No job selected. Launch one from Configure (2), or wait for the list to load.[/]")
]


class JobSummary(Widget):
    """What a job is, how far it got and what its curve advises.

    Each paragraph is drawn on its own (a wrapped value indented under its label) and
    kept until its text changes, so while one job trains an update draws only the step
    count, the latest loss and the times, and repaints only the cells that changed.
    """

    DEFAULT_CSS = """
    JobSummary {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._paragraphs: list[Paragraph] = []
        self._job: str | None = None
        self._drawn: dict[tuple[Paragraph, int], list[Strip]] = {}  # each paragraph's lines at a width
        self._lines: list[Strip] = []  # what is on screen, as of the last update
        self._width = 0  # the width they were drawn for
        self.repainted_cells = 0  # cells marked for repaint by the last update (tests read it)

    def render(self) -> Content:
        return Content.from_markup("\n".join(_markup(p) for p in self._paragraphs))

    def show(self, job: Job | None, suggestion: Suggestion | None, *, clock: bool = True) -> None:
        now = datetime.now(UTC) if clock else None
        settings = getattr(self.app, "settings", None)
        price = getattr(settings, "training_price", None)
        paragraphs = NO_JOB if job is None else summary_paragraphs(job, suggestion, now, price)
        if paragraphs == self._paragraphs:
            return
        name = job.name if job is not None else None
        self.set_class(job is not None, "-job")
        width = self.size.width
        lines = self._draw(paragraphs, width) if width > 0 else []
        # A layout pass costs more than the repaint: while the same job updates, lay out
        # again only when its text needs more lines. Fewer lines leave blank ones below
        # until another job is shown.
        layout = name != self._job or not lines or len(lines) > self.size.height
        previous = self._lines
        self._paragraphs, self._job, self._lines, self._width = paragraphs, name, lines, width
        if layout:
            self.refresh(layout=True)
            self.repainted_cells = self.size.area
            return
        regions = changed_regions(previous, lines, width)
        self.repainted_cells = sum(region.area for region in regions)
        if regions:
            self.refresh(*regions)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._draw(self._paragraphs, width))

    def on_resize(self) -> None:
        self._width = self.size.width
        self._lines = self._draw(self._paragraphs, self._width)

    def render_line(self, y: int) -> Strip:
        """The lines `show` already drew for the diff, rather than drawing them again."""
        if self._width != self.size.width or not self._lines:
            return super().render_line(y)
        if y < len(self._lines):
            return self._lines[y]
        return Strip.blank(self._width, self.visual_style.rich_style)

    def _draw(self, paragraphs: list[Paragraph], width: int) -> list[Strip]:
        """The summary's lines at this width, drawing only paragraphs not drawn before."""
        drawn: dict[tuple[Paragraph, int], list[Strip]] = {}
        lines: list[Strip] = []
        for paragraph in paragraphs:
            key = (paragraph, width)
            strips = self._drawn.get(key) or drawn.get(key) or self._paragraph(paragraph, width)
            drawn[key] = strips
            lines += strips
        self._drawn = drawn
        return lines

    def _paragraph(self, paragraph: Paragraph, width: int) -> list[Strip]:
        label, colour, value = paragraph
        style = self.visual_style
        if not label:
            if not value:
                return [Strip.blank(width, style.rich_style)]
            return Visual.to_strips(self, Content.from_markup(value), width, None, style)
        indent = max(LABEL_WIDTH, len(label) + 1)
        if width - indent < 12:  # too narrow to indent: one piece of text, wrapped
            return Visual.to_strips(self, Content.from_markup(_markup(paragraph)), width, None, style)
        head = Visual.to_strips(self, Content.from_markup(f"[{colour}]{label:<{indent}}[/]"), indent, None, style)[0]
        body = Visual.to_strips(self, Content.from_markup(value), width - indent, None, style)
        blank = Strip.blank(indent, style.rich_style)
        return [Strip.join([head if index == 0 else blank, line]) for index, line in enumerate(body)]
