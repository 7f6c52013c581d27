"""What the playground says about a tuned model and a prompt: readiness, the training format,
the targets a prompt can go to (the tuned model or one of its checkpoints)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui.jobs.text import checkpoint_label, eval_losses
from tui.models import Job, JobState
from tui.screens.monitor_format import CANCEL_WARNING

MODEL_TARGET = "tuned-model"  # the key of the tuned model itself among the targets


@dataclass(frozen=True)
class Target:
    """Where a prompt goes: the tuned model, or one checkpoint's endpoint."""

    key: str  # MODEL_TARGET or the checkpoint id
    label: str  # `epoch 1 · step 20 · eval 0.412` (the Monitor's words)
    endpoint: str
    note: str = ""  # `default`, `lowest eval loss`

    @property
    def checkpoint(self) -> bool:
        return self.key != MODEL_TARGET

    @property
    def title(self) -> str:
        return f"{self.label} ({self.note})" if self.note else self.label


def targets(job: Job) -> list[Target]:
    """The tuned model, then each checkpoint that can be called, oldest first."""
    found = [Target(MODEL_TARGET, "Tuned model", job.endpoint or job.name)]
    evals = eval_losses(job)
    callable_ = [c for c in job.checkpoints if c.endpoint]
    scored = [c for c in callable_ if c.step is not None and c.step in evals]
    best = min(scored, key=lambda c: evals[c.step or 0]) if len(scored) > 1 else None
    for checkpoint in callable_:
        notes = ["default"] if checkpoint.endpoint == job.endpoint else []
        if checkpoint is best:
            notes.append("lowest eval loss")
        found.append(Target(checkpoint.checkpoint_id, checkpoint_label(checkpoint, evals), checkpoint.endpoint or "",
                            ", ".join(notes)))
    return found


def system_note(job: Job) -> str:
    """The line saying that prompts go with the system instruction the model was tuned with."""
    if not job.system_instruction:
        return ""
    text = " ".join(job.system_instruction.split())
    shown = text if len(text) <= 80 else text[:79] + "…"
    return f"Sent with every prompt as the system instruction, as in training: “{shown}”"


def model_note(job: Job) -> tuple[str, bool]:
    """What to expect from this model, and whether it can answer at all."""
    match job.state:
        case JobState.ACTIVE:
            return "Ready.", True
        case JobState.CANCELLED:
            return f"Cancelled. {CANCEL_WARNING}", True
        case JobState.FAILED:
            return (
                f"This job failed ({job.error or 'no reason given'}); there is no model to answer. "
                "Relaunch it from the Monitor.",
                False,
            )
        case JobState.DELETED:
            return "This tuned model was deleted.", False
        case _:
            return f"Still training ({job.progress * 100:.0f}%). It can answer once it is ACTIVE.", False


def finding_text(finding: Any) -> str:
    """A format finding as one line (findings carry a message and maybe a hint)."""
    message = (getattr(finding, "message", None) or str(finding)).strip().rstrip(".")
    hint = (getattr(finding, "hint", "") or "").strip().rstrip(".")
    text = message[:1].upper() + message[1:] + "."
    return f"{text} {hint[:1].upper() + hint[1:]}." if hint else text


def format_hint(profile: Any, system_instruction: str | None = None) -> str:
    """What the training prompts look like, in one sentence (the preamble left out when it is the
    system instruction the model was tuned with)."""
    preamble = (getattr(profile, "preamble", None) or "").strip()
    markers = list(getattr(profile, "markers", None) or ())
    parts = []
    if system_instruction:
        parts.append("leave out the preamble (it is the system instruction)")
    elif preamble:
        shown = preamble if len(preamble) <= 80 else preamble[:79] + "…"
        parts.append(f"start with the preamble “{shown}”")
    if markers:
        noun = "marker" if len(markers) == 1 else "markers, in this order,"
        parts.append(f"use the {noun} " + " ".join(f"“{m}”" for m in markers))
    if not parts:
        return "Training prompts follow no fixed preamble or markers."
    return "Training prompts " + " and ".join(parts) + ": write prompts the same way."
