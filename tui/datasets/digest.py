"""The SHA-256 of a whole file, computed alongside the caller's work.

Reading and hashing both release the GIL, so on a thread of its own the hashing runs on
another core while the caller imports, parses and checks, as long as the caller leaves
the GIL free now and then (the app's loop does). A caller that holds it most of the time
(a pass parsing JSON) would make the thread wait for the GIL after every read, so it can
hash in a forked process instead (`process=True`), which shares nothing with it. It needs
nothing heavier than hashlib, so a command can start it before it loads the rest of the
package.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import mmap
import os
import signal
import threading
from pathlib import Path
from typing import BinaryIO

from tui.datasets.forked import fork_piped

CHUNK = 1 << 20
MAP_CHUNK = 16 << 20


class FileHasher:
    """Starts hashing `path` at once; `result()` waits for the hex digest.

    With `process`, the hashing runs in a forked process where the system can fork; call it
    before any other thread starts (a forked child has only the thread that forked)."""

    def __init__(self, path: str | Path, *, process: bool = False) -> None:
        self.path = Path(path)
        self.digest = ""
        self.error: OSError | None = None
        self.hashed = 0  # bytes hashed so far (on a thread)
        self._child: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None
        if process and hasattr(os, "fork"):
            self._child = self._fork()
        if self._child is None:
            self._thread = threading.Thread(target=self._run, name="dataset-sha256", daemon=True)
            self._thread.start()

    def _hash(self, mapped: bool = False) -> str:
        with open(self.path, "rb", buffering=0) as f:
            if mapped and (digest := _hash_mapped(f)):
                return digest
            sha = hashlib.sha256()
            buf = bytearray(CHUNK)
            view = memoryview(buf)
            while n := f.readinto(buf):
                sha.update(view[:n])
                self.hashed += n
        return sha.hexdigest()

    def _run(self) -> None:
        try:
            self.digest = self._hash()
        except OSError as exc:
            self.error = exc

    def _fork(self) -> tuple[int, int] | None:
        """A child process that writes the digest, or "!errno strerror", to a pipe; (pid, read end)."""
        forked = fork_piped()
        if forked is None:
            return None
        if forked.pid:
            return forked.pid, forked.fd
        write_end = forked.fd
        status = 1
        try:  # the child: never returns
            try:
                answer = self._hash(mapped=True)
            except OSError as exc:
                answer = f"!{exc.errno or 0} {exc.strerror or exc}"
            os.write(write_end, answer.encode())
            status = 0
        finally:
            os._exit(status)  # no clean-up: the parent's files are not the child's to close

    def result(self) -> str:
        """The hex digest; raises the OSError that stopped the reading, if any."""
        if self._child is not None:
            self._receive(*self._child)
            self._child = None
        elif self._thread is not None:
            self._thread.join()
        if self.error is not None:
            raise self.error
        return self.digest

    def close(self) -> None:
        """Stop a hashing process whose digest is no longer wanted (nothing to do once `result()` returned)."""
        if self._child is not None:
            pid, read_end = self._child
            self._child = None
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
            os.close(read_end)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)

    def _receive(self, pid: int, read_end: int) -> None:
        with os.fdopen(read_end, "rb") as pipe:
            answer = pipe.read().decode()
        _, status = os.waitpid(pid, 0)
        if answer.startswith("!"):
            code, _, message = answer[1:].partition(" ")
            self.error = OSError(int(code), message, str(self.path))
        elif status != 0 or not answer:
            self.error = OSError(errno.EIO, "the process hashing the file failed", str(self.path))
        else:
            self.digest = answer


def _hash_mapped(f: BinaryIO) -> str:
    """The digest of the file `f` hashed where it lies in the page cache rather than copied out first, a
    window of MAP_CHUNK bytes mapped at a time; "" if it cannot be mapped (empty, not a regular file). A
    file cut short meanwhile ends the process with SIGBUS: only a process of its own maps it."""
    sha = hashlib.sha256()
    try:
        size = os.fstat(f.fileno()).st_size
        for start in range(0, size, MAP_CHUNK):
            with mmap.mmap(f.fileno(), min(MAP_CHUNK, size - start), offset=start, access=mmap.ACCESS_READ) as pages:
                sha.update(pages)
    except (OSError, ValueError):
        return ""
    if not size:
        return ""
    f.seek(size)
    while chunk := f.read(CHUNK):  # what was appended meanwhile
        sha.update(chunk)
    return sha.hexdigest()
