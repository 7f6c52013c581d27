"""What cancelling a Vertex AI tuning job means, said before it is done (the Monitor's
confirmation) and after (`tunedeck jobs cancel`).

Vertex cancels on a best-effort basis: `tuningJobs:cancel` asks, and the job may still
finish. Cancelling changes the job's state only; it deletes nothing. What stays, and
where: the job's record (the API has no call to delete a tuning job), the dataset objects
uploaded to Cloud Storage (shared by every job launched on the same data: their names
carry the content hash), and whatever the job had exported (checkpoints, each served at
an endpoint, and the tuned model's endpoint). Training is billed as the dataset's tokens
× epochs (`tuningDataStats.totalBillableTokenCount` covers every epoch); what a cancelled
job is charged is on the project's billing report, so the notice gives the figures it
knows and says where the bill is.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.jobs.estimate import cost_text
from tui.models import Job


@dataclass(frozen=True)
class Remnant:
    """Something a cancel leaves behind: what it is, its name, and how it goes (if it can)."""

    what: str
    where: str
    removal: str

    def line(self) -> str:
        return f"{self.what}: {self.where} — {self.removal}"


@dataclass(frozen=True)
class CancelNotice:
    """The words about cancelling one job: best effort, billing so far, what remains, the advice."""

    best_effort: str
    billing: str
    remains: tuple[Remnant, ...]
    exported: str
    advice: str

    def paragraphs(self) -> list[str]:
        """Paragraphs for a dialog (what remains is one paragraph, a line each)."""
        remains = "\n".join(f"• {r.line()}" for r in self.remains)
        return [self.best_effort, self.billing, f"Cancelling deletes nothing. What remains:\n{remains}",
                f"{self.exported} {self.advice}"]

    def lines(self) -> list[str]:
        """Lines for a terminal."""
        return [line for paragraph in self.paragraphs() for line in paragraph.split("\n")]

    def text(self) -> str:
        return "\n".join(self.lines())

    def as_json(self) -> dict:
        return {
            "best_effort": self.best_effort,
            "billing": self.billing,
            "remains": [{"what": r.what, "where": r.where, "removal": r.removal} for r in self.remains],
            "exported": self.exported,
            "advice": self.advice,
        }


def epochs_done(job: Job) -> int | None:
    """Whole epochs trained so far, from the steps (None when the job has not said its steps or epochs)."""
    epochs = job.hyperparameters.epoch_count
    if not epochs or not job.total_steps:
        return None
    return min(epochs, job.completed_steps * epochs // job.total_steps)


def billing_text(job: Job, price_per_million: float | None = None) -> str:
    """What is known about the bill: billable tokens for all epochs, epochs done, where the charge shows."""
    stats = job.data_stats
    tokens = stats.billable_tokens if stats is not None else None
    epochs = job.hyperparameters.epoch_count
    done = epochs_done(job)
    said = "Billing: tuning is billed by training tokens (the dataset's tokens × epochs). "
    if tokens is None:
        said += "This job has not reported its billable tokens yet (it does once its dataset is processed). "
    else:
        how = "exact, from the job" if stats is not None and stats.exact else "estimated"
        over = f"all {epochs} epochs" if epochs else "all its epochs"
        said += f"This job's {tokens:,} billable tokens cover {over} ({how}"
        if price_per_million is not None:
            said += f"; {cost_text(tokens, price_per_million, exact=bool(stats and stats.exact))} at your price"
        said += "). "
    if done is not None and epochs:
        said += f"So far {job.completed_steps:,} of {job.total_steps:,} steps have run, {done} of {epochs} epochs"
        if tokens is not None and done:
            said += f" (about {tokens * done // epochs:,} of the tokens)"
        said += ". "
    elif job.completed_steps:
        said += f"So far {job.completed_steps:,} steps have run. "
    else:
        said += "No training step has run yet. "
    return said + "What a cancelled job is charged shows on the project's Cloud Billing report."


def remnants(job: Job) -> tuple[Remnant, ...]:
    """Everything the job leaves on Google Cloud, cancelled or not."""
    found = [Remnant("the tuning job's record", job.name,
                     "stays listed (Vertex AI has no call to delete a tuning job)")]
    if job.dataset_uri:
        folder = job.dataset_uri.rsplit("/", 1)[0]
        also = f" and the validation set's object in {folder}/" if job.validation_examples else ""
        found.append(Remnant("the uploaded dataset", job.dataset_uri + also,
                             "stays in Cloud Storage for any job launched on the same data "
                             "(`gcloud storage rm URI` removes it)"))
    served = set()
    for checkpoint in job.checkpoints:
        epoch = f"epoch {checkpoint.epoch}" if checkpoint.epoch is not None else "epoch not reported"
        where = checkpoint.endpoint or "(no endpoint reported)"
        served.add(checkpoint.endpoint)
        found.append(Remnant(f"checkpoint {checkpoint.checkpoint_id} ({epoch})", where,
                             "stays deployed until you delete the tuned model (Models, d)"))
    if job.endpoint and job.endpoint not in served:
        found.append(Remnant("the tuned model's endpoint", job.endpoint,
                             "stays deployed until you delete the tuned model (Models, d)"))
    return tuple(found)


def cancel_notice(job: Job, price_per_million: float | None = None) -> CancelNotice:
    """The notice for cancelling `job` on Vertex AI (before the cancel, or after it to report)."""
    count = len(job.checkpoints)
    if count:
        exported = f"{count} checkpoint{'s were' if count > 1 else ' was'} already exported (listed above)."
    else:
        exported = "No checkpoint exported yet (one exported before the cancel takes effect stays too)."
    return CancelNotice(
        best_effort=(
            "Vertex AI cancels on a best-effort basis: the job may still finish, and succeed, after you cancel."
        ),
        billing=billing_text(job, price_per_million),
        remains=remnants(job),
        exported=exported,
        advice=(
            "A cancelled job's results are unpredictable, especially early on. To stop at an earlier epoch, let "
            "the job finish and try that epoch's checkpoint in the Playground, or relaunch with fewer epochs."
        ),
    )


def cancel_notice_for(job: Job, price_per_million: float | None = None) -> CancelNotice | None:
    """The Vertex notice for a Vertex job; None for a Gemini API job (its own warning stays as it is)."""
    return cancel_notice(job, price_per_million) if job.backend.startswith("vertex") else None
