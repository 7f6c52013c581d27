"""Lint rules that depend on where the dataset goes: the extension point of `lint.lint`.

`lint(reader, target=...)` runs the rules every target shares, then `target_rules(target)`
(when the target has any): it may waive shared rules that do not hold there (Vertex tunes
multi-turn conversations, for one) and add its own findings.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from tui.datasets.findings import Findings
from tui.datasets.reader import DatasetReader
from tui.datasets.values import Task


class TargetRules(Protocol):
    """Rules for one target protocol, applied after the shared ones."""

    def apply(self, out: Findings, reader: DatasetReader, task: Task) -> None: ...


def target_rules(target: str) -> TargetRules | None:
    """The extra rules of `target` ("vertex", "vertex-validation"), or None ("gemini")."""
    if target in ("vertex", "vertex-validation"):
        from tui.datasets.vertex_rules import VertexRules

        return VertexRules(validation=target == "vertex-validation")
    return None


def waive(out: Findings, rules: Iterable[str]) -> None:
    """Drop every finding of `rules`, kept or only counted, from `out` and its totals."""
    for rule in rules:
        total = out.rules.pop(rule, 0)
        if not total:
            continue
        kept = [f for f in out.kept if f.rule == rule]
        out.kept = [f for f in out.kept if f.rule != rule]
        for finding in kept:
            out.severity[finding.severity] -= 1
        if kept and total > len(kept):  # the rest were only counted, with the kept ones' severity
            out.severity[kept[0].severity] -= total - len(kept)
