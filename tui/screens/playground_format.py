"""What the playground says about a tuned model and a prompt: readiness, the training format."""

from __future__ import annotations

from typing import Any

from tui.models import Job, JobState
from tui.screens.monitor_format import CANCEL_WARNING


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


def format_hint(profile: Any) -> str:
    """What the training prompts look like, in one sentence."""
    preamble = (getattr(profile, "preamble", None) or "").strip()
    markers = list(getattr(profile, "markers", None) or ())
    parts = []
    if preamble:
        shown = preamble if len(preamble) <= 80 else preamble[:79] + "…"
        parts.append(f"start with the preamble “{shown}”")
    if markers:
        noun = "marker" if len(markers) == 1 else "markers, in this order,"
        parts.append(f"use the {noun} " + " ".join(f"“{m}”" for m in markers))
    if not parts:
        return "Training prompts follow no fixed preamble or markers."
    return "Training prompts " + " and ".join(parts) + ": write prompts the same way."
