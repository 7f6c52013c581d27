"""Checking a dataset file in one pass: indexing, hashing, parsing and linting together.

`check_file` is what `tunedeck validate` runs. For the JSON-lines formats the lint pass
also records the index checkpoints, so the file is read once rather than indexed first
and checked after; the SHA-256 is computed alongside on a thread (`digest.FileHasher`,
which releases the GIL). On a large file the pass is shared with a second process:
once the preamble and markers are learnt from the first batch, the process forks, the
child checks the part of the file after a line boundary near the middle and hands back
its facts and findings, and the parent appends them as if it had read on (line and
record numbers shifted). Both orders give the same report. Other formats (CSV, TSV, JSON
arrays) are indexed, then checked.
"""

from __future__ import annotations

import os
import pickle
import warnings
from array import array
from pathlib import Path

from tui.datasets.digest import FileHasher
from tui.datasets.index import STRIDE
from tui.datasets.lint import LintReport, lint
from tui.datasets.progress import ProgressCallback, Throttle
from tui.datasets.reader import LINE_JSON, DatasetReader, open_reader
from tui.datasets.scan import READ, Checkpoints, Findings, Scan, paused_gc
from tui.models import DatasetFormat, Task

SPLIT_BYTES = 48 << 20  # smaller files are checked by one process: a second one would not pay for itself
PARENT_SHARE = 0.47  # the parent also starts the pass and finishes the report: it takes a little less
HASH_SPEED = 4.0  # hashing a byte costs about a quarter of checking it


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
            _scan_shared(reader, scan, throttle, hasher)
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


def _scan_shared(reader: DatasetReader, scan: Scan, throttle: Throttle, hasher: FileHasher) -> None:
    """Check the file in two processes: this one up to a line boundary near PARENT_SHARE of the
    file (less while its thread is still hashing), a forked child from there on; the child's scan
    is appended to `scan`."""
    size = reader.index.size
    batches = reader.line_batches(READ)
    scan.scan_lines(batches, throttle, until_learnt=True)
    share = PARENT_SHARE - (size - hasher.hashed) / (2 * HASH_SPEED * size)
    split = max(scan.next_offset, _line_start_after(reader.path, int(size * share)))
    batches = reader.line_batches(READ, scan.next_offset, scan.next_line, end=split)
    if not scan._learnt or split >= size:  # nothing learnt yet: the parts would not check alike
        scan.scan_lines(batches, throttle)
        scan.scan_lines(reader.line_batches(READ, split, scan.next_line), throttle)
        return
    part = scan.part()
    part.checkpoints = Checkpoints(1)  # the child cannot tell which of its records fall on a STRIDE
    child = _fork(part, reader, split)
    scan.scan_lines(batches, Throttle(_scaled(throttle, split), split))
    theirs = _join(child) if child is not None else None
    if theirs is None:  # no fork, or the child failed: check its part here
        part.scan_lines(reader.line_batches(READ, split, 1))
        theirs = part
    checkpoints = theirs.checkpoints
    assert checkpoints is not None and scan.checkpoints is not None
    first = -scan._seen % STRIDE
    scan.checkpoints.offsets.extend(checkpoints.offsets[first::STRIDE])
    shift = scan.next_line - 1
    scan.checkpoints.lines.extend(array("q", (line + shift for line in checkpoints.lines[first::STRIDE])))
    scan.absorb(theirs)


def _scaled(throttle: Throttle, split: int):
    """Progress of the parent's part, as if its pace held for the whole file."""
    total = throttle.total

    def report(done: int, _total: int) -> None:
        throttle(int(done / split * total) if split else total)

    return report


def _line_start_after(path: Path, offset: int) -> int:
    """The offset of the first line starting after `offset` (the file's size if none does)."""
    with open(path, "rb") as f:
        f.seek(offset)
        f.readline()
        return f.tell()


def _fork(part: Scan, reader: DatasetReader, begin: int) -> tuple[int, int] | None:
    """Start a child process that scans from `begin` to the end into `part`; (pid, read end of its pipe)."""
    read_end, write_end = os.pipe()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the hashing thread never touches the child's state
            pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid:
        os.close(write_end)
        return pid, read_end
    status = 1
    try:  # the child: never returns
        os.close(read_end)
        part.scan_lines(reader.line_batches(READ, begin, 1))
        part.reader = None  # type: ignore[assignment]  # the parent has it; a reader does not pickle
        payload = pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        status = 0
    except BaseException:  # noqa: BLE001 - the forked child reports any failure as its exit status
        status = 1
    finally:
        os._exit(status)  # no clean-up: the parent's files and threads are not the child's to close


def _join(child: tuple[int, int]) -> Scan | None:
    """The child's scan, or None if it failed."""
    pid, read_end = child
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not payload:
        return None
    return pickle.loads(payload)

