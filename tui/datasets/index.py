"""Byte-offset index of a dataset file, built in one streaming pass with the file's SHA-256.

Line-based files (JSONL, CSV, TSV) keep the offset and starting line of every STRIDE-th
record only, so memory stays small for files of any size; reading a page seeks to the
nearest checkpoint and splits at most STRIDE-1 records more. A record is a non-blank
physical line, or for CSV/TSV a run of lines joined by an open quote. JSON arrays keep the
start and end of every element (they are scanned with a regular expression over a
memory map, strings skipped at C speed).
"""

from __future__ import annotations

import hashlib
import mmap
import os
import queue
import re
import threading
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tui.datasets.detect import open_checked
from tui.datasets.errors import DatasetError
from tui.datasets.progress import ProgressCallback, Throttle

STRIDE = 32
CHUNK = 1 << 20
BOM = b"\xef\xbb\xbf"
NEWLINE, QUOTE, CR = 10, 34, 13


@dataclass(frozen=True)
class RecordIndex:
    """Where records start in a file; `records` counts every record (a CSV header too)."""

    size: int
    start: int  # first data byte (3 after a UTF-8 BOM)
    records: int
    stride: int
    offsets: array  # byte offset of record k*stride
    line_numbers: array  # 1-based line of record k*stride
    sha256: str
    ends: array | None = None  # JSON arrays: end offset of every record

    def checkpoint(self, record: int) -> tuple[int, int, int]:
        """(record number, byte offset, line) of the checkpoint at or before `record`."""
        k = record // self.stride
        return k * self.stride, self.offsets[k], self.line_numbers[k]


def index_lines(path: Path, *, quote_aware: bool, progress: ProgressCallback | None = None) -> RecordIndex:
    """Index records of a line-based file; `quote_aware` joins lines inside "..." (CSV)."""
    offsets, line_numbers = array("q"), array("q")
    with open_checked(path, buffering=0) as f, _Hasher() as sha:
        size = os.fstat(f.fileno()).st_size
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
                    start = seg_start = 3
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
                records += len(kept_starts)
                seg_start = int(ends_g[-1]) + 1
                seg_line = newlines + int(ranks[-1]) + 2
            newlines += len(nl)
            prev_last = int(arr[n - 1])
            base += n
            throttle(base)
        tail = size - seg_start
        if tail > 1 or (tail == 1 and prev_last != CR):
            if records % STRIDE == 0:
                offsets.append(seg_start)
                line_numbers.append(seg_line)
            records += 1
    throttle.finish()
    return RecordIndex(size, start, records, STRIDE, offsets, line_numbers, sha.digest)


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


def index_json_array(path: Path, *, progress: ProgressCallback | None = None) -> RecordIndex:
    """Index the elements of a top-level JSON array (a truncated last element is kept)."""
    with open_checked(path, buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        throttle = Throttle(progress, size)
        sha = hashlib.sha256()
        while chunk := f.read(CHUNK):
            sha.update(chunk)
        if size == 0:
            throttle.finish()
            return RecordIndex(0, 0, 0, 1, array("q"), array("q"), sha.hexdigest(), array("q"))
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            start = 3 if mm[:3] == BOM else 0
            newline_at = np.flatnonzero(np.frombuffer(mm, np.uint8) == NEWLINE)
            starts, ends = array("q"), array("q")
            depth = tokens = 0
            elem_start = -1
            for match in _JSON_TOKEN.finditer(mm, start):
                token = match.group()
                ch = token[:1]
                if ch == b"[" or ch == b"{":
                    depth += 1
                    if depth == 1:
                        if ch != b"[":
                            raise DatasetError(path, "a JSON file must hold an array of examples", line=1,
                                               hint="wrap the examples in [ ... ], or save one object per line as .jsonl")
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
                tokens += 1
                if not tokens & 0xFFF:
                    throttle(match.start())
            if elem_start >= 0:  # unterminated array: keep what is left as a (broken) element
                _add_element(mm, elem_start, size, starts, ends, allow_empty=True)
            lines = array("q", (np.searchsorted(newline_at, np.asarray(starts, np.int64)) + 1).tolist())
            del newline_at
    throttle.finish()
    return RecordIndex(size, start, len(starts), 1, starts, lines, sha.hexdigest(), ends)


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
