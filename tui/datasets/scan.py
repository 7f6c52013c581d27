"""The per-example pass of the lint engine, done in batches with C-level maps.

Reads about a megabyte of records at a time, parses a batch of plain JSON objects with
one map of orjson, keeps per-example facts as compact arrays (line and record numbers,
lengths, input hashes, preamble and marker flags) and emits the findings that concern
one example. Whole-dataset rules run afterwards in `lint.py`.
"""

from __future__ import annotations

import gc
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice, repeat
from typing import Any

import numpy as np

from tui.datasets.findings import Findings
from tui.datasets.outputs import output_hashes
from tui.datasets.profile import leading_prefix, marker_signature
from tui.datasets.progress import Throttle
from tui.datasets.reader import LINE_JSON, DatasetReader, non_blank
from tui.datasets.records import RecordProblem, load_batch, parse_object, plain_pairs
from tui.datasets.stats import MAX_LABEL_CHARS, MAX_LABELS
from tui.datasets.values import MAX_INPUT_CHARS, MAX_OUTPUT_CHARS, DatasetFormat, Severity

BATCH = 512
READ = 1 << 20  # bytes of lines checked together
MAX_MARKERS = 8
LEARN_SHARE = 0.3  # a candidate preamble or marker appears in this share of the first batch
PAYLOAD_OVERHEAD = len('{"textInput":"","output":""},')
Stripped = tuple[list[str], list[str]]  # inputs and outputs with str.strip applied


class Scan:
    """Facts gathered from every valid example, in file order.

    The preamble and marker candidates are learnt from the first batch (up to BATCH
    examples); every example is then checked against them with C-level string
    searches, or once per batch when they lie in the prefix all of its inputs share.
    The pass costs about one and a half times what parsing the JSON alone does.
    """

    def __init__(self, reader: DatasetReader, findings: Findings) -> None:
        self.reader = reader
        self.out = findings
        self.lines, self.in_lens, self.out_lens = array("I"), array("I"), array("I")  # 4 bytes each
        self.records = array("I")  # the record number `reader.raw_records` starts at, to read an example again
        self.in_hashes = array("q")  # str hashes of the inputs: 64-bit SipHash
        self.preamble: str | None = None  # candidate learnt from the first batch
        self.preamble_inline = False  # the preamble shares its line with the rest of the input
        self.has_preamble = array("b")
        self.markers: tuple[str, ...] = ()  # candidates learnt from the first batch, in their usual order
        self.marker_bits = array("B")  # bit j set: the input uses markers[j] (at most 8)
        self.marker_disorder = array("b")  # 1: the input uses the markers in another order
        self.labels: dict[str, int] | None = {}
        self.utf8_extra = 0  # UTF-8 bytes beyond one per character
        self._learnt = False
        self._shared = False  # whether to look for the prefix each batch's inputs share
        self._seen = 0  # records read so far, valid or not
        self.next_line = 1  # the physical line after the last batch of lines read
        self.next_offset = 0  # and its byte offset
        self.checkpoints: Checkpoints | None = None  # set to build the file's index on the way
        self.hash_runs: list[np.ndarray] | None = None  # in_hashes as sorted runs, one per part of the file

    def run(self, throttle: Throttle) -> None:
        with paused_gc():
            self._run(throttle)

    def _run(self, throttle: Throttle) -> None:
        if self.reader.format in LINE_JSON:
            self.scan_lines(self.reader.line_batches(READ), throttle)
            return
        records = self.reader.raw_records()
        while batch := list(islice(records, BATCH)):
            lines, offsets, raws = zip(*batch, strict=True)
            self._check(lines, self._numbers(len(raws)), *self._parse(lines, raws, lambda offsets=offsets: offsets))
            throttle(batch[-1][1])

    def scan_lines(self, batches: Iterator[tuple[int, int, list[bytes]]], throttle: Throttle | None = None,
                   *, until_learnt: bool = False) -> None:
        """Check the records of batches of lines (`DatasetReader.line_batches`); with `until_learnt`, stop
        after the batch the preamble and marker candidates are learnt from."""
        checkpoints = self.checkpoints
        for line, offset, raws in batches:
            lengths = np.fromiter(map(len, raws), np.int64, len(raws))
            lines: Sequence[int]
            if lengths.min() > 2:  # a blank line (b"\n", b"\r\n", b"\r") is shorter: every line is a record
                lines, kept_raws = range(line, line + len(raws)), raws
            else:
                lines, kept_raws = non_blank(line, raws)
            numbers = self._numbers(len(kept_raws))
            ends = lengths.cumsum()
            ends += offset
            if checkpoints is not None:
                checkpoints.add(numbers.start, _starts(offset, ends, lines, line), lines)
            self._check(lines, numbers,
                        *self._parse(lines, kept_raws,
                                     lambda: _starts(offset, ends, lines, line).tolist()))  # noqa: B023
            self.next_line = line + len(raws)
            self.next_offset = int(ends[-1])
            if throttle is not None:
                throttle(offset)
            if until_learnt and self._learnt:
                return

    def part(self) -> Scan:
        """An empty scan that checks against what this one learnt: for another part of the file, whose
        lines and records it numbers from 1 and 0 (`absorb` shifts them)."""
        other = Scan(self.reader, Findings(self.out.path))
        other.preamble, other.markers, other._learnt, other._shared = self.preamble, self.markers, True, self._shared
        other.labels = {} if self.labels is not None else None
        return other

    def absorb(self, others: Sequence[Scan]) -> None:
        """Append the facts and findings of `others`, the scans of the parts of the file right after this
        one's, in file order; their facts are emptied on the way (so two copies of each are never held)."""
        lines, records = [], []
        line_shift, seen = self.next_line - 1, self._seen
        self.next_line += sum(other.next_line - 1 for other in others)
        self._seen += sum(other._seen for other in others)
        for other in others:
            lines.append(np.frombuffer(other.lines, np.uint32) + np.uint32(line_shift))
            records.append(np.frombuffer(other.records, np.uint32) + np.uint32(seen))
            self.out.absorb(other.out, line_shift)
            line_shift += other.next_line - 1
            seen += other._seen
            self.utf8_extra += other.utf8_extra
            self._merge_labels(other.labels)
            if self.hash_runs is not None and other.hash_runs is not None:
                self.hash_runs.extend(other.hash_runs)
            else:
                self.hash_runs = None
        if not others:
            return
        for other in others:
            other.lines, other.records = array("I"), array("I")
        self.lines.frombytes(np.concatenate(lines).view(np.uint8).data)
        del lines
        self.records.frombytes(np.concatenate(records).view(np.uint8).data)
        del records
        for name in ("in_lens", "out_lens", "in_hashes", "has_preamble", "marker_bits", "marker_disorder"):
            mine = getattr(self, name)
            theirs = [getattr(other, name) for other in others]
            for other in others:
                setattr(other, name, array(mine.typecode))
            mine.frombytes(np.concatenate([np.frombuffer(t, np.dtype(mine.typecode)) for t in theirs])
                           .view(np.uint8).data)
            del theirs

    def _merge_labels(self, theirs: dict[str, int] | None) -> None:
        if self.labels is not None and theirs is not None:
            for label, count in theirs.items():
                self.labels[label] = self.labels.get(label, 0) + count
            if len(self.labels) > MAX_LABELS:
                self.labels = None
        else:
            self.labels = None

    def sort_hashes(self) -> None:
        """Keep the input hashes read so far sorted too, as one run (a part of the file sorts its own)."""
        self.hash_runs = [np.sort(np.frombuffer(self.in_hashes, np.int64))]

    def sorted_hashes(self) -> np.ndarray:
        """Every input hash, ascending."""
        runs, self.hash_runs = self.hash_runs, None  # asked for once: the runs are not kept as well
        if runs is not None and sum(map(len, runs)) == len(self.in_hashes):
            merged = np.concatenate(runs)
            del runs
            merged.sort(kind="stable")  # a merge of the sorted runs
            return merged
        return np.sort(np.frombuffer(self.in_hashes, np.int64))

    def _numbers(self, count: int) -> range:
        """Record numbers of the next `count` records."""
        self._seen += count
        return range(self._seen - count, self._seen)

    def _parse(self, lines, raws, offsets) -> tuple[list[int] | None, list[str], list[str], Stripped | None]:
        """(positions of the valid records or None for all, their inputs, outputs, maybe these stripped);
        findings for the invalid records."""
        if self.reader.format in LINE_JSON or self.reader.format is DatasetFormat.JSON:
            objects = load_batch(raws)
            if objects is not None:
                plain = plain_pairs(objects)  # the usual case
                if plain is not None:
                    inputs, outputs, bare_inputs, bare_outputs = plain
                    return None, inputs, outputs, (bare_inputs, bare_outputs)
                return *self._each(lines, objects, parse_object), None
        parse = self.reader.parse
        return *self._each(lines, zip(raws, offsets(), strict=True),
                           lambda item: parse(item[0][:-1] if item[0][-1:] == b"\n" else item[0], item[1])), None

    def _each(self, lines: Sequence[int], items: Iterable, parse: Callable[[Any], tuple[str, str]]
              ) -> tuple[list[int], list[str], list[str]]:
        """Records parsed one at a time: positions of the valid ones, their inputs and outputs."""
        valid, inputs, outputs = [], [], []
        for i, (line, item) in enumerate(zip(lines, items, strict=False)):
            try:
                text_input, output = parse(item)
            except RecordProblem as problems:
                for problem in problems.each():
                    self.out.add_finding(self.reader.finding(problem, line))
                continue
            valid.append(i)
            inputs.append(text_input)
            outputs.append(output)
        return valid, inputs, outputs

    def _check(self, lines: Sequence[int], records: Sequence[int], valid: list[int] | None, inputs: list[str],
               outputs: list[str], bare: Stripped | None) -> None:
        count = len(inputs)
        if not count:
            return
        if valid is not None:
            lines, records = [lines[i] for i in valid], [records[i] for i in valid]
        if not self._learnt:
            self._learn(inputs[:BATCH])
        in_lens, out_lens = array("I", map(len, inputs)), array("I", map(len, outputs))
        if type(lines) is range:
            self.lines.frombytes(np.arange(lines.start, lines.stop, dtype=np.uint32).view(np.uint8).data)
        else:
            self.lines.extend(lines)
        if type(records) is range:
            self.records.frombytes(np.arange(records.start, records.stop, dtype=np.uint32).view(np.uint8).data)
        else:
            self.records.extend(records)
        self.in_lens.extend(in_lens)
        self.out_lens.extend(out_lens)
        self.in_hashes.frombytes(np.fromiter(map(hash, inputs), np.int64, count).view(np.uint8).data)
        self._lengths(lines, in_lens, out_lens)
        bare_in, bare_out = bare or (list(map(str.strip, inputs)), list(map(str.strip, outputs)))
        self._whitespace(lines, inputs, bare_in, "text_input",
                         "strip it, or production prompts must carry the same whitespace")
        self._whitespace(lines, outputs, bare_out, "output", "strip it, or the model learns to emit it")
        for texts in (inputs, outputs):
            if not all(map(str.isascii, texts)):
                self.utf8_extra += sum(len(t.encode()) - len(t) for t in texts if not t.isascii())
        shared = common_prefix(inputs) if self._shared else ""
        if self.preamble is not None:
            self._check_preamble(inputs, shared)
        if self.markers:
            self._check_markers(inputs, shared)
        self._labels(outputs, out_lens)

    def output_hashes(self, rows: np.ndarray) -> np.ndarray:
        """hash() of the outputs of examples `rows` (ascending), read again from the file."""
        return output_hashes(self.reader, np.frombuffer(self.records, np.uint32)[rows].tolist())

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
        if self.preamble is None:
            self.preamble = leading_prefix(inputs, max(2, round(LEARN_SHARE * sample)))
            self.preamble_inline = self.preamble is not None
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
        # templated inputs share a prefix (an instruction, a first marker) that can be checked once per batch
        self._shared = self.preamble is not None or any(m in common_prefix(inputs) for m in self.markers)

    def _check_preamble(self, inputs: list[str], shared: str) -> None:
        """Which inputs start with the preamble (all of them when the prefix they share does)."""
        assert self.preamble is not None
        head = self.preamble if self.preamble_inline else self.preamble + "\n"
        if shared.startswith(head):
            self.has_preamble.frombytes(b"\x01" * len(inputs))
        else:
            self.has_preamble.frombytes(bytes(map(str.startswith, inputs, repeat(head))))

    def _check_markers(self, inputs: list[str], shared: str) -> None:
        """Which markers each input uses, and whether in another order; a marker inside the prefix all
        inputs share is first used at the same place in each."""
        count = len(inputs)
        bits = np.zeros(count, np.uint8)  # bit j: the input uses markers[j]
        disorder = np.zeros(count, bool)  # a marker first appears before one listed ahead of it
        latest = None  # the furthest first position among the markers listed so far
        for j, marker in enumerate(self.markers):
            place = shared.find(marker)
            if place >= 0:
                at = np.full(count, place, np.int64)
            else:
                at = np.fromiter(map(str.find, inputs, repeat(marker)), np.int64, count)
            present = at >= 0
            bits |= present.view(np.uint8) << j
            if latest is None:
                latest = at
            else:
                disorder |= present & (at < latest)
                np.maximum(latest, at, out=latest)
        self.marker_bits.frombytes(bits.data)
        self.marker_disorder.frombytes(disorder.view(np.uint8).data)

    def _lengths(self, lines: Sequence[int], in_lens: array, out_lens: array) -> None:
        ins, outs = np.frombuffer(in_lens, np.uint32), np.frombuffer(out_lens, np.uint32)
        odd = (ins == 0) | (ins > MAX_INPUT_CHARS) | (outs == 0) | (outs > MAX_OUTPUT_CHARS)
        for i in np.flatnonzero(odd).tolist():
            line, li, lo = lines[i], int(ins[i]), int(outs[i])
            if not li:
                self.out.add("empty-input", Severity.ERROR, "input is empty", "give the prompt this output answers",
                             line, "text_input")
            elif li > MAX_INPUT_CHARS:
                self.out.add("input-too-long", Severity.ERROR, f"input has {li:,} characters; the limit is "
                             f"{MAX_INPUT_CHARS:,}", "shorten the input or split the example", line, "text_input")
            if not lo:
                self.out.add("empty-output", Severity.ERROR, "output is empty",
                             "give the output the model should produce", line, "output")
            elif lo > MAX_OUTPUT_CHARS:
                self.out.add("output-too-long", Severity.ERROR, f"output has {lo:,} characters; the limit is "
                             f"{MAX_OUTPUT_CHARS:,}", "shorten the output or split the example", line, "output")

    def _whitespace(self, lines: Sequence[int], texts: list[str], stripped: list[str], field: str, hint: str) -> None:
        if stripped == texts:  # str.strip returns the string itself when there is nothing to strip
            return
        padded = [line for line, text, bare in zip(lines, texts, stripped, strict=True) if text is not bare and bare]
        room = self.out.room("whitespace")
        message = f"{'input' if field == 'text_input' else 'output'} has leading or trailing whitespace"
        for line in padded[:room]:
            self.out.add("whitespace", Severity.WARNING, message, hint, line, field)
        self.out.tally("whitespace", Severity.WARNING, len(padded) - room)

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


class Checkpoints:
    """Offsets and lines of every `stride`-th record, gathered while the records are checked."""

    def __init__(self, stride: int) -> None:
        self.stride = stride
        self.offsets, self.lines = array("q"), array("q")

    def add(self, first: int, offsets: np.ndarray, lines: Sequence[int]) -> None:
        """Records `first`, `first`+1, ... start at `offsets` on `lines`."""
        skip = -first % self.stride
        self.offsets.frombytes(offsets[skip::self.stride].tobytes())
        kept = lines[skip::self.stride]
        if type(kept) is range:
            self.lines.frombytes(np.arange(kept.start, kept.stop, kept.step, dtype=np.int64).tobytes())
        else:
            self.lines.extend(kept)


@contextmanager
def paused_gc() -> Iterator[None]:
    """The pass makes many short-lived dicts and no reference cycles: no collection meanwhile."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def common_prefix(texts: list[str]) -> str:
    """The longest prefix of all `texts`: that of the first and last in sorted order."""
    first, last = min(texts), max(texts)
    low, high = 0, min(len(first), len(last))
    while low < high:  # first[:low] == last[:low]; halve the rest
        middle = (low + high + 1) // 2
        if first[low:middle] == last[low:middle]:
            low = middle
        else:
            high = middle - 1
    return first[:low]


def _starts(offset: int, ends: np.ndarray, lines: Sequence[int], first_line: int) -> np.ndarray:
    """Byte offsets of the kept lines of a batch that starts at `offset` (`ends`: where each of its lines ends)."""
    starts = np.empty(len(ends), np.int64)
    starts[0] = offset
    starts[1:] = ends[:-1]
    if type(lines) is range:  # no blank line in the batch
        return starts
    return starts[np.asarray(lines, np.int64) - first_line]
