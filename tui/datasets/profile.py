"""A dataset's format profile: the preamble and markers its inputs share.

The tuning guide's rule: production prompts must look like the training inputs, with the
same preamble and the same markers (`question:`, `context:` ...) in the same order. A
marker is a short label followed by a colon at the start of a line (`Translate to
French:`), or a lower-case word followed by a colon inside a line (`context:`). A
preamble is either a first line of its own, or a leading sentence or run of words that
shares its line with the rest of the input (`Classify the ticket. My card was declined`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from tui.datasets.values import Finding, Severity

_LINE_LABEL = re.compile(r"[A-Za-z][\w'-]*(?: [\w'-]+){0,3}")
_INLINE_WORD = re.compile(r"[a-z][a-z_]{1,24}")
MAX_LABEL_CHARS = 40
_SENTENCE = re.compile(r"([^\n]{2,200}?[.!?])[ \t]+\S")  # a first sentence with more text after it on its line
MIN_PREFIX_WORDS, MAX_PREFIX_WORDS = 3, 12
_KEEP = 0.95  # a longer run of words is the prefix while it keeps this share of the inputs the shortest one has


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


def leading_prefix(inputs: Sequence[str], least: int) -> str | None:
    """A leading sentence, else a run of at least three words, that starts at least `least` of `inputs`
    and is followed by more text on the same line; None if there is none."""
    sentences = Counter(m.group(1) for m in map(_SENTENCE.match, inputs) if m)
    if sentences:
        sentence, used = sentences.most_common(1)[0]
        if used >= least:
            return sentence
    heads = [text[:400].partition("\n")[0].split()[:MAX_PREFIX_WORDS + 1] for text in inputs]
    best, base = None, 0
    for k in range(MIN_PREFIX_WORDS, MAX_PREFIX_WORDS + 1):
        runs = Counter(tuple(words[:k]) for words in heads if len(words) > k)  # more text must follow
        if not runs:
            break
        words, used = runs.most_common(1)[0]
        if used < max(least, base * _KEEP):
            break
        best, base = " ".join(words), base or used
    return best


@dataclass(frozen=True)
class FormatProfile:
    """What most inputs share; `check_prompt` holds a production prompt against it."""

    preamble: str | None = None
    markers: tuple[str, ...] = ()
    preamble_share: float = 0.0
    marker_shares: tuple[float, ...] = ()
    preamble_inline: bool = False  # the preamble shares its line with the rest of the input

    def has_preamble(self, text: str) -> bool:
        """Whether `text` starts with the preamble (on a line of its own, unless it is inline)."""
        if not self.preamble:
            return True
        if self.preamble_inline:
            return text.lstrip().startswith(self.preamble)
        return first_line(text) == self.preamble or text.strip() == self.preamble

    def check_prompt(self, prompt: str, system_instruction: str | None = None) -> list[Finding]:
        """Warnings for a prompt that lacks the preamble or markers, or orders markers differently.

        With `system_instruction` (the preamble a model was tuned with as its system
        instruction, sent with every prompt) the prompt must not start with it again.
        """
        findings = []
        if system_instruction:
            if first_line(prompt) == system_instruction.strip():
                findings.append(Finding(
                    rule="repeated-preamble", severity=Severity.WARNING,
                    message="the prompt starts with the preamble, which is sent as the system instruction already",
                    hint="leave the preamble line out, as the training inputs did"))
        elif not self.has_preamble(prompt):
            where = "followed by the rest on the same line" if self.preamble_inline else "on its own line"
            findings.append(Finding(
                rule="missing-preamble", severity=Severity.WARNING,
                message=f"the prompt does not start with the dataset's preamble {self.preamble!r}",
                hint=f"start the prompt with the preamble, {where}, as the training inputs do"))
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
            where = " at the start of the first line" if self.preamble_inline else ""
            parts.append(f"preamble {self.preamble!r}{where} ({self.preamble_share:.0%} of inputs)")
        if self.markers:
            parts.append("markers " + " ".join(self.markers))
        return "; ".join(parts) or "no shared preamble or markers"
