"""Opening a dataset: one indexing pass, then pages of rows parsed on demand.

A reader holds only the index and metadata; every call opens its own file handle, so
one reader can serve several threads at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO

from tui.datasets.detect import check_text, detect_format, read_head, resolve_columns
from tui.datasets.errors import DatasetError
from tui.datasets.index import BOM, RecordIndex, empty_index, index_json_array, index_lines
from tui.datasets.progress import ProgressCallback
from tui.datasets.records import RecordProblem, parse_csv, parse_json, split_csv
from tui.datasets.values import Dataset, DatasetFormat, Example, Finding, Severity

PAGE_READ = 64 * 1024
STREAM_READ = 1 << 20
DELIMITERS = {DatasetFormat.CSV: ",", DatasetFormat.TSV: "\t"}
LINE_JSON = (DatasetFormat.JSONL, DatasetFormat.VERTEX, DatasetFormat.CHAT)  # one JSON record a line
BLANKS = (b"\n", b"\r\n", b"\r")  # blank lines are not records (a lone b"\r" can only end the file)


def non_blank(line: int, lines: list[bytes]) -> tuple[Sequence[int], list[bytes]]:
    """Line numbers and bytes of the records among `lines` from `line` on (a batch of `line_batches`)."""
    if b"\n" in lines or b"\r\n" in lines or lines[-1] == b"\r":
        kept = [i for i, raw in enumerate(lines) if raw not in BLANKS]
        return [line + i for i in kept], [lines[i] for i in kept]
    return range(line, line + len(lines)), lines


def _line_end(f: BinaryIO, position: int, read_size: int) -> int:
    """The offset of the first b"\n" at or after `position`, reading `f` on from there, or the
    offset of the end of the file."""
    while chunk := f.read(read_size):
        found = chunk.find(b"\n")
        if found >= 0:
            return position + found
        position += len(chunk)
    return position


def _up_to(lines: list[bytes], size: int) -> list[bytes]:
    """The first lines of `lines` that together hold `size` bytes (a line boundary)."""
    total = 0
    for i, raw in enumerate(lines):
        if total >= size:
            return lines[:i]
        total += len(raw)
    return lines


@dataclass(frozen=True, slots=True)
class Row:
    """One record as the browser shows it: a valid example, or the error that stops it."""

    index: int
    line: int
    example: Example | None
    error: Finding | None


def open_dataset(path: str | Path, format: DatasetFormat | str | None = None, input_column: str | None = None,
                 output_column: str | None = None, progress: ProgressCallback | None = None) -> DatasetReader:
    """Index a dataset file (one streaming pass) and return a reader for it."""
    reader = open_reader(path, format, input_column, output_column)
    reader.build_index(progress)
    return reader


def open_reader(path: str | Path, format: DatasetFormat | str | None = None, input_column: str | None = None,
                output_column: str | None = None) -> DatasetReader:
    """A reader of a dataset file whose index is not built yet: only the file's head is read (to tell
    its format). Pages from the start can be read at once; build the index with `build_index`, or
    on a thread with `index_in_background`, before relying on `len` or reading far into the file."""
    path = Path(path)
    head = read_head(path)
    check_text(path, head)
    if format is None:
        fmt = detect_format(path, head)
    else:
        try:
            fmt = DatasetFormat(str(format).lower())
        except ValueError:
            names = ", ".join(f.value for f in DatasetFormat)
            raise DatasetError(path, f"unknown format {format!r}", hint=f"use one of: {names}",
                               rule="unknown-format") from None
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DatasetError(path, f"cannot read the file: {exc.strerror or exc}") from None
    index = empty_index(size, len(BOM) if head.startswith(BOM) else 0, json_array=fmt is DatasetFormat.JSON)
    return DatasetReader(path, fmt, index, input_column, output_column)


class DatasetReader:
    """Random access to the records of an indexed dataset file."""

    def __init__(self, path: Path, fmt: DatasetFormat, index: RecordIndex, input_column: str | None = None,
                 output_column: str | None = None) -> None:
        self.path = path
        self.format = fmt
        self.index = index
        self._skip = 0  # records before the data (a CSV header)
        self._indexing: threading.Thread | None = None
        self._index_error: BaseException | None = None
        self._dataset: Dataset | None = None
        self._columns: tuple[str | None, str | None] = (None, None)
        if fmt in DELIMITERS:
            self._skip = 1
            delimiter = DELIMITERS[fmt]
            header = self._header(delimiter)
            if header:
                picked = resolve_columns(path, header, input_column, output_column)
                self._columns = (header[picked[0]], header[picked[1]])
                self._parse: Callable[[bytes, int], tuple[str, str]] = partial(
                    parse_csv, delimiter=delimiter, width=len(header), columns=picked)
            else:
                self._skip = 0
                self._parse = partial(parse_csv, delimiter=delimiter, width=2, columns=(0, 1))
        else:
            self._parse = parse_json

    # ------------------------------------------------------------------ the index
    def build_index(self, progress: ProgressCallback | None = None) -> None:
        """Index the whole file in this thread (one streaming pass with the SHA-256)."""
        if self.format is DatasetFormat.JSON:
            index_json_array(self.path, progress=progress, into=self.index)
        else:
            index_lines(self.path, quote_aware=self.format in DELIMITERS, progress=progress, into=self.index)

    def index_in_background(self, progress: ProgressCallback | None = None) -> None:
        """Build the index on a thread; rows already indexed can be read meanwhile (see `wait_indexed`)."""

        def run() -> None:
            try:
                self.build_index(progress)
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the index
                self._index_error = exc
                self.index.fail()

        self._indexing = threading.Thread(target=run, name=f"index {self.path.name}", daemon=True)
        self._indexing.start()

    def first_rows(self, count: int) -> list[Row]:
        """The first `count` rows, read before the index is built. (A JSON array's elements are found
        by the index: it is started in the background, and the page waits for them.)"""
        if self.index.ends is not None and not self.index.complete and self._indexing is None:
            self.index_in_background()
        return self.page(0, count)

    def wait_indexed(self, timeout: float | None = None) -> bool:
        """Wait until the index is complete (True) or `timeout` passes (False); re-raises what stopped it."""
        if self._indexing is not None:
            self._indexing.join(timeout)
            if self._indexing.is_alive():
                return False
        if self._index_error is not None:
            raise self._index_error
        return self.index.complete

    @property
    def indexing_in_background(self) -> bool:
        """Whether `index_in_background` has started a thread building the index."""
        return self._indexing is not None

    def stop_indexing(self) -> None:
        """Give up building the index (another file was opened instead)."""
        self.index.stop()

    @property
    def complete(self) -> bool:
        """Whether the whole file is indexed (else `len` counts the records indexed so far)."""
        return self.index.complete

    @property
    def dataset(self) -> Dataset:
        """The file's metadata; waits for the index (it carries the SHA-256 and the record count)."""
        if self._dataset is None:
            if not self.index.complete:
                self.wait_indexed()
            self._dataset = Dataset(path=self.path, format=self.format, size_bytes=self.index.size,
                                    examples=len(self), sha256=self.index.sha256, input_column=self._columns[0],
                                    output_column=self._columns[1])
        return self._dataset

    def __len__(self) -> int:
        return max(0, self.index.records - self._skip)

    def __repr__(self) -> str:
        return f"<DatasetReader {self.path} {self.format.value} {len(self)} records>"

    def _header(self, delimiter: str) -> list[str]:
        for line, offset, raw in self._raw_from(0, PAGE_READ):
            try:
                return split_csv(raw, offset, delimiter)
            except RecordProblem as exc:
                raise DatasetError(self.path, f"unreadable header: {exc.message}", line=line, hint=exc.hint) from None
        return []

    # ------------------------------------------------------------------ raw records
    def raw_records(self, start: int = 0, read_size: int = STREAM_READ) -> Iterator[tuple[int, int, bytes]]:
        """(line, byte offset, bytes) of each data record from data record `start` on."""
        return self._raw_from(start + self._skip, read_size)

    def _raw_from(self, record: int, read_size: int) -> Iterator[tuple[int, int, bytes]]:
        index = self.index
        if record >= index.records and index.complete:
            return
        if index.ends is not None:
            yield from self._json_elements(record)
            return
        first, offset, line = index.checkpoint(record)
        records = self._line_records(offset, line, read_size)
        for _ in range(record - first):
            next(records, None)
        yield from records

    def _json_elements(self, record: int) -> Iterator[tuple[int, int, bytes]]:
        index = self.index
        starts, ends, lines = index.offsets, index.ends, index.line_numbers
        assert ends is not None
        with open(self.path, "rb") as f:
            for i in range(record, index.records):
                f.seek(starts[i])
                yield lines[i], starts[i], f.read(ends[i] - starts[i])

    def _line_records(self, offset: int, line: int, read_size: int) -> Iterator[tuple[int, int, bytes]]:
        if self.format not in DELIMITERS:
            for ln, off, part in self._physical_lines(offset, line, read_size):
                if part and part != b"\r":
                    yield ln, off, part
            return
        pending: list[bytes] = []
        start_line = start_offset = parity = 0
        for ln, off, part in self._physical_lines(offset, line, read_size):
            if not pending:
                if not part or part == b"\r":
                    continue
                if not part.count(b'"') & 1:
                    yield ln, off, part.removesuffix(b"\r")
                    continue
                pending, start_line, start_offset, parity = [part], ln, off, 1
            else:
                pending.append(part)
                parity ^= part.count(b'"') & 1
                if not parity:
                    yield start_line, start_offset, b"\n".join(pending).replace(b"\r\n", b"\n").removesuffix(b"\r")
                    pending = []
        if pending:  # an open quote runs to the end of the file
            yield start_line, start_offset, b"\n".join(pending)

    def line_batches(self, read_size: int = STREAM_READ, offset: int | None = None, line: int = 1,
                     end: int | None = None) -> Iterator[tuple[int, int, list[bytes]]]:
        """Physical lines of a line-based file, about `read_size` bytes at a time: (first line, its byte
        offset, lines), from the start or from `offset` (the start of `line`), up to the line starting at
        byte `end` (the end of the file by default). Each line keeps its b"\n" (the last one may lack
        it); see `non_blank`."""
        offset = self.index.start if offset is None else offset
        with open(self.path, "rb", buffering=read_size) as f:
            f.seek(offset)
            # up to `end`, ask for no more than is left (a hint of 0 would mean the whole file)
            while (end is None or offset < end) and (
                    lines := f.readlines(read_size if end is None else min(read_size, end - offset))):
                after = f.tell()
                if end is not None and after >= end:
                    if after > end:
                        lines = _up_to(lines, end - offset)
                    if lines:
                        yield line, offset, lines
                    return
                yield line, offset, lines
                line += len(lines)
                offset = after

    def line_chunks(self, read_size: int = STREAM_READ) -> Iterator[tuple[int, int, list[bytes]]]:
        """Like `line_batches`, with the b"\n" taken off each line."""
        for line, offset, lines in self.line_batches(read_size):
            yield line, offset, [part[:-1] if part[-1:] == b"\n" else part for part in lines]

    def _physical_lines(self, offset: int, line: int, read_size: int) -> Iterator[tuple[int, int, bytes]]:
        """(line, byte offset, bytes without the b"\n") of each physical line from `offset` on.

        Each line is read once, whole: a line that does not end within a read is measured
        first (reading on without keeping what is read), then read in one piece. So a line of
        many megabytes is never held twice (as pieces, then joined), and its reading leaves
        the GIL free to the UI thread but for one copy; the rest of a read that ends mid-line
        is read again with the next line."""
        with open(self.path, "rb") as f:
            f.seek(offset)
            while chunk := f.read(read_size):
                last = chunk.rfind(b"\n")
                if last < 0:  # the line goes on past this read
                    end = _line_end(f, offset + len(chunk), read_size)
                    del chunk
                    f.seek(offset)
                    yield line, offset, f.read(end - offset)
                    line += 1
                    offset = end + 1
                    f.seek(offset)
                    continue
                for part in chunk[:last].split(b"\n"):
                    yield line, offset, part
                    line += 1
                    offset += len(part) + 1
                if last + 1 < len(chunk):
                    f.seek(offset)  # the line cut by the end of this read comes whole with the next read

    # ------------------------------------------------------------------ parsed rows
    def parse(self, raw: bytes, offset: int) -> tuple[str, str]:
        """(input, output) of one raw record; raises RecordProblem."""
        return self._parse(raw, offset)

    def finding(self, problem: RecordProblem, line: int) -> Finding:
        """The record's finding; several problems (input and output) are named in one message."""
        message = "; ".join(each.message for each in problem.each())
        return Finding(rule=problem.rule, severity=Severity.ERROR, message=message, hint=problem.hint,
                       path=str(self.path), line=line, column=problem.column, field=problem.field)

    def rows(self, start: int = 0, read_size: int = STREAM_READ) -> Iterator[Row]:
        """Every record from `start` on, parsed."""
        parse = self._parse
        for i, (line, offset, raw) in enumerate(self.raw_records(start, read_size), start):
            try:
                text_input, output = parse(raw, offset)
            except RecordProblem as problem:
                yield Row(i, line, None, self.finding(problem, line))
            else:
                yield Row(i, line, Example(text_input=text_input, output=output, line=line), None)

    def page(self, start: int, count: int) -> list[Row]:
        """Rows start .. start+count-1 (fewer at the end of the file)."""
        if start < 0 or count <= 0:
            return []
        if self.index.ends is not None and not self.index.complete:  # a JSON array's elements are known once indexed
            self.index.wait_for(start + count)
            if self._index_error is not None:
                raise self._index_error
        out = []
        for row in self.rows(start, PAGE_READ):
            out.append(row)
            if len(out) == count:
                break
        return out

    def iter_examples(self) -> Iterator[Example]:
        """Valid examples in file order, streamed (records with errors are skipped)."""
        for row in self.rows():
            if row.example is not None:
                yield row.example
