"""Indexing and linting a dataset in a forked process, for a caller that must keep its GIL.

An app drawing its screen cannot share its interpreter with a pass over a large file:
whenever the pass holds the GIL, drawing (and the thread that writes frames to the
terminal) waits. Here the pass runs in a child forked from the caller (it inherits the
reader as it is, nothing is re-imported or re-opened); the index's new checkpoints, the
progress and the lint report come back over a pipe, read by the caller's thread with the
GIL released. Where there is no fork, or the child fails, the work is done in the caller's
thread instead, with the same results.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from tui.datasets.errors import DatasetError
from tui.datasets.forked import fork_piped
from tui.datasets.index import IndexingStopped, empty_index
from tui.datasets.progress import ProgressCallback, Throttle

if TYPE_CHECKING:
    from tui.datasets.lint import LintReport
    from tui.datasets.reader import DatasetReader
    from tui.datasets.values import Task

FORK = hasattr(os, "fork")
# The index child sends its first chunk within moments of starting; a child silent this long is
# stuck (see ChildSilent) and the index is built in the caller instead.
FIRST_WORD_S = 10.0


class Cancelled(Exception):
    """The caller no longer wants the result (the child has been stopped)."""


def index_apart(reader: DatasetReader, progress: ProgressCallback | None = None,
                cancelled: Callable[[], bool] | None = None) -> None:
    """Build `reader`'s index in a child process, publishing it into `reader.index` as it grows.

    Raises what the indexing raised (DatasetError), IndexingStopped if `reader.stop_indexing()` was
    called, Cancelled if `cancelled()` turned true."""
    if reader.indexing_in_background:  # a JSON array's first page started it
        reader.wait_indexed()
        return
    if reader.index.complete:
        return
    if not FORK:
        reader.build_index(progress)
        return
    index = reader.index
    child = _fork(lambda send: _index_child(reader, send))
    if child is None:
        reader.build_index(progress)
        return
    throttle = Throttle(progress, index.size)
    ends = index.ends
    messages = child.messages(cancelled, lambda: index._stop, first_within=FIRST_WORD_S)
    with suppress(ChildSilent):  # stuck before its first chunk (and stopped): the index is built below
        for message in messages:
            kind = message[0]
            if kind == "grown":
                _, records, done, offsets, lines, new_ends = message
                index.offsets.frombytes(offsets)
                index.line_numbers.frombytes(lines)
                if ends is not None:
                    ends.frombytes(new_ends)
                try:
                    index.publish(records, done)
                except IndexingStopped:
                    child.stop()
                    raise
                throttle(done)
            elif kind == "done":
                _, records, start, sha256 = message
                index.start = start
                index.finish(records, sha256)
                throttle.finish()
                return
            elif kind == "error":
                _, path, text, line, hint, rule = message
                raise DatasetError(path, text, line=line, hint=hint, rule=rule)
    reader.build_index(progress)  # the child died or stayed silent: do it here


def lint_apart(reader: DatasetReader, task: Task | str | None = None, target: str = "gemini",
               progress: ProgressCallback | None = None, cancelled: Callable[[], bool] | None = None
               ) -> LintReport:
    """`lint(reader)` in a child process (`reader`'s index must be complete). Raises Cancelled if
    `cancelled()` turns true meanwhile."""
    from tui.datasets.lint import lint

    child = _fork(lambda send: send(lint(reader, task=task, target=target, progress=lambda *done: send(done))))
    if child is None:
        return lint(reader, task=task, target=target, progress=progress)
    for message in child.messages(cancelled):
        if isinstance(message, tuple):
            if progress is not None:
                progress(*message)
        else:
            return message
    return lint(reader, task=task, target=target, progress=progress)


def _index_child(reader: DatasetReader, send: Callable[[object], None]) -> None:
    """In the child: index into a private copy of the index, sending what each chunk adds."""
    mine = empty_index(reader.index.size, reader.index.start, json_array=reader.index.ends is not None)
    sent = [0, 0]  # checkpoints and ends already sent

    def publish(records: int, indexed_bytes: int) -> None:
        checkpoints, ends = len(mine.line_numbers), len(mine.ends) if mine.ends is not None else 0
        send(("grown", records, indexed_bytes, mine.offsets[sent[0]:checkpoints].tobytes(),
              mine.line_numbers[sent[0]:checkpoints].tobytes(),
              mine.ends[sent[1]:ends].tobytes() if mine.ends is not None else b""))
        sent[:] = checkpoints, ends

    def finish(records: int, sha256: str) -> None:
        publish(records, mine.size)
        send(("done", records, mine.start, sha256))

    mine.publish = publish  # type: ignore[method-assign]
    mine.finish = finish  # type: ignore[method-assign]
    reader.index = mine
    try:
        reader.build_index()
    except DatasetError as exc:
        send(("error", exc.path, exc.message, exc.line, exc.hint, exc.rule))


class ChildSilent(Exception):
    """A forked child said nothing in time: it is stopped, and its work is done in the caller.

    A child forked while another thread of the caller held a lock (an import under way, a
    stream being written) can wait on that lock forever; its first word is due at once."""


class _Child:
    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd = pid, fd

    def messages(self, cancelled: Callable[[], bool] | None = None,
                 stopped: Callable[[], bool] | None = None, first_within: float | None = None) -> Iterator[Any]:
        """What the child sends, until it exits; stops it (raising Cancelled) if `cancelled()` turns true,
        or (raising ChildSilent) if it sends nothing in its first `first_within` seconds. The child is
        reaped whatever happens."""
        try:
            yield from _receive(self.fd, cancelled, stopped, first_within)
        except BaseException:
            self.stop()
            raise
        finally:
            self.close()

    def stop(self) -> None:
        with suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
            os.waitpid(self.pid, 0)


def _fork(work: Callable[[Callable[[object], None]], None]) -> _Child | None:
    """Run `work(send)` in a forked child; None if the system cannot fork now."""
    forked = fork_piped()
    if forked is None:
        return None
    if forked.pid:
        return _Child(forked.pid, forked.fd)
    write_end = forked.fd
    status = 1
    try:
        work(lambda message: _send(write_end, message))
        status = 0
    finally:
        os._exit(status)  # no clean-up: the caller's files, threads and terminal are not the child's


def _send(fd: int, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(len(data).to_bytes(8, "little") + data)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd: int, cancelled: Callable[[], bool] | None, stopped: Callable[[], bool] | None = None,
             first_within: float | None = None) -> Iterator[Any]:
    """Messages from `_send` until the pipe closes, checking `cancelled` while it waits; ChildSilent
    when nothing comes in the first `first_within` seconds."""
    buffer = bytearray()
    deadline = time.monotonic() + first_within if first_within is not None else None
    while True:
        if cancelled is not None or stopped is not None or deadline is not None:
            while not select.select([fd], [], [], 0.1)[0]:
                if cancelled is not None and cancelled():
                    raise Cancelled
                if stopped is not None and stopped():
                    raise IndexingStopped
                if deadline is not None and time.monotonic() > deadline:
                    raise ChildSilent
        deadline = None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return
        buffer += chunk
        while len(buffer) >= 8 and len(buffer) >= 8 + (size := int.from_bytes(buffer[:8], "little")):
            yield pickle.loads(buffer[8:8 + size])
            del buffer[:8 + size]

