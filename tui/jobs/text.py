"""Plain-text renderings of jobs for the headless CLI: table rows, details, a progress line."""

from __future__ import annotations

from datetime import datetime

from tui.jobs.curve import epoch_means, suggest_epochs
from tui.jobs.estimate import Estimate, cost_text, estimate_text
from tui.models import EVAL_LOSS, Checkpoint, Job, JobState

BAR_FULL, BAR_EMPTY = "█", "░"


def progress_bar(fraction: float, width: int = 24) -> str:
    fraction = min(1.0, max(0.0, fraction))
    filled = round(fraction * width)
    return BAR_FULL * filled + BAR_EMPTY * (width - filled)


def when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "-"


def loss(value: float | None) -> str:
    return f"{value:.4f}" if value is not None else "-"


def current_epoch(job: Job) -> int:
    return job.current_epoch or 0


def unknown(value: object) -> str:
    """A value, or `?` when the backend did not say."""
    if value is None:
        return "?"
    return f"{value:g}" if isinstance(value, float) else str(value)


def progress_line(job: Job, width: int = 24) -> str:
    """`[████░░] 40%  step 20/50  epoch 2/5  loss 0.4121  CREATING`"""
    steps = f"step {job.completed_steps}/{job.total_steps or '?'}"
    epoch = f"epoch {current_epoch(job)}/{unknown(job.hyperparameters.epoch_count)}"
    state = f"{job.state_word} ({job.sub_state})" if job.sub_state else job.state_word
    bar = f"[{progress_bar(job.progress, width)}] {job.progress:4.0%}"
    return f"{bar}  {steps}  {epoch}  loss {loss(job.latest_loss)}  {state}"


def table(jobs: list[Job]) -> str:
    """Aligned columns: id, display name, state, progress, latest loss, base model, created."""
    header = ("ID", "NAME", "STATE", "PROGRESS", "LOSS", "BASE MODEL", "CREATED", "")
    rows = [header] + [
        (
            job.id,
            job.display_name or "-",
            job.state_word,
            f"{job.progress:.0%}",
            loss(job.latest_loss),
            job.base_model.removeprefix("models/"),
            when(job.created),
            "" if job.launched_here else "(not launched here)",
        )
        for job in jobs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def details(job: Job, price: float | None = None) -> str:
    """Everything known about one job, as `label: value` lines."""
    hp = job.hyperparameters
    rate = (
        f"multiplier {hp.learning_rate_multiplier}"
        if hp.learning_rate_multiplier is not None
        else unknown(hp.learning_rate)
    )
    # Vertex AI takes an adapter size and no batch size; the Gemini API the other way round.
    vertex = job.backend.startswith("vertex")
    size = f"adapter size {unknown(hp.adapter_size)}" if vertex else f"batch size {unknown(hp.batch_size)}"
    lines = [
        ("name", job.name),
        ("display name", job.display_name or "-"),
        ("state", job.state_word),
        ("backend", job.backend),
        ("base model", job.base_model or "-"),
        ("hyperparameters", f"{unknown(hp.epoch_count)} epochs, {size}, learning rate {rate}"),
        ("progress", progress_line(job)),
        ("dataset", job.dataset_path or "-"),
        ("dataset sha256", job.dataset_sha256 or "-"),
        ("examples", str(job.dataset_examples) if job.dataset_examples is not None else "-"),
        ("created", when(job.created)),
        ("started", when(job.started)),
        ("completed", when(job.completed)),
        ("loss points", str(len(job.loss_curve))),
    ]
    lines += vertex_lines(job, price)
    if job.error:
        lines.append(("error", job.error))
    means = epoch_means(job.loss_curve)
    if means:
        lines.append(("loss by epoch", "  ".join(f"{e}: {m:.4f}" for e, m in means)))
    if len(means) >= 2:
        lines.append(("advice", suggest_epochs(job.loss_curve, hp.epoch_count, job.curve(EVAL_LOSS)).reason))
    width = max(len(label) for label, _ in lines)
    return "\n".join(f"{label.rjust(width)}  {value}" for label, value in lines)


def outcome(job: Job) -> str:
    """One sentence for the end of a watch."""
    if job.state is JobState.ACTIVE:
        return f'{job.name} is ready: try it with `tunedeck try {job.id} "..."`'
    if job.state is JobState.CANCELLED:
        return (
            f"{job.name} was cancelled; its quality is unpredictable. Launch again with fewer epochs to stop earlier."
        )
    if job.state is JobState.DELETED:
        return f"{job.name} is gone from the backend."
    return f"{job.name} failed" + (f": {job.error}" if job.error else "")


def data_stats(job: Job, price: float | None = None) -> str | None:
    """`1,200 examples, 52,000 billable tokens (exact), 2 truncated, dropped: too long x3`, or None;
    with a price per million training tokens, the cost follows the tokens (`$0.16 at $3.00 / M`)."""
    stats = job.data_stats
    if stats is None:
        return None
    how = "(exact)" if stats.exact else "(estimated: tokens x epochs)"
    parts = []
    if stats.examples is not None:
        parts.append(f"{stats.examples:,} examples")
    if stats.billable_tokens is not None:
        parts.append(f"{stats.billable_tokens:,} billable tokens {how}")
        if price is not None:
            parts.append(cost_text(stats.billable_tokens, price, exact=stats.exact))
    if stats.truncated_examples:
        parts.append(f"{stats.truncated_examples:,} truncated")
    if stats.dropped_examples:
        parts.append("dropped: " + ", ".join(f"{reason} x{n}" for reason, n in stats.dropped_examples.items()))
    return ", ".join(parts) or None


def checkpoint_label(checkpoint: Checkpoint, evals: dict[int, float]) -> str:
    """`epoch 1 · step 20 · eval 0.412`: where the checkpoint was saved and the eval loss at that step.

    `evals` maps steps to eval loss (`eval_losses(job)`).
    """
    words = [f"epoch {checkpoint.epoch}" if checkpoint.epoch is not None else checkpoint.checkpoint_id]
    if checkpoint.step is not None:
        words.append(f"step {checkpoint.step}")
        if checkpoint.step in evals:
            words.append(f"eval {evals[checkpoint.step]:.3f}")
    return " · ".join(words)


def eval_losses(job: Job) -> dict[int, float]:
    """The job's eval loss by step."""
    return {point.step: point.value for point in job.curve(EVAL_LOSS)}


def vertex_lines(job: Job, price: float | None = None) -> list[tuple[str, str]]:
    """The lines only some backends fill: sub-state, uploads, validation, data stats, endpoint, checkpoints."""
    lines = []
    if job.sub_state:
        lines.append(("doing", job.sub_state))
    if job.hyperparameters.adapter_size is not None:
        lines.append(("adapter size", str(job.hyperparameters.adapter_size)))
    if job.dataset_uri:
        lines.append(("uploaded", job.dataset_uri))
    if job.validation_examples is not None:
        lines.append(("validation", f"{job.validation_examples} examples"))
    if (stats := data_stats(job, price)) is not None:
        lines.append(("data", stats))
    curves = [f"{name} {len(points)}" for name, points in job.curves.items() if points]
    if len(curves) > 1:
        lines.append(("curve points", ", ".join(curves)))
    if job.system_instruction:
        lines.append(("system instruction", job.system_instruction))
    if job.endpoint:
        lines.append(("endpoint", job.endpoint))
    for checkpoint in job.checkpoints:
        where = f"epoch {unknown(checkpoint.epoch)}, step {unknown(checkpoint.step)}"
        lines.append((f"checkpoint {checkpoint.checkpoint_id}", f"{where}: {checkpoint.endpoint or '-'}"))
    return lines


def launch_notes(job: Job, price: float | None = None) -> list[str]:
    """What a launch says beyond its name: the upload, the estimate of billable tokens and, at `price`
    per million training tokens, of the cost."""
    notes = []
    if job.dataset_uri:
        extra = f" (+{job.validation_examples} for validation)" if job.validation_examples else ""
        notes.append(f"dataset {job.dataset_uri}{extra}")
    stats, epochs = job.data_stats, job.hyperparameters.epoch_count
    if stats is not None and not stats.exact and stats.billable_tokens is not None and epochs:
        figures = Estimate(stats.examples or 0, stats.billable_tokens // epochs, epochs)
        notes.append(f"{figures.examples:,} examples · {estimate_text(figures, price)}; "
                     "the exact count replaces the estimate once the dataset is read")
    elif stats is not None and not stats.exact and (line := data_stats(job, price)):
        notes.append(f"{line}; the exact count replaces it once the dataset is read")
    return notes
