"""Resumable upload sessions that survive a restart, and streaming bytes from a request to disk.

A session is a row in the object store's SQLite file plus a part file; the upload id in the
session URL is a capability (as on Cloud Storage, a `PUT` to it needs no Authorization), so
only its SHA-256 is stored. Bytes received are counted after each piece is on disk: a server
stopped or killed mid-chunk answers the next status query with what it really holds.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import orjson
from aiohttp import web

from tui.emulator.storage.store import ObjectStore, StoredObject
from tui.emulator.storage.wire import StorageError
from tui.emulator.storage.writer import ObjectWriter

BUFFER = 1 << 20  # bytes gathered before a write (and hashing) in the worker thread
SESSION_LIFETIME_S = 7 * 24 * 3600  # Cloud Storage forgets a session a week after it starts
_RANGE = re.compile(r"^bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)$")


@dataclass(frozen=True)
class ContentRange:
    """`Content-Range: bytes first-last/total`; first/last None for `bytes */total`, total None for `/*`."""

    first: int | None
    last: int | None
    total: int | None

    @classmethod
    def parse(cls, header: str | None) -> ContentRange | None:
        if header is None:
            return None
        match = _RANGE.match(header.strip())
        if not match:
            raise StorageError(400, f"Invalid Content-Range header {header!r}: expected 'bytes FIRST-LAST/TOTAL', "
                                    "'bytes FIRST-LAST/*', 'bytes */TOTAL' or 'bytes */*'.")  # fmt: skip
        first, last, total = match.groups()
        parsed = cls(int(first) if first else None, int(last) if last else None, None if total == "*" else int(total))
        if parsed.first is not None and parsed.last is not None and parsed.last < parsed.first:
            raise StorageError(400, f"Invalid Content-Range header {header!r}: the last byte comes before the first.")
        return parsed


async def pump(
    chunks: AsyncIterator[bytes], writer: ObjectWriter, skip: int = 0, limit: int | None = None
) -> None:  # fmt: skip
    """Copy a stream into `writer` (dropping its first `skip` bytes), at most ~2 MiB held at a time.

    Bytes gather into ~1 MiB pieces; each is hashed and written in a worker thread while the
    next one arrives. `limit`: the writer may not grow past this many bytes (a 400 if the
    stream brings more).
    """
    pieces: list[bytes] = []
    gathered = 0  # bytes in `pieces`
    accepted = writer.size  # counted here, not from writer.size, which the worker thread moves
    pending: asyncio.Future | None = None
    try:
        async for chunk in chunks:
            if skip:
                dropped = min(skip, len(chunk))
                chunk, skip = chunk[dropped:], skip - dropped
                if not chunk:
                    continue
            if limit is not None and accepted + len(chunk) > limit:
                raise StorageError(400, f"The request carries bytes past byte {limit - 1}, the last it may send.")
            accepted += len(chunk)
            pieces.append(chunk)
            gathered += len(chunk)
            if gathered >= BUFFER:
                if pending is not None:
                    await pending
                batch, pieces, gathered = pieces, [], 0
                pending = asyncio.ensure_future(asyncio.to_thread(writer.write_all, batch))
    finally:
        if pending is not None:
            await asyncio.shield(pending)  # the batch in flight lands before anything else is written
        if pieces:  # what arrived before a cut-off still counts
            writer.write_all(pieces)


@dataclass
class UploadSession:
    key: str
    bucket: str
    name: str
    content_type: str
    metadata: dict[str, str]
    total: int | None
    received: int
    created: float
    generation: int | None


def session_key(upload_id: str) -> str:
    return hashlib.sha256(upload_id.encode()).hexdigest()


class UploadSessions:
    """Resumable uploads in progress, persisted in the object store."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.conn = store.conn
        self._writers: dict[str, ObjectWriter] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.expire()

    def _part(self, key: str):
        return self.store.root / "uploads" / key

    def expire(self) -> None:
        """Forget sessions older than a week (and their part files)."""
        cutoff = time.time() - SESSION_LIFETIME_S
        for (key,) in self.conn.execute("SELECT key FROM uploads WHERE created < ?", (cutoff,)).fetchall():
            self._forget(key)

    def _forget(self, key: str) -> None:
        self._locks.pop(key, None)
        writer = self._writers.pop(key, None)
        if writer is not None:
            writer.close()
        with self.conn:
            self.conn.execute("DELETE FROM uploads WHERE key = ?", (key,))
        self._part(key).unlink(missing_ok=True)

    def start(
        self, bucket: str, name: str, content_type: str, metadata: dict[str, str], total: int | None
    ) -> str:  # fmt: skip
        """A new session; returns the upload id (shown to the client once, stored only as a digest)."""
        upload_id = secrets.token_urlsafe(32)
        key = session_key(upload_id)
        with self.conn:
            self.conn.execute(
                "INSERT INTO uploads (key, bucket, name, content_type, metadata, total, received, created) "
                "VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                (key, bucket, name, content_type, orjson.dumps(metadata), total, time.time()),
            )
        self._part(key).touch()
        return upload_id

    def get(self, upload_id: str) -> UploadSession | None:
        return self.get_by_key(session_key(upload_id))

    def cancel(self, upload_id: str) -> bool:
        session = self.get(upload_id)
        if session is None:
            return False
        self._forget(session.key)
        return True

    def _writer(self, session: UploadSession) -> ObjectWriter:
        writer = self._writers.get(session.key)
        if writer is not None and writer.size == session.received:
            return writer
        if writer is not None:  # out of step with the record (a write cut off mid-way): reopen from disk
            writer.close()
        writer = ObjectWriter(self._part(session.key), offset=session.received)
        self._writers[session.key] = writer
        return writer

    def _record(self, session: UploadSession) -> None:
        with self.conn:
            self.conn.execute("UPDATE uploads SET received = ?, total = ?, generation = ? WHERE key = ?",
                              (session.received, session.total, session.generation, session.key))  # fmt: skip

    async def put(
        self, session: UploadSession, content_range: ContentRange | None, chunks: AsyncIterator[bytes]
    ) -> StoredObject | int:  # fmt: skip
        """Take one `PUT` of a session: the finished object, or the number of bytes now held (a 308)."""
        lock = self._locks.setdefault(session.key, asyncio.Lock())
        async with lock:
            fresh = self.get_by_key(session.key)
            if fresh is None:
                raise StorageError(404, "The upload session does not exist (cancelled or expired).")
            session = fresh
            if session.generation is not None:
                return self._finished(session)
            total = content_range.total if content_range else None
            if total is not None and session.total is not None and total != session.total:
                raise StorageError(400, f"Content-Range total {total} differs from the {session.total} bytes "
                                        "announced for this upload.")  # fmt: skip
            if total is not None:
                session.total = total
            if content_range is None or content_range.first is not None:
                first = content_range.first if content_range and content_range.first is not None else 0
                if first > session.received:
                    raise StorageError(400, f"Invalid request: the chunk starts at byte {first} but only "
                                            f"{session.received} bytes are persisted; resume from byte "
                                            f"{session.received} (ask with 'Content-Range: bytes */*').",
                                       reason="badRequest")  # fmt: skip
                writer = self._writer(session)
                end = content_range.last + 1 if content_range and content_range.last is not None else None
                limit = min((n for n in (session.total, end) if n is not None), default=None)
                try:
                    await pump(chunks, writer, skip=session.received - first, limit=limit)
                finally:
                    writer.flush()
                    session.received = writer.size
                    self._record(session)
                if content_range is None and session.total is None:  # one PUT with the whole body
                    session.total = session.received
            if session.total is not None and session.received == session.total:
                return self._finish(session)
            return session.received

    def get_by_key(self, key: str) -> UploadSession | None:
        row = self.conn.execute("SELECT * FROM uploads WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        record = dict(row)
        record["metadata"] = orjson.loads(record["metadata"])
        return UploadSession(**record)

    def _finish(self, session: UploadSession) -> StoredObject:
        writer = self._writers.pop(session.key, None) or ObjectWriter(self._part(session.key), session.received)
        try:
            stored = self.store.commit(writer, session.bucket, session.name, session.content_type, session.metadata)
        except LookupError:
            self._forget(session.key)
            raise StorageError(404, "The specified bucket does not exist.") from None
        session.generation = stored.generation
        self._record(session)
        return stored

    def _finished(self, session: UploadSession) -> StoredObject:
        stored = self.store.stat(session.bucket, session.name)
        if stored is None or stored.generation != session.generation:
            raise StorageError(410, "The upload finished, but its object has since been replaced or deleted.",
                               reason="gone")  # fmt: skip
        return stored

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()


UPLOAD_SESSIONS = web.AppKey("upload_sessions", UploadSessions)
