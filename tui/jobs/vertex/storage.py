"""Uploading a dataset to Cloud Storage: resumable, chunked, retried, verified, content-addressed.

The JSON API by hand (reference: vertex-tuning-api.md §3.3), over the backend's aiohttp
session and credentials:
- the object is named by the SHA-256 of its bytes (`tunedeck/datasets/<sha256>.jsonl`), and
  `upload` asks for it first: relaunching with the same data uploads nothing;
- a resumable session (`POST /upload/storage/v1/b/B/o?uploadType=resumable` → `Location`)
  takes the file in chunks (`PUT` with `Content-Range: bytes a-b/total`; 308 + `Range` in
  between, 200/201 with the object at the end);
- after a failure (dropped connection, 5xx, 429) the session is asked how much it holds
  (`Content-Range: bytes */total`) and the upload resumes from there, with backoff; an
  expired session (404/410) starts a new one;
- the finished object's MD5 (or CRC32C, for objects without one) must match the file's.
Progress: `progress(0, total)` when sending starts, then the bytes the session holds after each
chunk; an object already there reports only `(total, total)`, so a caller can tell "nothing sent".
`check_bucket` asks `buckets.testIamPermissions` (`GET …/b/B/iam/testPermissions`), which writes nothing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import orjson

from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.polling import PollPolicy
from tui.jobs.vertex.rest import Rest

GCS_URL = "https://storage.googleapis.com"
CHUNK_BYTES = 8 * 1024 * 1024  # a multiple of 256 KiB, as the protocol requires of every chunk but the last
CHUNK_UNIT = 256 * 1024
MAX_FAILURES = 6  # consecutive failures of one chunk before giving up
OBJECT_PREFIX = "tunedeck/datasets/"
CONTENT_TYPE = "application/jsonl"
NEEDED_PERMISSIONS = ("storage.objects.create", "storage.objects.get")
UPLOAD_TIMEOUT_S = 300.0
RETRY = PollPolicy(backoff_base=1.0, backoff_max=30.0)
Progress = Callable[[int, int], None]


def storage_base_url(env: Mapping[str, str], emulator_url: str | None = None) -> str:
    """Storage's base URL: STORAGE_EMULATOR_HOST (read as google-cloud-storage does), an emulator's, or Google's."""
    host = env.get("STORAGE_EMULATOR_HOST", "").strip()
    if host:
        return (host if "://" in host else f"http://{host}").rstrip("/")
    return (emulator_url or GCS_URL).rstrip("/")


def object_name(sha256: str) -> str:
    """The object a dataset with this content hash is stored as."""
    return f"{OBJECT_PREFIX}{sha256}.jsonl"


def gs_uri(bucket: str, name: str) -> str:
    return f"gs://{bucket}/{name}"


@dataclass(frozen=True)
class StoredObject:
    """What Cloud Storage says about one object."""

    bucket: str
    name: str
    size: int
    md5: str | None  # base64, as the API gives it
    crc32c: str | None  # base64 of the big-endian CRC32C
    generation: str | None = None
    uploaded: bool = False  # False when the object was already there

    @property
    def uri(self) -> str:
        return gs_uri(self.bucket, self.name)

    @classmethod
    def from_api(cls, body: Mapping, uploaded: bool = False) -> StoredObject:
        return cls(bucket=str(body.get("bucket", "")), name=str(body.get("name", "")), size=int(body.get("size") or 0),
                   md5=body.get("md5Hash"), crc32c=body.get("crc32c"), generation=body.get("generation"),
                   uploaded=uploaded)


@dataclass(frozen=True)
class BucketAccess:
    """The answer of `check_bucket`."""

    bucket: str
    exists: bool
    granted: frozenset[str] = frozenset()

    @property
    def writable(self) -> bool:
        return self.exists and set(NEEDED_PERMISSIONS) <= self.granted


def md5_base64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def file_digests(path: Path) -> tuple[str, str]:
    """(MD5, CRC32C) of a file, both base64 as Cloud Storage writes them. Blocking."""
    import google_crc32c

    md5, crc = hashlib.md5(usedforsecurity=False), google_crc32c.Checksum()
    with open(path, "rb") as f:
        while block := f.read(CHUNK_BYTES):
            md5.update(block)
            crc.update(block)
    return base64.b64encode(md5.digest()).decode(), base64.b64encode(crc.digest()).decode()


def _read(path: Path, offset: int, size: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(size)


def _committed(headers: Mapping[str, str]) -> int:
    """Bytes the session holds, from a 308's `Range: bytes=0-N` (none when the header is absent)."""
    value = headers.get("Range") or headers.get("range") or ""
    try:
        return int(value.rsplit("-", 1)[1]) + 1 if value else 0
    except (IndexError, ValueError):
        return 0


class CloudStorage:
    """Cloud Storage calls over a `Rest` client whose base URL is the storage host."""

    def __init__(self, rest: Rest, chunk_bytes: int = CHUNK_BYTES, retry: PollPolicy = RETRY) -> None:
        if chunk_bytes % CHUNK_UNIT:
            raise ValueError(f"chunk size {chunk_bytes} is not a multiple of {CHUNK_UNIT}")
        self.rest = rest
        self.chunk_bytes = chunk_bytes
        self.retry = retry

    def _object_path(self, bucket: str, name: str) -> str:
        return f"storage/v1/b/{quote(bucket, safe='')}/o/{quote(name, safe='')}"

    async def stat(self, bucket: str, name: str) -> StoredObject | None:
        """The object's metadata, or None when there is no such object."""
        try:
            return StoredObject.from_api(await self.rest.call("GET", self._object_path(bucket, name)))
        except BackendError as exc:
            if exc.kind is ErrorKind.NOT_FOUND:
                return None
            raise

    async def delete(self, bucket: str, name: str) -> None:
        await self.rest.request("DELETE", self._object_path(bucket, name), ok=(200, 204))

    async def check_bucket(self, bucket: str) -> BucketAccess:
        """Whether the bucket exists and these credentials may write to it (asks testIamPermissions; writes nothing)."""
        query = [("permissions", p) for p in NEEDED_PERMISSIONS]
        try:
            body = await self.rest.call("GET", f"storage/v1/b/{quote(bucket, safe='')}/iam/testPermissions",
                                        query=query)
        except BackendError as exc:
            if exc.kind is ErrorKind.NOT_FOUND:
                return BucketAccess(bucket, exists=False)
            raise
        return BucketAccess(bucket, exists=True, granted=frozenset(body.get("permissions") or ()))

    async def create_bucket(self, bucket: str, project: str, location: str = "US") -> None:
        """Create a bucket (tunedeck does this only on the local emulator; on Google the user makes theirs)."""
        await self.rest.request("POST", "storage/v1/b", query={"project": project},
                                json={"name": bucket, "location": location}, ok=(200, 409))

    async def upload(self, path: str | Path, bucket: str, name: str, *, md5_hex: str | None = None,
                     progress: Progress | None = None, content_type: str = CONTENT_TYPE) -> StoredObject:
        """Upload `path` as gs://bucket/name unless an identical object is there; verified by MD5 or CRC32C."""
        path = Path(path)
        total = path.stat().st_size
        if md5_hex is not None:
            expected_md5, expected_crc = md5_base64(md5_hex), None
        else:
            expected_md5, expected_crc = await asyncio.to_thread(file_digests, path)
        existing = await self.stat(bucket, name)
        if existing is not None and existing.size == total:
            if existing.md5 is None and existing.crc32c is not None and expected_crc is None:
                _md5, expected_crc = await asyncio.to_thread(file_digests, path)
            if existing.md5 == expected_md5 or (existing.md5 is None and existing.crc32c == expected_crc):
                if progress is not None:
                    progress(total, total)
                return existing
        body = await self._send(path, total, bucket, name, content_type, progress)
        stored = StoredObject.from_api(body, uploaded=True)
        await self._verify(path, stored, expected_md5, expected_crc)
        return stored

    async def _start(self, bucket: str, name: str, total: int, content_type: str) -> str:
        _status, headers, _body = await self.rest.request(
            "POST", f"upload/storage/v1/b/{quote(bucket, safe='')}/o", query={"uploadType": "resumable", "name": name},
            json={"name": name, "contentType": content_type},
            headers={"X-Upload-Content-Type": content_type, "X-Upload-Content-Length": str(total)})
        location = headers.get("Location") or headers.get("location")
        if not location:
            raise BackendError(ErrorKind.SERVER, f"{self.rest.where} opened no upload session (no Location header)",
                               "retry the launch")
        return location

    async def _status(self, session: str, total: int) -> tuple[int, dict | None]:
        """(bytes the session holds, the object if the upload is already complete)."""
        status, headers, body = await self.rest.request("PUT", session, data=b"",
                                                        headers={"Content-Range": f"bytes */{total}"},
                                                        ok=(200, 201, 308))
        if status in (200, 201):
            return total, orjson.loads(body)
        return _committed(headers), None

    async def _send(self, path: Path, total: int, bucket: str, name: str, content_type: str,
                    progress: Progress | None) -> dict:
        session = await self._start(bucket, name, total, content_type)
        offset, failures = 0, 0
        if progress is not None:  # sending starts: a report that does not advance (an object already there has none)
            progress(0, total)
        while True:
            try:
                if failures:
                    offset, done = await self._status(session, total)
                    if done is not None:
                        return done
                chunk = await asyncio.to_thread(_read, path, offset, self.chunk_bytes)
                span = f"bytes {offset}-{offset + len(chunk) - 1}/{total}" if chunk else f"bytes */{total}"
                status, headers, body = await self.rest.request(
                    "PUT", session, data=chunk, headers={"Content-Range": span}, ok=(200, 201, 308),
                    timeout=UPLOAD_TIMEOUT_S)
            except BackendError as exc:
                if exc.status in (404, 410):  # the session expired: start again from the first byte
                    session, offset, failures = await self._start(bucket, name, total, content_type), 0, 0
                    continue
                failures += 1
                if not exc.retryable or failures >= MAX_FAILURES:
                    raise
                await asyncio.sleep(self.retry.backoff(failures, exc.retry_after))
                continue
            if status in (200, 201):
                if progress is not None:
                    progress(total, total)
                return orjson.loads(body)
            held = _committed(headers)
            if held <= offset:  # a 308 that kept nothing of the chunk: a failure like any other
                failures += 1
                if failures >= MAX_FAILURES:
                    raise BackendError(ErrorKind.SERVER, f"{self.rest.where} keeps refusing bytes from {offset} of "
                                       f"{path.name}", "retry the launch later")
                await asyncio.sleep(self.retry.backoff(failures))
                continue
            offset, failures = held, 0
            if progress is not None:
                progress(offset, total)

    async def _verify(self, path: Path, stored: StoredObject, md5: str, crc32c: str | None) -> None:
        if stored.md5 is not None:
            matches = stored.md5 == md5
        elif stored.crc32c is not None:
            if crc32c is None:
                _md5, crc32c = await asyncio.to_thread(file_digests, path)
            matches = stored.crc32c == crc32c
        else:
            raise BackendError(ErrorKind.SERVER, f"{stored.uri} has neither an MD5 nor a CRC32C to check it by",
                               "check the storage server")
        if not matches:
            await self.delete(stored.bucket, stored.name)
            raise BackendError(ErrorKind.SERVER, f"{stored.uri} arrived corrupted (its checksum differs from "
                               f"{path.name}'s); it was deleted", "launch again to upload it anew")
