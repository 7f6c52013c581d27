"""The SHA-256 of a whole file, computed on a thread of its own.

Reading and hashing both release the GIL, so the thread runs on another core while the
caller imports, parses and checks. It needs nothing heavier than hashlib, so a command can
start it before it loads the rest of the package.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

CHUNK = 1 << 20


class FileHasher:
    """Starts hashing `path` at once; `result()` waits for the hex digest."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.digest = ""
        self.error: OSError | None = None
        self.hashed = 0  # bytes hashed so far
        self._thread = threading.Thread(target=self._run, name="dataset-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        sha = hashlib.sha256()
        try:
            with open(self.path, "rb", buffering=0) as f:
                buf = bytearray(CHUNK)
                view = memoryview(buf)
                while n := f.readinto(buf):
                    sha.update(view[:n])
                    self.hashed += n
        except OSError as exc:
            self.error = exc
            return
        self.digest = sha.hexdigest()

    def result(self) -> str:
        """The hex digest; raises the OSError that stopped the reading, if any."""
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.digest
