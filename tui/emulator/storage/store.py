"""Cloud Storage objects on disk: buckets as directories, object metadata in SQLite.

Layout under the store's root (`<data dir>/storage/`):

    objects.sqlite3            buckets, objects (one row per live object) and upload sessions
    buckets/<bucket>/<generation>   the bytes of each live object, one file per generation
    uploads/<session key>      bytes of an unfinished resumable upload (the key is the SHA-256 of its upload id)
    tmp/                       bytes of a media or multipart upload being received

Object names may hold any character Cloud Storage allows (`/`, `..`, a trailing `/`), so
data files are named by generation, never by object name. Bytes always stream through an
`ObjectWriter` (size, MD5 and CRC32C computed on the way) and are moved into place only
when complete, so a reader never sees half an object. One `ObjectStore` per server, used
from its event loop; file writes and hashing run in a worker thread.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import AsyncIterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from aiohttp import web

from tui.emulator.storage.writer import ObjectWriter

SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    location TEXT NOT NULL,
    storage_class TEXT NOT NULL,
    time_created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL REFERENCES buckets(name),
    name TEXT NOT NULL,
    generation INTEGER NOT NULL,
    metageneration INTEGER NOT NULL,
    size INTEGER NOT NULL,
    md5 TEXT NOT NULL,
    crc32c TEXT NOT NULL,
    content_type TEXT NOT NULL,
    metadata TEXT NOT NULL,
    time_created TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (bucket, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
    key TEXT PRIMARY KEY,
    bucket TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    metadata TEXT NOT NULL,
    total INTEGER,
    received INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    generation INTEGER
);
"""

DEFAULT_CONTENT_TYPE = "application/octet-stream"
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
MAX_OBJECT_NAME_BYTES = 1024


def rfc3339(moment: datetime) -> str:
    """Cloud Storage's timestamp form: UTC, milliseconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def bucket_name_problem(name: str) -> str | None:
    """Why `name` cannot be a bucket name, or None if it can."""
    if not BUCKET_NAME.match(name) or ".." in name or (len(name) > 63 and "." not in name):
        return (
            f"Invalid bucket name: '{name}'. Bucket names have 3-63 characters (up to 222 with dots): "
            "lowercase letters, digits, '-', '_' and '.', starting and ending with a letter or digit."
        )
    return None


def object_name_problem(name: str) -> str | None:
    """Why `name` cannot be an object name, or None if it can."""
    if not name:
        return "Object name is required."
    if len(name.encode()) > MAX_OBJECT_NAME_BYTES:
        return f"Object name is longer than {MAX_OBJECT_NAME_BYTES} bytes when UTF-8 encoded."
    if name in (".", "..") or any(c in name for c in "\r\n") or name.startswith(".well-known/acme-challenge/"):
        return f"Invalid object name: {name!r}."
    return None


def parse_gs_uri(uri: str) -> tuple[str, str]:
    """`gs://bucket/path/to/object` -> ("bucket", "path/to/object"); ValueError if it is not one."""
    if not uri.startswith("gs://"):
        raise ValueError(f"{uri!r} is not a Cloud Storage URI (gs://BUCKET/OBJECT)")
    bucket, _, name = uri[5:].partition("/")
    if not bucket or not name:
        raise ValueError(f"{uri!r} names no object; expected gs://BUCKET/OBJECT")
    return bucket, name


@dataclass(frozen=True)
class Bucket:
    name: str
    project: str
    location: str
    storage_class: str
    time_created: str
    updated: str


@dataclass(frozen=True)
class StoredObject:
    """One live object. `md5` and `crc32c` are base64 as Cloud Storage writes them."""

    bucket: str
    name: str
    size: int
    md5: str
    crc32c: str
    generation: int
    metageneration: int
    content_type: str
    time_created: str
    updated: str
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return f"gs://{self.bucket}/{self.name}"


class ObjectStore:
    """Buckets and objects under `root` (normally `<data dir>/storage`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for sub in ("buckets", "uploads", "tmp"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        for leftover in (root / "tmp").iterdir():  # media uploads cut off by a previous stop
            leftover.unlink(missing_ok=True)
        self.conn = sqlite3.connect(root / "objects.sqlite3", timeout=10, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.executescript(SCHEMA)
        self._last_generation = 0

    def close(self) -> None:
        self.conn.close()

    # -- buckets ------------------------------------------------------------------------
    def create_bucket(self, name: str, project: str, location: str = "US", storage_class: str = "STANDARD") -> Bucket:
        """A new bucket; ValueError if the name is invalid, FileExistsError if it is taken."""
        problem = bucket_name_problem(name)
        if problem:
            raise ValueError(problem)
        stamp = rfc3339(datetime.now(UTC))
        try:
            with self.conn:
                self.conn.execute(
                    "INSERT INTO buckets (name, project, location, storage_class, time_created, updated) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (name, project, location.upper(), storage_class.upper(), stamp, stamp),
                )
        except sqlite3.IntegrityError:
            raise FileExistsError(name) from None
        (self.root / "buckets" / name).mkdir(exist_ok=True)
        return Bucket(name, project, location.upper(), storage_class.upper(), stamp, stamp)

    def get_bucket(self, name: str) -> Bucket | None:
        row = self.conn.execute("SELECT * FROM buckets WHERE name = ?", (name,)).fetchone()
        return Bucket(**dict(row)) if row else None

    def list_buckets(self, project: str | None = None) -> list[Bucket]:
        if project is None:
            rows = self.conn.execute("SELECT * FROM buckets ORDER BY name")
        else:
            rows = self.conn.execute("SELECT * FROM buckets WHERE project = ? ORDER BY name", (project,))
        return [Bucket(**dict(r)) for r in rows]

    def delete_bucket(self, name: str) -> None:
        """Remove an empty bucket; LookupError if missing, OSError(ENOTEMPTY) if it holds objects."""
        if self.get_bucket(name) is None:
            raise LookupError(name)
        if self.conn.execute("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", (name,)).fetchone():
            raise OSError(39, f"The bucket you tried to delete is not empty: {name}")
        with self.conn:
            self.conn.execute("DELETE FROM buckets WHERE name = ?", (name,))
        directory = self.root / "buckets" / name
        if directory.exists():
            for leftover in directory.iterdir():
                leftover.unlink(missing_ok=True)
            directory.rmdir()

    # -- objects ------------------------------------------------------------------------
    @staticmethod
    def _object(row: sqlite3.Row) -> StoredObject:
        record: dict[str, Any] = dict(row)
        record["metadata"] = orjson.loads(record["metadata"])
        return StoredObject(**record)

    def stat(self, bucket: str, name: str) -> StoredObject | None:
        row = self.conn.execute("SELECT * FROM objects WHERE bucket = ? AND name = ?", (bucket, name)).fetchone()
        return self._object(row) if row else None

    def _data_path(self, bucket: str, generation: int) -> Path:
        return self.root / "buckets" / bucket / str(generation)

    def path(self, bucket: str, name: str) -> Path:
        """The file holding the object's bytes, for streaming reads; LookupError if there is no such object.

        The file stays readable through an open handle even if the object is replaced or deleted meanwhile.
        """
        found = self.stat(bucket, name)
        if found is None:
            raise LookupError(f"No such object: {bucket}/{name}")
        return self._data_path(bucket, found.generation)

    def open(self, bucket: str, name: str) -> tuple[StoredObject, BinaryIO]:
        """The object's metadata and an open binary handle on its bytes (the caller closes it); LookupError if missing.

        Safe against a concurrent replace or delete: the handle keeps reading the generation it opened.
        """
        for _ in range(3):
            found = self.stat(bucket, name)
            if found is None:
                break
            try:
                return found, open(self._data_path(bucket, found.generation), "rb")
            except FileNotFoundError:  # replaced between the lookup and the open: look again
                continue
        raise LookupError(f"No such object: {bucket}/{name}")

    def list(
        self, bucket: str, prefix: str = "", start_after: str | None = None, limit: int | None = None,
        start_at: str | None = None,
    ) -> list[StoredObject]:  # fmt: skip
        """Objects whose name starts with `prefix`, in name order, after `start_after` and from `start_at`,
        at most `limit`."""
        sql = "SELECT * FROM objects WHERE bucket = ? AND name >= ? AND substr(name, 1, ?) = ?"  # >=: use the key
        args: list[Any] = [bucket, prefix, len(prefix), prefix]
        if start_after is not None:
            sql += " AND name > ?"
            args.append(start_after)
        if start_at is not None:
            sql += " AND name >= ?"
            args.append(start_at)
        sql += " ORDER BY name"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [self._object(r) for r in self.conn.execute(sql, args)]

    def delete(self, bucket: str, name: str) -> bool:
        found = self.stat(bucket, name)
        if found is None:
            return False
        with self.conn:
            self.conn.execute("DELETE FROM objects WHERE bucket = ? AND name = ?", (bucket, name))
        self._data_path(bucket, found.generation).unlink(missing_ok=True)
        return True

    def update_metadata(
        self, bucket: str, name: str, content_type: str | None = None, metadata: dict[str, str] | None = None
    ) -> StoredObject | None:
        found = self.stat(bucket, name)
        if found is None:
            return None
        with self.conn:
            self.conn.execute(
                "UPDATE objects SET content_type = ?, metadata = ?, metageneration = metageneration + 1, updated = ? "
                "WHERE bucket = ? AND name = ?",
                (content_type or found.content_type, orjson.dumps(found.metadata if metadata is None else metadata),
                 rfc3339(datetime.now(UTC)), bucket, name),
            )  # fmt: skip
        return self.stat(bucket, name)

    def _next_generation(self) -> int:
        generation = max(time.time_ns() // 1000, self._last_generation + 1)
        self._last_generation = generation
        return generation

    def new_writer(self) -> ObjectWriter:
        """A writer into a fresh temporary file; give it to `commit` when the bytes are in."""
        return ObjectWriter(self.root / "tmp" / f"{os.getpid()}-{self._next_generation()}")

    def commit(
        self, writer: ObjectWriter, bucket: str, name: str, content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> StoredObject:  # fmt: skip
        """Make the writer's bytes the live object `bucket/name` (a new generation; the old one goes)."""
        if self.get_bucket(bucket) is None:
            writer.abort()
            raise LookupError(f"No such bucket: {bucket}")
        writer.flush()
        writer.close()
        generation = self._next_generation()
        target = self._data_path(bucket, generation)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(writer.path, target)
        previous = self.stat(bucket, name)
        stamp = rfc3339(datetime.now(UTC))
        stored = StoredObject(
            bucket=bucket, name=name, size=writer.size, md5=writer.md5, crc32c=writer.crc32c, generation=generation,
            metageneration=1, content_type=content_type or DEFAULT_CONTENT_TYPE, time_created=stamp, updated=stamp,
            metadata=dict(metadata or {}),
        )  # fmt: skip
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO objects (bucket, name, generation, metageneration, size, md5, crc32c, "
                "content_type, metadata, time_created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (bucket, name, generation, 1, stored.size, stored.md5, stored.crc32c, stored.content_type,
                 orjson.dumps(stored.metadata), stamp, stamp),
            )  # fmt: skip
        if previous is not None:
            self._data_path(bucket, previous.generation).unlink(missing_ok=True)
        return stored

    async def put_stream(
        self, bucket: str, name: str, chunks: AsyncIterable[bytes], content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> StoredObject:  # fmt: skip
        """Store an object from an async stream of chunks (never holding more than a chunk)."""
        writer = self.new_writer()
        try:
            async for chunk in chunks:
                await writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        return self.commit(writer, bucket, name, content_type, metadata)

    def put_bytes(self, bucket: str, name: str, data: bytes, content_type: str | None = None) -> StoredObject:
        """Store a small object in one call (tests, fixtures)."""
        writer = self.new_writer()
        writer.write_sync(data)
        return self.commit(writer, bucket, name, content_type)

    def read_bytes(self, bucket: str, name: str) -> bytes:
        """A small object's bytes in one call; LookupError if missing."""
        return self.path(bucket, name).read_bytes()


OBJECT_STORE = web.AppKey("object_store", ObjectStore)
