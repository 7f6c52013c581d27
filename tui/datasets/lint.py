"""The lint engine: one streaming pass over a dataset, then whole-dataset rules.

The pass (`scan.py`) keeps per-example facts as compact arrays (line and record numbers,
lengths, a 64-bit hash of the input, preamble and marker flags), never the strings, so
memory stays bounded on large files: about 30 bytes per example. Outputs are compared
only for examples whose input repeats, read again from the file (`outputs.py`). At most
200 findings of one rule are kept; `counts` always holds the true totals.

Rules (id: severity):
  errors   unreadable rows (invalid-json, invalid-csv, invalid-utf8, not-an-object,
           bad-structure, missing-input/-output, non-string-input/-output, multi-turn),
           empty-input, empty-output, input-too-long, output-too-long, empty-file, too-few-examples,
           payload-too-large (an example with an error is not counted among the valid examples)
  warnings fewer-than-advised, duplicate, conflicting-output, whitespace, missing-marker,
           marker-order, missing-preamble, imbalanced-labels
  info     format, task, preamble, markers
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tui.datasets.findings import Findings
from tui.datasets.profile import FormatProfile
from tui.datasets.progress import ProgressCallback, Throttle
from tui.datasets.reader import DatasetReader
from tui.datasets.scan import Scan
from tui.datasets.stats import categorical_labels, estimate_tokens, guess_task, imbalance, length_summary
from tui.datasets.targets import target_rules
from tui.datasets.values import (
    MAX_INLINE_BYTES,
    MAX_INPUT_CHARS,
    MAX_OUTPUT_CHARS,
    MIN_EXAMPLES,
    DatasetStats,
    Example,
    Finding,
    Severity,
    Task,
)
from tui.datasets.wording import plural, size

SHARED = 0.5  # a preamble or marker used by more than this share of inputs is the norm
ADVISED = {Task.CLASSIFICATION: 100, Task.SUMMARIZATION: 100, Task.DOCUMENT_SEARCH: 100}
IMBALANCE_RATIO = 4.0


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


def lint(reader: DatasetReader, task: Task | str | None = None, target: str = "gemini",
         progress: ProgressCallback | None = None, scanned: Scan | None = None) -> LintReport:
    """Check every example of `reader` and the dataset as a whole (`scanned`: the per-example pass,
    already run over the whole file)."""
    if scanned is None:
        scan = Scan(reader, Findings(str(reader.path)))
        throttle = Throttle(progress, reader.index.size)
        scan.run(throttle)
        throttle.finish()
    else:
        scan = scanned
    out = scan.out

    count = len(scan.lines)
    input_chars, output_chars = length_summary(scan.in_lens), length_summary(scan.out_lens)
    label_counts = categorical_labels(scan.labels, count)
    given = Task(task) if task is not None else None
    chosen = given or guess_task(label_counts, input_chars, output_chars)
    line_at = np.frombuffer(scan.lines, dtype=np.uint32) if count else np.zeros(0, np.uint32)

    payload = scan.payload
    duplicates, conflicts = _duplicates(out, line_at, scan.in_hashes, scan.output_hashes, scan.sorted_hashes)
    valid = count - _rejected(scan)
    _dataset_rules(out, reader, valid, payload, chosen, given is None, label_counts, target)
    if (extra := target_rules(target)) is not None:  # the target's own rules (e.g. Vertex's limits)
        extra.apply(out, reader, chosen)
    profile = _profile(out, line_at, scan)

    stats = DatasetStats(examples=valid, input_chars=input_chars, output_chars=output_chars,
                         estimated_tokens=estimate_tokens(input_chars, output_chars), duplicates=duplicates,
                         conflicting_inputs=conflicts, labels=label_counts, inline_bytes=payload)
    return LintReport(findings=out.sorted(), stats=stats, profile=profile, task=chosen, task_guessed=given is None,
                      counts={s.value: out.severity.get(s, 0) for s in Severity}, rule_counts=dict(out.rules))


def tunable(example: Example) -> bool:
    """Whether an example that parsed can be tuned on: neither side empty nor over its length limit."""
    return 0 < len(example.text_input) <= MAX_INPUT_CHARS and 0 < len(example.output) <= MAX_OUTPUT_CHARS


def _rejected(scan: Scan) -> int:
    """Parsed examples that an error still keeps out of tuning (empty or too long)."""
    if not scan.in_lens:
        return 0
    ins, outs = np.frombuffer(scan.in_lens, np.uint32), np.frombuffer(scan.out_lens, np.uint32)
    return int(np.count_nonzero((ins == 0) | (ins > MAX_INPUT_CHARS) | (outs == 0) | (outs > MAX_OUTPUT_CHARS)))


def _duplicates(out: Findings, line_at: np.ndarray, in_hashes: array, output_hashes: Callable[[np.ndarray], np.ndarray],
                sorted_hashes: Callable[[], np.ndarray]) -> tuple[int, int]:
    """Exact duplicates and inputs given different outputs; findings in file order.

    Examples are compared by the 64-bit hashes of input and output; outputs are fetched
    (`output_hashes`) only for examples whose input occurs more than once.
    """
    count = len(line_at)
    if count < 2:
        return 0, 0
    inputs = np.frombuffer(in_hashes, dtype=np.int64)
    ordered = sorted_hashes()
    if not (ordered[1:] == ordered[:-1]).any():  # every input differs: no duplicates, no conflicts
        return 0, 0
    order = np.argsort(inputs)
    same = inputs[order[1:]] == inputs[order[:-1]]
    shared = np.zeros(count, dtype=bool)
    shared[1:] |= same
    shared[:-1] |= same
    rows = np.sort(order[shared])  # examples whose input occurs more than once, in file order
    inputs, outputs = inputs[rows], output_hashes(rows)
    count = len(rows)
    order = np.lexsort((outputs, inputs))  # by input, then output, then file order
    new_input = np.ones(count, dtype=bool)
    new_input[1:] = inputs[order[1:]] != inputs[order[:-1]]
    new_pair = new_input.copy()
    new_pair[1:] |= outputs[order[1:]] != outputs[order[:-1]]
    pair_first = order[np.maximum.accumulate(np.where(new_pair, np.arange(count), 0))]  # earliest same example
    input_first = np.minimum.reduceat(order, np.flatnonzero(new_input))[np.cumsum(new_input) - 1]  # earliest same input
    repeated = ~new_pair
    _report(out, "duplicate", line_at, rows[order[repeated]], rows[pair_first[repeated]],
            "exact duplicate of line {}", "remove repeated examples; they weigh that example more")
    differs = outputs[order] != outputs[input_first]
    _report(out, "conflicting-output", line_at, rows[order[differs]], rows[input_first[differs]],
            "same input as line {} with a different output", "keep one output per input, or make the inputs differ")
    return int(np.count_nonzero(repeated)), len(np.unique(input_first[differs]))


def _report(out: Findings, rule: str, line_at: np.ndarray, rows: np.ndarray, firsts: np.ndarray, message: str,
            hint: str) -> None:
    """A warning at each of `rows` naming the line of the matching entry of `firsts`, in file order."""
    room = out.room(rule)
    for i in np.argsort(rows, kind="stable")[:room].tolist():
        out.add(rule, Severity.WARNING, message.format(line_at[firsts[i]]), hint, int(line_at[rows[i]]))
    out.tally(rule, Severity.WARNING, len(rows) - room)


def _profile(out: Findings, line_at: np.ndarray, scan: Scan) -> FormatProfile:
    count = len(line_at)
    preamble, preamble_share = None, 0.0
    if scan.preamble is not None and count >= 5:
        has = np.frombuffer(scan.has_preamble, dtype=np.int8).astype(bool)
        share = float(has.mean())
        if share > SHARED:
            preamble, preamble_share = scan.preamble.strip(), share
            same = "words" if scan.preamble_inline else "preamble line"
            _warn_rows(out, "missing-preamble", line_at, np.flatnonzero(~has), f"input lacks the preamble {preamble!r} "
                       f"that {share:.0%} of inputs start with", f"start this input with the same {same}")
    markers: tuple[str, ...] = ()
    shares: tuple[float, ...] = ()
    if scan.markers and count >= 5:
        bits = np.frombuffer(scan.marker_bits, dtype=np.uint8)
        used = [(bits >> j) & 1 == 1 for j in range(len(scan.markers))]
        kept = [j for j, u in enumerate(used) if u.mean() > SHARED]
        markers = tuple(scan.markers[j] for j in kept)
        shares = tuple(float(used[j].mean()) for j in kept)
        disorder = np.frombuffer(scan.marker_disorder, dtype=np.int8).astype(bool) if kept else np.zeros(count, bool)
        _warn_rows(out, "marker-order", line_at, np.flatnonzero(disorder), "markers appear in another order than most "
                   f"inputs use ({' '.join(markers)})", "put the markers in the dataset's order")
        for j in kept:
            _warn_rows(out, "missing-marker", line_at, np.flatnonzero(~used[j]), f"input lacks {scan.markers[j]} that "
                       f"{float(used[j].mean()):.0%} of inputs use",
                       f"use the dataset's markers in order: {' '.join(markers)}")
    profile = FormatProfile(preamble, markers, preamble_share, shares, preamble_inline=scan.preamble_inline)
    if preamble:
        out.add("preamble", Severity.INFO, f"shared preamble {preamble!r} ({preamble_share:.0%} of inputs)",
                "prompts sent to the tuned model must start with it")
    if markers:
        out.add("markers", Severity.INFO, f"format markers used by most inputs: {' '.join(markers)}",
                "prompts sent to the tuned model must use these markers in this order")
    return profile


def _warn_rows(out: Findings, rule: str, line_at: np.ndarray, rows: np.ndarray, message: str, hint: str) -> None:
    """The same warning about the input at each of `rows` (ascending)."""
    room = out.room(rule)
    for line in line_at[rows[:room]].tolist():
        out.add(rule, Severity.WARNING, message, hint, line, "text_input")
    out.tally(rule, Severity.WARNING, len(rows) - room)


def _dataset_rules(out: Findings, reader: DatasetReader, count: int, payload: int, task: Task, guessed: bool,
                   labels: dict[str, int] | None, target: str) -> None:
    records = len(reader)
    out.add("format", Severity.INFO, f"detected format {reader.format.value}, {plural(count, 'valid example')} of "
            f"{plural(records, 'record')}",
            "" if reader.dataset.input_column is None else
            f"input column {reader.dataset.input_column!r}, output column {reader.dataset.output_column!r}")
    out.add("task", Severity.INFO,
            f"tuning task {task.value}" + (" (guessed from the outputs)" if guessed else " (given)"),
            "name the task with --task if the guess is wrong" if guessed else "")
    if not records:
        empty = not reader.dataset.size_bytes
        per_line = ", one JSON object per line" if reader.format.value == "jsonl" else ""
        out.add("empty-file", Severity.ERROR,
                "the file is empty" if empty else "the file holds no records (only blank lines)",
                f"add at least {MIN_EXAMPLES} examples{per_line}")
    elif count < MIN_EXAMPLES:
        out.add("too-few-examples", Severity.ERROR,
                f"{plural(count, 'valid example')}; tuning needs at least {MIN_EXAMPLES}",
                "add examples (100 to 500 are advised)")
    elif task in ADVISED and count < ADVISED[task]:
        out.add("fewer-than-advised", Severity.WARNING, f"{plural(count, 'example')}; {ADVISED[task]}+ are advised for "
                f"{task.value}", "add examples to improve quality")
    if target == "gemini" and payload > MAX_INLINE_BYTES:
        out.add("payload-too-large", Severity.ERROR, f"about {size(payload)} of examples; the Gemini API "
                f"takes at most {size(MAX_INLINE_BYTES)} inline", "use fewer or shorter examples")
    if task is Task.CLASSIFICATION and labels and imbalance(labels) >= IMBALANCE_RATIO:
        shown = ", ".join(f"{k} {v}" for k, v in labels.items())
        out.add("imbalanced-labels", Severity.WARNING, f"labels are heavily imbalanced ({shown})",
                "add examples of the rare labels, or drop some of the common ones")
