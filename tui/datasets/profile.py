"""A dataset's format profile: the preamble and markers its inputs share.

The tuning guide's rule: production prompts must look like the training inputs, with the
same preamble and the same markers (`question:`, `context:` ...) in the same order. A
marker is a short label followed by a colon at the start of a line (`Translate to
French:`), or a lower-case word followed by a colon inside a line (`context:`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tui.models import Finding, Severity

_LINE_LABEL = re.compile(r"[A-Za-z][\w'-]*(?: [\w'-]+){0,3}")
_INLINE_WORD = re.compile(r"[a-z][a-z_]{1,24}")
MAX_LABEL_CHARS = 40


def marker_signature(text: str) -> tuple[str, ...]:
    """Distinct markers of `text`, in order of first use (e.g. ("question:", "context:"))."""
    pos = text.find(":")
    if pos < 0:
        return ()
    seen: dict[str, None] = {}
    while pos >= 0:
        after = text[pos + 1:pos + 2]
        if not after or after.isspace():
            label = text[text.rfind("\n", 0, pos) + 1:pos]
            head = label.lstrip(" \t")
            if len(head) <= MAX_LABEL_CHARS and _LINE_LABEL.fullmatch(head):
                seen.setdefault(head + ":")
            else:
                cut = max(label.rfind(" "), label.rfind("\t"))
                word = label[cut + 1:]
                if cut >= 0 and _INLINE_WORD.fullmatch(word):
                    seen.setdefault(word + ":")
        pos = text.find(":", pos + 1)
    return tuple(seen)


def first_line(text: str) -> str | None:
    """The first line of a multi-line input (a candidate preamble), else None."""
    head, sep, rest = text.partition("\n")
    return head.strip() if sep and rest.strip() and head.strip() else None


@dataclass(frozen=True)
class FormatProfile:
    """What most inputs share; `check_prompt` holds a production prompt against it."""

    preamble: str | None = None
    markers: tuple[str, ...] = ()
    preamble_share: float = 0.0
    marker_shares: tuple[float, ...] = ()

    def check_prompt(self, prompt: str) -> list[Finding]:
        """Warnings for a prompt that lacks the preamble or markers, or orders markers differently."""
        findings = []
        if self.preamble and first_line(prompt) != self.preamble and prompt.strip() != self.preamble:
            findings.append(Finding(
                rule="missing-preamble", severity=Severity.WARNING,
                message=f"the prompt does not start with the dataset's preamble {self.preamble!r}",
                hint="start the prompt with the preamble on its own line, as the training inputs do"))
        if self.markers:
            used = [m for m in marker_signature(prompt) if m in self.markers]
            missing = [m for m in self.markers if m not in used]
            if missing:
                findings.append(Finding(
                    rule="missing-marker", severity=Severity.WARNING,
                    message=f"the prompt lacks marker{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                    hint=f"use the dataset's markers in this order: {' '.join(self.markers)}"))
            expected = [m for m in self.markers if m in used]
            if used != expected:
                findings.append(Finding(
                    rule="marker-order", severity=Severity.WARNING,
                    message=f"markers in the order {' '.join(used)}; the dataset uses {' '.join(self.markers)}",
                    hint="put the markers in the same order as the training inputs"))
        return findings

    def describe(self) -> str:
        parts = []
        if self.preamble:
            parts.append(f"preamble {self.preamble!r} ({self.preamble_share:.0%} of inputs)")
        if self.markers:
            parts.append("markers " + " ".join(self.markers))
        return "; ".join(parts) or "no shared preamble or markers"
