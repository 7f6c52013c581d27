"""Bytes on their way into a file, with size, MD5 and CRC32C computed as they pass."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from pathlib import Path
from typing import BinaryIO

import google_crc32c


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


class ObjectWriter:
    """Bytes on their way into a file, with size, MD5 and CRC32C kept up to date.

    `offset` > 0 continues a partly written file (a resumable upload after a restart):
    the first `offset` bytes are read back once to rebuild the digests.
    """

    def __init__(self, path: Path, offset: int = 0) -> None:
        self.path = path
        self.size = 0
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._crc = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO = open(path, "r+b" if offset and path.exists() else "w+b")  # noqa: SIM115
        if offset:
            self._file.seek(0)
            while self.size < offset:
                chunk = self._file.read(min(1 << 20, offset - self.size))
                if not chunk:
                    self._file.close()
                    raise ValueError(f"{path} holds {self.size} bytes, fewer than the {offset} recorded")
                self._digest(chunk)
        self._file.seek(self.size)
        self._file.truncate()

    def _digest(self, chunk: bytes) -> None:
        self._md5.update(chunk)
        self._crc = google_crc32c.extend(self._crc, chunk)
        self.size += len(chunk)

    def write_sync(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self._digest(chunk)

    def write_all(self, chunks: list[bytes]) -> None:
        """Several pieces at once, without joining them (one thread hop for all)."""
        self._file.writelines(chunks)
        for chunk in chunks:
            self._digest(chunk)

    async def write(self, chunk: bytes) -> None:
        if chunk:
            await asyncio.to_thread(self.write_sync, chunk)

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    @property
    def md5(self) -> str:
        return b64(self._md5.digest())

    @property
    def crc32c(self) -> str:
        return b64(self._crc.to_bytes(4, "big"))

    def abort(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
