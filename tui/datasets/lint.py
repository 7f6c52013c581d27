"""The lint engine: one streaming pass over a dataset, then whole-dataset rules.

Per-example facts are kept as compact arrays (lengths, 64-bit hashes of inputs, of
input+output pairs and of first lines, a marker-signature id), never as strings, so
memory stays bounded on large files. At most MAX_PER_RULE findings of one rule are kept;
`counts` always holds the true totals.

Rules (id: severity):
  errors   unreadable rows (invalid-json, invalid-csv, invalid-utf8, not-an-object,
           bad-structure, missing-input/-output, non-string-input/-output, multi-turn),
           empty-input, empty-output, input-too-long, output-too-long, too-few-examples,
           payload-too-large
  warnings fewer-than-advised, duplicate, conflicting-output, whitespace, missing-marker,
           marker-order, missing-preamble, imbalanced-labels
  info     format, task, preamble, markers
"""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from tui.datasets.profile import FormatProfile, first_line, marker_signature
from tui.datasets.progress import ProgressCallback, Throttle
from tui.datasets.reader import DatasetReader
from tui.datasets.records import RecordProblem
from tui.datasets.stats import (MAX_LABEL_CHARS, MAX_LABELS, categorical_labels, estimate_tokens, guess_task,
                                imbalance, length_summary)
from tui.models import (MAX_INLINE_BYTES, MAX_INPUT_CHARS, MAX_OUTPUT_CHARS, MIN_EXAMPLES, DatasetStats, Finding,
                        Severity, Task)

MAX_PER_RULE = 200
MAX_SIGNATURES = 4096
SHARED = 0.5  # a preamble or marker used by more than this share of inputs is the norm
ADVISED = {Task.CLASSIFICATION: 100, Task.SUMMARIZATION: 100, Task.DOCUMENT_SEARCH: 100}
IMBALANCE_RATIO = 4.0
PAYLOAD_OVERHEAD = len('{"textInput":"","output":""},')


@dataclass
class LintReport:
    """Everything lint found, plus stats and the format profile."""

    findings: list[Finding]
    stats: DatasetStats
    profile: FormatProfile
    task: Task
    task_guessed: bool
    counts: dict[str, int] = field(default_factory=dict)  # severity -> total, including findings not kept
    rule_counts: dict[str, int] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return self.counts.get(Severity.ERROR.value, 0) > 0


class _Findings:
    def __init__(self, path: str) -> None:
        self.path = path
        self.kept: list[Finding] = []
        self.rules: Counter[str] = Counter()
        self.severity: Counter[str] = Counter()

    def add(self, rule: str, severity: Severity, message: str, hint: str = "", line: int | None = None,
            field: str | None = None, column: int | None = None) -> None:
        self.rules[rule] += 1
        self.severity[severity.value] += 1
        if self.rules[rule] <= MAX_PER_RULE:
            self.kept.append(Finding(rule=rule, severity=severity, message=message, hint=hint, path=self.path,
                                     line=line, column=column, field=field))

    def add_finding(self, finding: Finding) -> None:
        self.rules[finding.rule] += 1
        self.severity[finding.severity.value] += 1
        if self.rules[finding.rule] <= MAX_PER_RULE:
            self.kept.append(finding)

    def sorted(self) -> list[Finding]:
        out = list(self.kept)
        for rule, total in self.rules.items():
            if total > MAX_PER_RULE:
                severity = next(f.severity for f in self.kept if f.rule == rule)
                out.append(Finding(rule=rule, severity=severity, path=self.path,
                                   message=f"{total - MAX_PER_RULE} more {rule} findings not listed ({total} in all)"))
        return sorted(out, key=lambda f: (f.line or 0, f.severity != Severity.INFO))


def lint(reader: DatasetReader, task: Task | str | None = None, target: str = "gemini",
         progress: ProgressCallback | None = None) -> LintReport:
    """Check every example of `reader` and the dataset as a whole."""
    out = _Findings(str(reader.path))
    lines, in_lens, out_lens = array("q"), array("q"), array("q")
    in_hashes, pair_hashes, first_hashes, signature_ids = array("q"), array("q"), array("q"), array("l")
    signatures: dict[tuple[str, ...], int] = {(): 0}
    first_texts: dict[int, str] = {}
    labels: dict[str, int] | None = {}
    payload = 0
    throttle = Throttle(progress, reader.index.size)
    parse = reader.parse

    for n, (line, offset, raw) in enumerate(reader.raw_records()):
        try:
            text_input, output = parse(raw, offset)
        except RecordProblem as problem:
            out.add_finding(reader.finding(problem, line))
            continue
        li, lo = len(text_input), len(output)
        lines.append(line)
        in_lens.append(li)
        out_lens.append(lo)
        in_hashes.append(hash(text_input))
        pair_hashes.append(hash((text_input, output)))
        payload += PAYLOAD_OVERHEAD + (li if text_input.isascii() else len(text_input.encode()))
        payload += lo if output.isascii() else len(output.encode())
        if not lo:
            out.add("empty-output", Severity.ERROR, "output is empty", "give the output the model should produce", line, "output")
        elif lo > MAX_OUTPUT_CHARS:
            out.add("output-too-long", Severity.ERROR, f"output has {lo:,} characters; the limit is {MAX_OUTPUT_CHARS:,}",
                    "shorten the output or split the example", line, "output")
        if not li:
            out.add("empty-input", Severity.ERROR, "input is empty", "give the prompt this output answers", line, "text_input")
        elif li > MAX_INPUT_CHARS:
            out.add("input-too-long", Severity.ERROR, f"input has {li:,} characters; the limit is {MAX_INPUT_CHARS:,}",
                    "shorten the input or split the example", line, "text_input")
        if text_input.strip() is not text_input and li:
            out.add("whitespace", Severity.WARNING, "input has leading or trailing whitespace",
                    "strip it, or production prompts must carry the same whitespace", line, "text_input")
        if output.strip() is not output and lo:
            out.add("whitespace", Severity.WARNING, "output has leading or trailing whitespace",
                    "strip it, or the model learns to emit it", line, "output")
        head = first_line(text_input) if "\n" in text_input else None
        if head is None:
            first_hashes.append(0)
        else:
            h = hash(head) or 1
            first_hashes.append(h)
            if len(first_texts) < 256:
                first_texts.setdefault(h, head)
        signature = marker_signature(text_input)
        sid = signatures.get(signature)
        if sid is None:
            sid = len(signatures) if len(signatures) < MAX_SIGNATURES else -1
            if sid >= 0:
                signatures[signature] = sid
        signature_ids.append(sid)
        if labels is not None:
            if lo <= MAX_LABEL_CHARS and (output in labels or len(labels) < MAX_LABELS):
                labels[output] = labels.get(output, 0) + 1
            else:
                labels = None
        if not n & 0x3FF:
            throttle(offset)
    throttle.finish()

    count = len(lines)
    input_chars, output_chars = length_summary(in_lens), length_summary(out_lens)
    label_counts = categorical_labels(labels, count)
    given = Task(task) if task is not None else None
    chosen = given or guess_task(label_counts, input_chars, output_chars)
    line_at = np.frombuffer(lines, dtype=np.int64) if count else np.zeros(0, np.int64)

    duplicates, conflicts = _duplicates(out, line_at, in_hashes, pair_hashes)
    _dataset_rules(out, reader, count, payload, chosen, given is None, label_counts, target)
    profile = _profile(out, reader, line_at, first_hashes, first_texts, signatures, signature_ids)

    stats = DatasetStats(examples=count, input_chars=input_chars, output_chars=output_chars,
                         estimated_tokens=estimate_tokens(input_chars, output_chars), duplicates=duplicates,
                         conflicting_inputs=conflicts, labels=label_counts, inline_bytes=payload)
    return LintReport(findings=out.sorted(), stats=stats, profile=profile, task=chosen, task_guessed=given is None,
                      counts={s.value: out.severity.get(s.value, 0) for s in Severity}, rule_counts=dict(out.rules))


def _groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stable sort order, whether each sorted position starts a group, and each position's group head."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    new = np.ones(len(keys), dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    head = order[np.maximum.accumulate(np.where(new, np.arange(len(keys)), 0))]
    return order, new, head


def _duplicates(out: _Findings, line_at: np.ndarray, in_hashes: array, pair_hashes: array) -> tuple[int, int]:
    if len(line_at) < 2:
        return 0, 0
    pairs = np.frombuffer(pair_hashes, dtype=np.int64)
    order, new, head = _groups(pairs)
    for row, first in zip(order[~new].tolist(), head[~new].tolist(), strict=True):
        out.add("duplicate", Severity.WARNING, f"exact duplicate of line {line_at[first]}",
                "remove repeated examples; they weigh that example more", int(line_at[row]))
    duplicates = int(np.count_nonzero(~new))
    inputs = np.frombuffer(in_hashes, dtype=np.int64)
    order, new, head = _groups(inputs)
    differs = pairs[order] != pairs[head]
    conflicted_heads = set(head[differs].tolist())
    for row, first in zip(order[differs].tolist(), head[differs].tolist(), strict=True):
        out.add("conflicting-output", Severity.WARNING, f"same input as line {line_at[first]} with a different output",
                "keep one output per input, or make the inputs differ", int(line_at[row]))
    return duplicates, len(conflicted_heads)


def _profile(out: _Findings, reader: DatasetReader, line_at: np.ndarray, first_hashes: array,
             first_texts: dict[int, str], signatures: dict[tuple[str, ...], int], signature_ids: array) -> FormatProfile:
    count = len(line_at)
    preamble, preamble_share = None, 0.0
    if count >= 5:
        heads = np.frombuffer(first_hashes, dtype=np.int64)
        values, counts = np.unique(heads[heads != 0], return_counts=True)
        if len(values) and counts.max() > SHARED * count and counts.max() >= 2:
            top = int(values[counts.argmax()])
            preamble = first_texts.get(top) or _find_first_line(reader, top)
            preamble_share = float(counts.max()) / count
            for row in np.flatnonzero(heads != top).tolist():
                out.add("missing-preamble", Severity.WARNING, f"input lacks the preamble {preamble!r} that "
                        f"{preamble_share:.0%} of inputs start with", "start this input with the same preamble line",
                        int(line_at[row]), "text_input")
    markers: tuple[str, ...] = ()
    shares: tuple[float, ...] = ()
    if count >= 5 and len(signatures) > 1:
        ids = np.frombuffer(signature_ids, dtype=np.dtype(f"i{signature_ids.itemsize}"))
        per_signature = np.bincount(ids[ids >= 0], minlength=len(signatures))
        use: Counter[str] = Counter()
        for signature, sid in signatures.items():
            for marker in signature:
                use[marker] += int(per_signature[sid])
        common = {m for m, c in use.items() if c > SHARED * count}
        if common:
            dominant = max(signatures, key=lambda s: (len(common.intersection(s)), per_signature[signatures[s]]))
            markers = tuple(m for m in dominant if m in common)
            markers += tuple(sorted(common.difference(markers)))
            shares = tuple(use[m] / count for m in markers)
            for signature, sid in signatures.items():
                used = [m for m in signature if m in common]
                missing = [m for m in markers if m not in used]
                expected = [m for m in markers if m in used]
                if not missing and used == expected:
                    continue
                for row in np.flatnonzero(ids == sid).tolist():
                    if missing:
                        out.add("missing-marker", Severity.WARNING, f"input lacks {', '.join(missing)} "
                                f"that most inputs use", f"use the dataset's markers in order: {' '.join(markers)}",
                                int(line_at[row]), "text_input")
                    if used != expected:
                        out.add("marker-order", Severity.WARNING, f"markers in the order {' '.join(used)}; most "
                                f"inputs use {' '.join(markers)}", "put the markers in the dataset's order",
                                int(line_at[row]), "text_input")
    profile = FormatProfile(preamble, markers, preamble_share, shares)
    if preamble:
        out.add("preamble", Severity.INFO, f"shared preamble {preamble!r} ({preamble_share:.0%} of inputs)",
                "prompts sent to the tuned model must start with it")
    if markers:
        out.add("markers", Severity.INFO, f"format markers used by most inputs: {' '.join(markers)}",
                "prompts sent to the tuned model must use these markers in this order")
    return profile


def _find_first_line(reader: DatasetReader, wanted: int) -> str | None:
    for example in reader.iter_examples():
        head = first_line(example.text_input)
        if head is not None and (hash(head) or 1) == wanted:
            return head
    return None


def _dataset_rules(out: _Findings, reader: DatasetReader, count: int, payload: int, task: Task, guessed: bool,
                   labels: dict[str, int] | None, target: str) -> None:
    out.add("format", Severity.INFO, f"detected format {reader.format.value}, {count:,} valid examples of {len(reader):,} records",
            "" if reader.dataset.input_column is None else
            f"input column {reader.dataset.input_column!r}, output column {reader.dataset.output_column!r}")
    out.add("task", Severity.INFO, f"tuning task {task.value}" + (" (guessed from the outputs)" if guessed else " (given)"),
            "name the task with --task if the guess is wrong" if guessed else "")
    if count < MIN_EXAMPLES:
        out.add("too-few-examples", Severity.ERROR, f"{count} valid examples; tuning needs at least {MIN_EXAMPLES}",
                "add examples (100 to 500 are advised)")
    elif task in ADVISED and count < ADVISED[task]:
        out.add("fewer-than-advised", Severity.WARNING, f"{count} examples; {ADVISED[task]}+ are advised for "
                f"{task.value}", "add examples to improve quality")
    if target == "gemini" and payload > MAX_INLINE_BYTES:
        out.add("payload-too-large", Severity.ERROR, f"about {payload / 1048576:.1f} MB of examples; the Gemini API "
                f"takes at most {MAX_INLINE_BYTES // 1048576} MB inline", "use fewer or shorter examples")
    if task is Task.CLASSIFICATION and labels and imbalance(labels) >= IMBALANCE_RATIO:
        shown = ", ".join(f"{k} {v}" for k, v in labels.items())
        out.add("imbalanced-labels", Severity.WARNING, f"labels are heavily imbalanced ({shown})",
                "add examples of the rare labels, or drop some of the common ones")
