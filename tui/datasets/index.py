"""Byte-offset index of a dataset file, built in one streaming pass with the file's SHA-256.

Line-based files (JSONL, CSV, TSV) keep the offset and starting line of every STRIDE-th
record only, so memory stays small for files of any size; reading a page seeks to the
nearest checkpoint and splits at most STRIDE-1 records more. A record is a non-blank
physical line, or for CSV/TSV a run of lines joined by an open quote. JSON arrays keep the
start and end of every element (they are scanned with a regular expression over a
memory map, strings skipped at C speed).

An index grows while it is built: `records` and the checkpoints are published chunk by
chunk (records first written, then counted), so another thread can read the records
already indexed, or walk on from the last checkpoint, before the pass ends. `complete`
turns true, with the SHA-256, when the whole file has been read.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import queue
import re
import threading
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tui.datasets.detect import open_checked
from tui.datasets.digest import FileHasher
from tui.datasets.errors import DatasetError
from tui.datasets.progress import ProgressCallback, Throttle

if TYPE_CHECKING:
    import numpy as np

STRIDE = 32
CHUNK = 1 << 20
BOM = b"\xef\xbb\xbf"
NEWLINE, QUOTE, CR = 10, 34, 13


class IndexingStopped(Exception):
    """The index was asked to stop before the end of the file (another file was opened)."""


@dataclass
class RecordIndex:
    """Where records start in a file; `records` counts every record (a CSV header too).

    While `complete` is false the index is still growing on another thread: `records`
    counts what is indexed so far and `indexed_bytes` says how far into the file that is.
    """

    size: int
    start: int  # first data byte (3 after a UTF-8 BOM)
    records: int
    stride: int
    offsets: array  # byte offset of record k*stride
    line_numbers: array  # 1-based line of record k*stride
    sha256: str
    ends: array | None = None  # JSON arrays: end offset of every record
    complete: bool = True
    indexed_bytes: int = 0
    _grown: threading.Condition = field(default_factory=threading.Condition, repr=False, compare=False)
    _stop: bool = field(default=False, repr=False, compare=False)
    _failed: bool = field(default=False, repr=False, compare=False)

    def checkpoint(self, record: int) -> tuple[int, int, int]:
        """(record number, byte offset, line) of the checkpoint at or before `record`.

        While the index grows, the last checkpoint published so far; before the first,
        the start of the file (record 0 is the first non-blank line from there)."""
        k = record // self.stride
        if k < len(self.line_numbers):
            return k * self.stride, self.offsets[k], self.line_numbers[k]
        if not self.line_numbers:
            return 0, self.start, 1
        k = len(self.line_numbers) - 1
        return k * self.stride, self.offsets[k], self.line_numbers[k]

    @property
    def fraction(self) -> float:
        """How much of the file is indexed, 0..1."""
        return 1.0 if self.complete or not self.size else min(1.0, self.indexed_bytes / self.size)

    def publish(self, records: int, indexed_bytes: int) -> None:
        """Count records written to the arrays (called by the thread building the index)."""
        with self._grown:
            self.records = records
            self.indexed_bytes = indexed_bytes
            self._grown.notify_all()
        if self._stop:
            raise IndexingStopped

    def finish(self, records: int, sha256: str) -> None:
        with self._grown:
            self.records = records
            self.sha256 = sha256
            self.indexed_bytes = self.size
            self.complete = True
            self._grown.notify_all()

    def wait_for(self, records: int, timeout: float | None = None) -> bool:
        """Block until `records` records are indexed or the index is complete; False on timeout."""
        with self._grown:
            return self._grown.wait_for(lambda: self.complete or self._failed or self.records >= records, timeout)

    def fail(self) -> None:
        """The thread building the index gave up (its error goes to whoever waits for it)."""
        with self._grown:
            self._failed = True
            self._grown.notify_all()

    def stop(self) -> None:
        """Ask the thread building the index to give up at its next chunk."""
        self._stop = True


def empty_index(size: int, start: int, *, json_array: bool = False) -> RecordIndex:
    """An index to be filled by `index_lines` or `index_json_array` (nothing indexed yet)."""
    return RecordIndex(size, start, 0, 1 if json_array else STRIDE, array("q"), array("q"), "",
                       array("q") if json_array else None, complete=False)


def index_lines(path: Path, *, quote_aware: bool, progress: ProgressCallback | None = None,
                into: RecordIndex | None = None) -> RecordIndex:
    """Index records of a line-based file; `quote_aware` joins lines inside "..." (CSV).

    With `into` (see `empty_index`) the records are published there chunk by chunk."""
    import numpy as np  # here, not at import: a page can be read before numpy is loaded

    with open_checked(path, buffering=0) as f, _Hasher() as sha:
        size = os.fstat(f.fileno()).st_size
        index = into if into is not None else empty_index(size, 0)
        offsets, line_numbers = index.offsets, index.line_numbers
        throttle = Throttle(progress, size)
        base = start = seg_start = 0
        seg_line = 1
        records = newlines = parity = 0
        prev_last = -1
        first = True
        while buf := f.read(CHUNK):
            sha.update(buf)
            n = len(buf)
            arr = np.frombuffer(buf, np.uint8)
            if first:
                first = False
                if buf[:3] == BOM:
                    start = seg_start = index.start = 3
            nl = np.flatnonzero(arr == NEWLINE)
            if quote_aware:
                quotes = arr == QUOTE
                count = int(np.count_nonzero(quotes))
                if count or parity:
                    open_quote = (np.cumsum(quotes, dtype=np.uint8) & 1) ^ parity
                    ends = nl[open_quote[nl] == 0]
                    ranks = np.searchsorted(nl, ends)
                else:
                    ends, ranks = nl, np.arange(len(nl))
                parity = (parity + count) & 1
            else:
                ends, ranks = nl, np.arange(len(nl))
            if len(ends):
                records = _add_segments(np, arr, base, ends, ranks, seg_start, seg_line, newlines, prev_last,
                                        records, offsets, line_numbers)
                seg_start = int(ends[-1]) + base + 1
                seg_line = newlines + int(ranks[-1]) + 2
            newlines += len(nl)
            prev_last = int(arr[n - 1])
            base += n
            index.publish(records, base)
            throttle(base)
        tail = size - seg_start
        if tail > 1 or (tail == 1 and prev_last != CR):
            if records % STRIDE == 0:
                offsets.append(seg_start)
                line_numbers.append(seg_line)
            records += 1
    index.start = start
    index.finish(records, sha.digest)
    throttle.finish()
    return index


def _add_segments(np, arr: np.ndarray, base: int, ends: np.ndarray, ranks: np.ndarray, seg_start: int, seg_line: int,
                  newlines: int, prev_last: int, records: int, offsets: array, line_numbers: array) -> int:
    """Checkpoints of the records ending at `ends` (chunk positions of their newlines); the new record count."""
    ends_g = ends.astype(np.int64) + base
    starts_g = np.empty_like(ends_g)
    starts_g[0] = seg_start
    starts_g[1:] = ends_g[:-1] + 1
    lens = ends_g - starts_g
    blank = lens == 0
    one = np.flatnonzero(lens == 1)
    if len(one):
        pos = starts_g[one] - base
        first_bytes = np.where(pos >= 0, arr[np.maximum(pos, 0)], prev_last)
        blank[one] = first_bytes == CR
    seg_lines = np.empty(len(ends), np.int64)
    seg_lines[0] = seg_line
    seg_lines[1:] = newlines + ranks[:-1] + 2
    keep = ~blank
    kept_starts, kept_lines = starts_g[keep], seg_lines[keep]
    sel = (records + np.arange(len(kept_starts))) % STRIDE == 0
    offsets.frombytes(kept_starts[sel].tobytes())
    line_numbers.frombytes(kept_lines[sel].tobytes())
    return records + len(kept_starts)


class _Hasher:
    """SHA-256 computed on a second thread (hashlib releases the GIL) while numpy finds newlines."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._thread = threading.Thread(target=self._run, name="dataset-sha256", daemon=True)
        self.digest = ""

    def _run(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            self._sha.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._chunks.put(chunk)

    def __enter__(self) -> _Hasher:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._chunks.put(None)
        self._thread.join()
        self.digest = self._sha.hexdigest()


_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*+"|[\[\]{},]')
_WHITESPACE = b" \t\r\n"
_PUBLISH_TOKENS = 0xFFF  # publish elements and report progress every 4,096 tokens


def index_json_array(path: Path, *, progress: ProgressCallback | None = None,
                     into: RecordIndex | None = None) -> RecordIndex:
    """Index the elements of a top-level JSON array (a truncated last element is kept)."""
    import numpy as np

    with open_checked(path, buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        throttle = Throttle(progress, size)
        hasher = FileHasher(path)
        index = into if into is not None else empty_index(size, 0, json_array=True)
        if size == 0:
            index.finish(0, hasher.result())
            throttle.finish()
            return index
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            index.start = 3 if mm[:3] == BOM else 0
            newline_at = _newlines(np, mm)
            starts, ends = index.offsets, index.ends
            assert ends is not None
            depth = 0
            elem_start = -1
            for tokens, match in enumerate(_JSON_TOKEN.finditer(mm, index.start), 1):
                token = match.group()
                ch = token[:1]
                if ch == b"[" or ch == b"{":
                    depth += 1
                    if depth == 1:
                        if ch != b"[":
                            raise DatasetError(path, "a JSON file must hold an array of examples", line=1, hint=(
                                "wrap the examples in [ ... ], or save one object per line as .jsonl"))
                        elem_start = match.end()
                elif ch == b"]" or ch == b"}":
                    if depth == 1:
                        _add_element(mm, elem_start, match.start(), starts, ends, allow_empty=True)
                        elem_start = -1
                        depth = 0
                        break
                    depth -= 1
                elif ch == b"," and depth == 1:
                    _add_element(mm, elem_start, match.start(), starts, ends, allow_empty=False)
                    elem_start = match.end()
                if not tokens & _PUBLISH_TOKENS:
                    _publish_elements(np, index, newline_at, match.start())
                    throttle(match.start())
            if elem_start >= 0:  # unterminated array: keep what is left as a (broken) element
                _add_element(mm, elem_start, size, starts, ends, allow_empty=True)
            _publish_elements(np, index, newline_at, size)
            del newline_at
    index.finish(len(starts), hasher.result())
    throttle.finish()
    return index


def _newlines(np, mm: mmap.mmap) -> np.ndarray:
    """Offsets of every newline in the file, found a slice at a time."""
    data = np.frombuffer(mm, np.uint8)
    step = 16 * CHUNK
    found = [np.flatnonzero(data[at:at + step] == NEWLINE) + at for at in range(0, len(data), step)]
    return np.concatenate(found) if found else np.zeros(0, np.int64)


def _publish_elements(np, index: RecordIndex, newline_at: np.ndarray, done: int) -> None:
    """Give the elements added since the last call their line numbers, then count them."""
    lines, starts = index.line_numbers, index.offsets
    new = np.asarray(starts[len(lines):], np.int64)
    lines.frombytes((np.searchsorted(newline_at, new) + 1).astype(np.int64).tobytes())
    index.publish(len(lines), done)


def _add_element(mm: mmap.mmap, begin: int, end: int, starts: array, ends: array, *, allow_empty: bool) -> None:
    if begin < 0:
        return
    while begin < end and mm[begin] in _WHITESPACE:
        begin += 1
    while end > begin and mm[end - 1] in _WHITESPACE:
        end -= 1
    if begin == end and allow_empty:
        return
    starts.append(begin)
    ends.append(end)
