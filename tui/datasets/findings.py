"""Findings of a lint pass, kept in file order with their true totals.

At most MAX_PER_RULE findings of one rule are kept; the counts per rule and severity
always hold every finding, and `sorted` adds a line saying how many were not listed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from tui.datasets.values import Finding, Severity
from tui.datasets.wording import plural

MAX_PER_RULE = 200


class Findings:
    """Findings with true totals per rule and severity; at most MAX_PER_RULE kept per rule."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.kept: list[Finding] = []
        self.rules: Counter[str] = Counter()
        self.severity: Counter[Severity] = Counter()

    def add(self, rule: str, severity: Severity, message: str, hint: str = "", line: int | None = None,
            field: str | None = None, column: int | None = None) -> None:
        self.rules[rule] += 1
        self.severity[severity] += 1
        if self.rules[rule] <= MAX_PER_RULE:
            self.kept.append(Finding(rule=rule, severity=severity, message=message, hint=hint, path=self.path,
                                     line=line, column=column, field=field))

    def add_finding(self, finding: Finding) -> None:
        self.rules[finding.rule] += 1
        self.severity[finding.severity] += 1
        if self.rules[finding.rule] <= MAX_PER_RULE:
            self.kept.append(finding)

    def room(self, rule: str) -> int:
        """How many more findings of `rule` are kept; callers `tally` the rest instead of adding them."""
        return max(0, MAX_PER_RULE - self.rules[rule])

    def tally(self, rule: str, severity: Severity, count: int) -> None:
        """Count `count` findings of `rule` beyond those kept."""
        if count > 0:
            self.rules[rule] += count
            self.severity[severity] += count

    def absorb(self, other: Findings, lines: int) -> None:
        """Add the findings of the part of the file after this one's (`lines` physical lines further on),
        keeping the first MAX_PER_RULE of each rule in file order, and every count."""
        kept = Counter(f.rule for f in self.kept)
        for finding in other.kept:
            if kept[finding.rule] < MAX_PER_RULE:
                kept[finding.rule] += 1
                line = None if finding.line is None else finding.line + lines
                self.kept.append(replace(finding, line=line))
        self.rules.update(other.rules)
        self.severity.update(other.severity)

    def sorted(self) -> list[Finding]:
        out = list(self.kept)
        for rule, total in self.rules.items():
            if total > MAX_PER_RULE:
                severity = next(f.severity for f in self.kept if f.rule == rule)
                out.append(Finding(rule=rule, severity=severity, path=self.path,
                                   message=f"{plural(total - MAX_PER_RULE, f'more {rule} finding')} not listed "
                                           f"({total:,} in all)"))
        return sorted(out, key=lambda f: (f.line or 0, f.severity != Severity.INFO))
