"""Checking a dataset file in one pass: indexing, hashing, parsing and linting together.

`check_file` is what `tunedeck validate` runs. For the JSON-lines formats the lint pass
also records the index checkpoints, so the file is read once rather than indexed first
and checked after; the SHA-256 is computed alongside (`digest.FileHasher`: on a thread,
or in a process of its own, as `tunedeck validate` starts it). On a large file the pass
is shared with a second process: once the preamble and markers are learnt from the first
batch, the rest of the file is cut into parts of a few megabytes on line starts and the
process forks; parent and child each take the next part not yet taken (from a pipe
holding the part numbers) until none is left, so neither waits for the other however
the cores are shared (with the hashing too). The child sends the facts and findings of
each of its parts as soon as it has checked it (the parent reads them between its own),
and the parent appends every part in file order as if one process had read on (line and
record numbers shifted): the report is the one a single pass gives. Other formats (CSV,
TSV, JSON arrays) are indexed, then checked.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from tui.datasets.digest import FileHasher
from tui.datasets.findings import Findings
from tui.datasets.forked import fork_piped
from tui.datasets.index import STRIDE
from tui.datasets.lint import LintReport, lint
from tui.datasets.progress import ProgressCallback, Throttle
from tui.datasets.reader import LINE_JSON, DatasetReader, open_reader
from tui.datasets.scan import READ, Checkpoints, Scan, paused_gc
from tui.datasets.values import DatasetFormat, Task

SPLIT_BYTES = 48 << 20  # smaller files are checked by one process: a second one would not pay for itself
PART_BYTES = 8 << 20  # the file is shared out in parts of this size, taken in turn by whichever process is free
MIN_PART_BYTES = 1 << 20
MIN_PARTS = 32  # a smaller file is cut into this many parts (of at least MIN_PART_BYTES)
MAX_PARTS = 4096  # their numbers fit in the buffer of any pipe: a larger file has larger parts
TAIL_PARTS = 4  # a part is at most this fraction of what is left (down to MIN_PART_BYTES)
PIPE_BYTES = 1 << 20  # the buffer asked for the pipe the child's facts come through (Linux's usual limit)
SEEK_READ = 64 << 10  # bytes read at a time looking for the next line start
SIZE = struct.Struct("<Q")  # the length of a part's pickle, ahead of it in the child's pipe
NUMBER = struct.Struct("<H")  # a part's number, as the pipe of parts to take holds it


def check_file(path: str | Path, format: DatasetFormat | str | None = None, *, input_column: str | None = None,
               output_column: str | None = None, task: Task | str | None = None, target: str = "gemini",
               progress: ProgressCallback | None = None, hasher: FileHasher | None = None,
               processes: int | None = None, split_bytes: int = SPLIT_BYTES) -> tuple[DatasetReader, LintReport]:
    """Index, hash and lint a dataset file; (reader with its complete index, report).

    `hasher` may be a `FileHasher` started earlier on the same file. `processes` is how many
    processes share the pass (default: 2 where the system can fork and has two cores)."""
    path = Path(path)
    reader = open_reader(path, format, input_column, output_column)
    if reader.format not in LINE_JSON:
        reader.build_index(progress)
        return reader, lint(reader, task=task, target=target)
    hasher = hasher or FileHasher(path)
    index = reader.index
    if processes is None:
        processes = 2 if hasattr(os, "fork") and (os.cpu_count() or 1) > 1 else 1
    out = Findings(str(path))
    scan = Scan(reader, out)
    scan.checkpoints = Checkpoints(STRIDE)
    throttle = Throttle(progress, index.size)
    with paused_gc():
        if processes > 1 and index.size >= split_bytes:
            _scan_shared(reader, scan, throttle)
        else:
            scan.scan_lines(reader.line_batches(READ), throttle)
    throttle.finish()
    index.offsets.extend(scan.checkpoints.offsets)
    index.line_numbers.extend(scan.checkpoints.lines)
    try:
        digest = hasher.result()
    except OSError as exc:
        from tui.datasets.errors import DatasetError

        raise DatasetError(path, f"cannot read the file: {exc.strerror or exc}") from None
    index.finish(scan._seen, digest)
    return reader, lint(reader, task=task, target=target, scanned=scan)


def _scan_shared(reader: DatasetReader, scan: Scan, throttle: Throttle) -> None:
    """Check the file in two processes: this one learns the candidates from the first batch, cuts the rest
    into parts on line boundaries and forks; then both take parts in file order until none is left, each
    as soon as it is done with the one before. The parts are appended to `scan` in file order."""
    size = reader.index.size
    scan.scan_lines(reader.line_batches(READ), throttle, until_learnt=True)
    if not scan._learnt or scan.next_offset >= size:  # nothing learnt yet: the parts would not check alike
        scan.scan_lines(reader.line_batches(READ, scan.next_offset, scan.next_line), throttle)
        return
    scan.sort_hashes()
    bounds = _part_bounds(reader.path, scan.next_offset, size)
    claims = _claims(len(bounds) - 1)
    template = scan.part()
    child = _fork(template, reader, bounds, claims)
    inbox = _Inbox(*child) if child is not None else None
    mine = _take_parts(template, reader, bounds, claims, throttle, after=inbox.read if inbox else None)
    os.close(claims)
    theirs = _join(inbox) if inbox is not None else {}
    parts = {**theirs, **mine}
    # a part the child took but did not hand back is checked here
    _append(scan, [parts.get(number) or _check_part(template, reader, bounds, number)
                   for number in range(len(bounds) - 1)])


def _part_bounds(path: Path, begin: int, size: int) -> list[int]:
    """Offsets of line starts that cut the file from `begin` on into parts of about PART_BYTES (fewer
    parts, of at least MIN_PART_BYTES, on a smaller file), smaller towards the end so that the two
    processes finish close together; the last offset is the file's size."""
    part = max(MIN_PART_BYTES, min(PART_BYTES, (size - begin) // MIN_PARTS), -(-(size - begin) // MAX_PARTS))
    bounds = [begin]
    with open(path, "rb", buffering=0) as f:
        while (start := _line_start_after(f, bounds[-1] + max(MIN_PART_BYTES, min(part, (size - bounds[-1])
                                                                                   // TAIL_PARTS)))) < size:
            bounds.append(start)
    bounds.append(size)
    return bounds


def _line_start_after(f: BinaryIO, offset: int) -> int:
    """The offset of the first line of `f` that starts after `offset` (its size if none does), found
    without holding a long line in memory."""
    f.seek(offset)
    while chunk := f.read(SEEK_READ):
        if (newline := chunk.find(b"\n")) >= 0:
            return offset + newline + 1
        offset += len(chunk)
    return offset


def _claims(count: int) -> int:
    """The read end of a pipe holding the numbers 0 .. count-1; each read of NUMBER.size bytes takes the
    next one, in whichever process reads first (reads of a pipe are atomic), until the end of the pipe."""
    read_end, write_end = os.pipe()
    data = b"".join(NUMBER.pack(number) for number in range(count))
    try:
        while data:  # the pipe's buffer (64 KiB) holds every number a file has parts for
            data = data[os.write(write_end, data):]
    finally:
        os.close(write_end)
    return read_end


def _take_parts(template: Scan, reader: DatasetReader, bounds: list[int], claims: int,
                throttle: Throttle | None = None, *, after: Callable[[], None] | None = None,
                send: Callable[[int, Scan], None] | None = None) -> dict[int, Scan]:
    """Check parts taken from `claims` until none is left; {part number: its scan}, or with `send`, each
    handed to it as soon as it is checked. `after` runs after each part."""
    done = {}
    while len(claimed := os.read(claims, NUMBER.size)) == NUMBER.size:
        (number,) = NUMBER.unpack(claimed)
        if throttle is not None:
            throttle(bounds[number])  # the parts before this one are taken (their checking may still go on)
        part = _check_part(template, reader, bounds, number)
        if send is None:
            done[number] = part
        else:
            send(number, part)
        if after is not None:
            after()
    return done


def _check_part(template: Scan, reader: DatasetReader, bounds: list[int], number: int) -> Scan:
    """The scan of part `number`: lines numbered from 1, records from 0, a checkpoint at every record (the
    part cannot tell which of its records fall on a STRIDE)."""
    part = template.part()
    part.checkpoints = Checkpoints(1)
    part.scan_lines(reader.line_batches(READ, bounds[number], 1, end=bounds[number + 1]))
    part.sort_hashes()
    return part


def _append(scan: Scan, parts: list[Scan]) -> None:
    """Append the scans of the parts of the file right after what `scan` has read, in file order: their
    facts and findings, and a checkpoint of the index at every STRIDE-th record of the whole file."""
    assert scan.checkpoints is not None
    offsets, lines = [], []
    seen, shift = scan._seen, scan.next_line - 1
    for part in parts:
        checkpoints = part.checkpoints
        assert checkpoints is not None
        first = -seen % STRIDE
        offsets.append(np.frombuffer(checkpoints.offsets, np.int64)[first::STRIDE].copy())
        lines.append(np.frombuffer(checkpoints.lines, np.int64)[first::STRIDE] + shift)
        part.checkpoints = None  # every record's: no longer needed
        seen += part._seen
        shift += part.next_line - 1
    if parts:
        scan.checkpoints.offsets.frombytes(np.concatenate(offsets).tobytes())
        scan.checkpoints.lines.frombytes(np.concatenate(lines).tobytes())
    scan.absorb(parts)


def _fork(template: Scan, reader: DatasetReader, bounds: list[int], claims: int) -> tuple[int, int] | None:
    """Start a child process that checks parts taken from `claims` and sends each through a pipe as soon
    as it is checked (all at the end where the pipe cannot be made large enough to take one without
    waiting for the parent to read it); (pid, read end of the pipe)."""
    forked = fork_piped(PIPE_BYTES)
    if forked is None:
        return None
    if forked.pid:
        return forked.pid, forked.fd
    write_end, roomy = forked.fd, forked.roomy
    status = 1
    try:  # the child: never returns
        with os.fdopen(write_end, "wb", buffering=0) as pipe:
            def send(number: int, part: Scan) -> None:
                part.reader = None  # type: ignore[assignment]  # the parent has it; a reader does not pickle
                frame = pickle.dumps((number, part), protocol=pickle.HIGHEST_PROTOCOL)
                for piece in (SIZE.pack(len(frame)), frame):
                    view = memoryview(piece)
                    while view:
                        view = view[pipe.write(view) or 0:]

            done = _take_parts(template, reader, bounds, claims, send=send if roomy else None)
            for number, part in done.items():
                send(number, part)
        status = 0
    except BaseException:  # noqa: BLE001 - the forked child reports any failure as its exit status
        status = 1
    finally:
        os._exit(status)  # no clean-up: the parent's files and threads are not the child's to close


class _Inbox:
    """The parts the child sends, read as they come: without waiting while this process has parts of its
    own to check (`read`), to the end of the pipe after (`_join`). Each comes as its length and its pickle."""

    def __init__(self, pid: int, read_end: int) -> None:
        self.pid, self.fd = pid, read_end
        self.data = bytearray()
        self.parts: dict[int, Scan] = {}
        self.open = True
        os.set_blocking(read_end, False)

    def read(self) -> None:
        """Take what the child has sent so far."""
        with contextlib.suppress(BlockingIOError):
            while self.open:
                if chunk := os.read(self.fd, PIPE_BYTES):
                    self.data += chunk
                else:
                    self.open = False
        self._unpack()

    def _unpack(self) -> None:
        start = 0
        while len(self.data) - start >= SIZE.size:
            end = start + SIZE.size + SIZE.unpack_from(self.data, start)[0]
            if len(self.data) < end:
                break
            try:
                number, part = pickle.loads(self.data[start + SIZE.size:end])
            except Exception:  # noqa: BLE001 - a child that sent garbage: its parts are checked here instead
                self.open, self.data = False, bytearray()
                return
            self.parts[number] = part
            start = end
        del self.data[:start]


def _join(inbox: _Inbox) -> dict[int, Scan]:
    """The child's scans by part number: every part it sent whole (a part it did not is checked here)."""
    os.set_blocking(inbox.fd, True)
    inbox.read()
    os.close(inbox.fd)
    os.waitpid(inbox.pid, 0)
    return inbox.parts
