"""The per-example pass of the lint engine, done in batches with C-level maps.

Keeps per-example facts as compact arrays (lengths, 64-bit hashes of inputs, of
input+output pairs and of first lines, a marker-signature id) and emits the findings
that concern one example. Whole-dataset rules run afterwards in `lint.py`.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Sequence
from itertools import accumulate, islice, repeat

import numpy as np
import orjson

from tui.datasets.profile import marker_signature
from tui.datasets.progress import Throttle
from tui.datasets.reader import DatasetReader
from tui.datasets.records import RecordProblem
from tui.datasets.stats import MAX_LABEL_CHARS, MAX_LABELS
from tui.models import MAX_INPUT_CHARS, MAX_OUTPUT_CHARS, DatasetFormat, Finding, Severity

BATCH = 512
MAX_PER_RULE = 200
MAX_MARKERS = 8
LEARN_SHARE = 0.3  # a candidate preamble or marker appears in this share of the first batch
PAYLOAD_OVERHEAD = len('{"textInput":"","output":""},')
LINE_JSON = (DatasetFormat.JSONL, DatasetFormat.VERTEX, DatasetFormat.CHAT)
BLANK, CRLF, CR = b"\n", b"\r\n", b"\r"
BLANKS = (BLANK, CRLF, CR)
PAIR = {2}
Stripped = tuple[list[str], list[str]]  # inputs and outputs with str.strip applied


class Findings:
    """Findings with true totals per rule and severity; at most MAX_PER_RULE kept per rule."""

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
                                   message=f"{total - MAX_PER_RULE:,} more {rule} findings not listed ({total:,} in all)"))
        return sorted(out, key=lambda f: (f.line or 0, f.severity != Severity.INFO))


class Scan:
    """Facts gathered from every valid example, in file order.

    The preamble and marker candidates are learnt from the first batch (up to BATCH
    examples); every example is then checked against them with C-level string
    searches, so the pass costs about twice what parsing the JSON alone does.
    """

    def __init__(self, reader: DatasetReader, findings: Findings) -> None:
        self.reader = reader
        self.out = findings
        self.lines, self.in_lens, self.out_lens = array("I"), array("I"), array("I")  # 4 bytes each
        self.in_hashes, self.out_hashes = array("q"), array("q")  # str hashes: 64-bit SipHash
        self.preamble: str | None = None  # candidate learnt from the first batch
        self.has_preamble = array("b")
        self.markers: tuple[str, ...] = ()  # candidates learnt from the first batch, in their usual order
        self.marker_bits = array("B")  # bit j set: the input uses markers[j] (at most 8)
        self.marker_disorder = array("b")  # 1: the input uses the markers in another order
        self.labels: dict[str, int] | None = {}
        self.utf8_extra = 0  # UTF-8 bytes beyond one per character
        self._learnt = False

    def run(self, throttle: Throttle) -> None:
        if self.reader.format in LINE_JSON:
            for line, offset, raws in self.reader.line_batches():
                if BLANK in raws or CRLF in raws or CR in raws:  # blank lines are not records
                    kept = [i for i, raw in enumerate(raws) if raw not in BLANKS]
                    lines, kept_raws = [line + i for i in kept], [raws[i] for i in kept]
                else:
                    lines, kept_raws = range(line, line + len(raws)), raws
                self._check(*self._parse(lines, kept_raws, lambda: _offsets(offset, raws, lines, line)))  # noqa: B023
                throttle(offset)
            return
        records = self.reader.raw_records()
        while batch := list(islice(records, BATCH)):
            lines, offsets, raws = zip(*batch, strict=True)
            self._check(*self._parse(lines, raws, lambda: offsets))
            throttle(batch[-1][1])

    def _parse(self, lines, raws, offsets) -> tuple[Sequence[int], list[str], list[str], Stripped | None]:
        """(lines, inputs, outputs, maybe them stripped) of the valid examples; findings for the others."""
        if self.reader.format in LINE_JSON or self.reader.format is DatasetFormat.JSON:
            try:  # the usual case: every record a plain {"text_input", "output"} object
                objects = list(map(orjson.loads, raws))
                inputs = list(map(dict.get, objects, repeat("text_input")))
                outputs = list(map(dict.get, objects, repeat("output")))
                bare = list(map(str.strip, inputs)), list(map(str.strip, outputs))  # TypeError unless all strings
                if set(map(len, objects)) == PAIR or not any(map(_other_shape, objects)):
                    return lines, inputs, outputs, bare
            except (orjson.JSONDecodeError, TypeError):
                pass
        kept_lines, inputs, outputs = [], [], []
        parse = self.reader.parse
        for line, offset, raw in zip(lines, offsets(), raws, strict=True):
            try:
                text_input, output = parse(raw[:-1] if raw[-1:] == b"\n" else raw, offset)
            except RecordProblem as problem:
                self.out.add_finding(self.reader.finding(problem, line))
                continue
            kept_lines.append(line)
            inputs.append(text_input)
            outputs.append(output)
        return kept_lines, inputs, outputs, None

    def _check(self, lines: Sequence[int], inputs: list[str], outputs: list[str], bare: Stripped | None) -> None:
        count = len(inputs)
        if not count:
            return
        if not self._learnt:
            self._learn(inputs[:BATCH])
        in_lens, out_lens = array("I", map(len, inputs)), array("I", map(len, outputs))
        if type(lines) is range:
            self.lines.frombytes(np.arange(lines.start, lines.stop, dtype=np.uint32).view(np.uint8))
        else:
            self.lines.extend(lines)
        self.in_lens.extend(in_lens)
        self.out_lens.extend(out_lens)
        self.in_hashes.frombytes(np.fromiter(map(hash, inputs), np.int64, count).view(np.uint8))
        self.out_hashes.frombytes(np.fromiter(map(hash, outputs), np.int64, count).view(np.uint8))
        self._lengths(lines, in_lens, out_lens)
        bare_in, bare_out = bare or (list(map(str.strip, inputs)), list(map(str.strip, outputs)))
        self._whitespace(lines, inputs, bare_in, "text_input", "strip it, or production prompts must carry the same whitespace")
        self._whitespace(lines, outputs, bare_out, "output", "strip it, or the model learns to emit it")
        for texts in (inputs, outputs):
            if not all(map(str.isascii, texts)):
                self.utf8_extra += sum(len(t.encode()) - len(t) for t in texts if not t.isascii())
        if self.preamble is not None:
            self.has_preamble.frombytes(bytes(map(str.startswith, inputs, repeat(self.preamble + "\n"))))
        if self.markers:
            self._check_markers(inputs)
        self._labels(outputs, out_lens)

    @property
    def payload(self) -> int:
        """Bytes of the examples as the Gemini API's inline JSON (UTF-8), an estimate of the request body."""
        chars = int(np.frombuffer(self.in_lens, np.uint32).sum(dtype=np.int64)
                    + np.frombuffer(self.out_lens, np.uint32).sum(dtype=np.int64)) if self.in_lens else 0
        return chars + self.utf8_extra + PAYLOAD_OVERHEAD * len(self.in_lens)

    def _learn(self, inputs: list[str]) -> None:
        """Pick the preamble and marker candidates from the first batch of inputs."""
        self._learnt = True
        sample = len(inputs)
        heads = Counter(head for head, sep, _ in map(str.partition, inputs, repeat("\n")) if sep and head.strip())
        if heads:
            head, used = heads.most_common(1)[0]
            if used >= 2 and used >= LEARN_SHARE * sample:
                self.preamble = head
        signatures = Counter(map(marker_signature, inputs))
        use: Counter[str] = Counter()
        for signature, times in signatures.items():
            use.update(dict.fromkeys(signature, times))
        common = {m for m, times in use.items() if times >= 2 and times >= LEARN_SHARE * sample}
        if common:
            ordered: list[str] = []
            for signature, _ in signatures.most_common():
                ordered.extend(m for m in signature if m in common and m not in ordered)
            self.markers = tuple(ordered[:MAX_MARKERS])

    def _check_markers(self, inputs: list[str]) -> None:
        n = len(inputs)
        positions = np.empty((n, len(self.markers)), np.int64)
        for j, marker in enumerate(self.markers):
            positions[:, j] = np.fromiter(map(str.find, inputs, repeat(marker)), np.int64, n)
        present = positions >= 0
        bits = (present << np.arange(len(self.markers))).sum(axis=1)
        earlier = np.maximum.accumulate(positions, axis=1)
        disorder = (present[:, 1:] & (positions[:, 1:] < earlier[:, :-1])).any(axis=1)
        self.marker_bits.frombytes(bits.astype(np.uint8).tobytes())
        self.marker_disorder.frombytes(disorder.astype(np.int8).tobytes())

    def _lengths(self, lines: Sequence[int], in_lens: array, out_lens: array) -> None:
        ins, outs = np.frombuffer(in_lens, np.uint32), np.frombuffer(out_lens, np.uint32)
        for i in np.flatnonzero((ins == 0) | (ins > MAX_INPUT_CHARS) | (outs == 0) | (outs > MAX_OUTPUT_CHARS)).tolist():
            line, li, lo = lines[i], int(ins[i]), int(outs[i])
            if not li:
                self.out.add("empty-input", Severity.ERROR, "input is empty", "give the prompt this output answers",
                             line, "text_input")
            elif li > MAX_INPUT_CHARS:
                self.out.add("input-too-long", Severity.ERROR, f"input has {li:,} characters; the limit is "
                             f"{MAX_INPUT_CHARS:,}", "shorten the input or split the example", line, "text_input")
            if not lo:
                self.out.add("empty-output", Severity.ERROR, "output is empty", "give the output the model should produce",
                             line, "output")
            elif lo > MAX_OUTPUT_CHARS:
                self.out.add("output-too-long", Severity.ERROR, f"output has {lo:,} characters; the limit is "
                             f"{MAX_OUTPUT_CHARS:,}", "shorten the output or split the example", line, "output")

    def _whitespace(self, lines: Sequence[int], texts: list[str], stripped: list[str], field: str, hint: str) -> None:
        if stripped == texts:  # str.strip returns the string itself when there is nothing to strip
            return
        what = "input" if field == "text_input" else "output"
        for line, text, bare in zip(lines, texts, stripped, strict=True):
            if text is not bare and bare:
                self.out.add("whitespace", Severity.WARNING, f"{what} has leading or trailing whitespace", hint, line, field)

    def _labels(self, outputs: list[str], out_lens: array) -> None:
        labels = self.labels
        if labels is None:
            return
        if max(out_lens) > MAX_LABEL_CHARS:
            self.labels = None
            return
        labels.update((k, labels.get(k, 0) + v) for k, v in Counter(outputs).items())
        if len(labels) > MAX_LABELS:
            self.labels = None


def _other_shape(obj: dict) -> bool:
    """An object that `extract` reads as Vertex or chat even though it has "text_input" too."""
    return "contents" in obj or "messages" in obj


def _offsets(offset: int, raws: list[bytes], lines: Sequence[int], first_line: int) -> list[int]:
    """Byte offsets of the kept lines of a batch (computed only when a record needs one)."""
    starts = list(accumulate(map(len, raws[:-1]), initial=offset))
    return [starts[line - first_line] for line in lines]
