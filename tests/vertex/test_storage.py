"""Dataset uploads to the emulator's Cloud Storage: resumable chunks, resume after a dropped connection,
checksums, content-addressed names, and the bucket check. Real HTTP against the real emulator."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from pathlib import Path

import pytest

from tests.emulator.storage_http import bucket as make_bucket
from tests.emulator.storage_http import call
from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.polling import PollPolicy
from tui.jobs.vertex.credentials import Authorizer, static_credentials
from tui.jobs.vertex.rest import Rest
from tui.jobs.vertex.storage import CHUNK_UNIT, CloudStorage, object_name

FAST = PollPolicy(backoff_base=0.01, backoff_max=0.05)


def storage_for(url: str, token: str, chunk: int = CHUNK_UNIT) -> CloudStorage:
    rest = Rest(Authorizer(static_credentials(token)), url, where="Cloud Storage", unreachable_hint="start it")
    return CloudStorage(rest, chunk_bytes=chunk, retry=FAST)


def data_file(tmp_path: Path, size: int) -> tuple[Path, str, str]:
    data = os.urandom(size)
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest()


def stored_bytes(emu, name: str) -> bytes:
    reply = call(emu.url, "GET", f"/storage/v1/b/data/o/{name.replace('/', '%2F')}?alt=media", token=emu.api_key)
    assert reply.status == 200, reply.body
    return reply.body


async def test_upload_in_chunks_then_nothing_the_second_time(emulator, tmp_path):
    make_bucket(emulator, "data")
    path, sha, md5 = data_file(tmp_path, 3 * CHUNK_UNIT + 1000)
    storage = storage_for(emulator.url, emulator.api_key)
    progress: list[tuple[int, int]] = []
    try:
        stored = await storage.upload(path, "data", object_name(sha), md5_hex=md5,
                                      progress=lambda *p: progress.append(p))
        assert stored.uploaded and stored.uri == f"gs://data/tunedeck/datasets/{sha}.jsonl"
        assert stored.size == path.stat().st_size
        assert stored.md5 == base64.b64encode(bytes.fromhex(md5)).decode()
        assert stored_bytes(emulator, object_name(sha)) == path.read_bytes()
        done = [d for d, _total in progress]
        assert done == sorted(done) and done[-1] == stored.size and len(done) >= 4  # one report per chunk
        before = storage.rest.requests_sent
        again = await storage.upload(path, "data", object_name(sha), md5_hex=md5)
        assert not again.uploaded and again.md5 == stored.md5
        assert storage.rest.requests_sent - before == 1  # one metadata read, no upload
    finally:
        await storage.rest.close()


async def test_upload_without_a_known_md5_checks_by_the_files_digest(emulator, tmp_path):
    make_bucket(emulator, "data")
    path, _sha, md5 = data_file(tmp_path, 1000)
    storage = storage_for(emulator.url, emulator.api_key)
    try:
        stored = await storage.upload(path, "data", "plain.jsonl")
        assert stored.md5 == base64.b64encode(bytes.fromhex(md5)).decode()
    finally:
        await storage.rest.close()


class DroppingProxy:
    """A loopback TCP proxy to the emulator that cuts the connection once, `after` bytes into the traffic.

    It rewrites the address in headers both ways (Host going up, the session URL coming back), as
    the emulator answers only requests addressed to itself."""

    def __init__(self, target_port: int, after: int) -> None:
        self.target_port = target_port
        self.after = after
        self.sent = 0
        self.dropped = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.address = f"127.0.0.1:{self.server.sockets[0].getsockname()[1]}".encode()
        return f"http://{self.address.decode()}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, count: bool) -> None:
            try:
                target = f"127.0.0.1:{self.target_port}".encode()
                while data := await src.read(65536):
                    data = data.replace(self.address, target) if count else data.replace(target, self.address)
                    if count:
                        self.sent += len(data)
                        if not self.dropped and self.sent > self.after:
                            self.dropped += 1
                            raise ConnectionResetError
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                for w in (writer, up_writer):
                    w.close()

        await asyncio.gather(pump(reader, up_writer, True), pump(up_reader, writer, False))

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def test_upload_resumes_where_the_session_stopped_after_a_dropped_connection(emulator, tmp_path):
    make_bucket(emulator, "data")
    path, sha, md5 = data_file(tmp_path, 8 * CHUNK_UNIT)
    port = int(emulator.url.rsplit(":", 1)[1])
    proxy = DroppingProxy(port, after=5 * CHUNK_UNIT + 1234)  # in the middle of the sixth chunk
    storage = storage_for(await proxy.start(), emulator.api_key, chunk=2 * CHUNK_UNIT)
    progress: list[int] = []
    try:
        stored = await storage.upload(path, "data", object_name(sha), md5_hex=md5,
                                      progress=lambda done, _total: progress.append(done))
    finally:
        await storage.rest.close()
        await proxy.close()
    assert proxy.dropped == 1
    assert stored.uploaded and stored_bytes(emulator, object_name(sha)) == path.read_bytes()
    assert progress == sorted(progress) and progress[-1] == path.stat().st_size
    # Resumed, not restarted: far fewer than twice the file went through the proxy.
    assert proxy.sent < path.stat().st_size + 3 * CHUNK_UNIT


async def test_bucket_check_asks_permissions_without_writing(emulator):
    make_bucket(emulator, "data")
    storage = storage_for(emulator.url, emulator.api_key)
    try:
        access = await storage.check_bucket("data")
        assert access.exists and access.writable
        missing = await storage.check_bucket("no-such-bucket")
        assert not missing.exists and not missing.writable
        listing = call(emulator.url, "GET", "/storage/v1/b/data/o", token=emulator.api_key).json()
        assert not listing.get("items")
    finally:
        await storage.rest.close()


async def test_upload_to_a_missing_bucket_is_not_found_and_a_bad_token_is_refused(emulator, tmp_path):
    path, sha, md5 = data_file(tmp_path, 100)
    storage = storage_for(emulator.url, emulator.api_key)
    refused = storage_for(emulator.url, "not-the-key")
    try:
        with pytest.raises(BackendError) as missing:
            await storage.upload(path, "nowhere", object_name(sha), md5_hex=md5)
        assert missing.value.kind is ErrorKind.NOT_FOUND and missing.value.status == 404
        with pytest.raises(BackendError) as bad:
            await refused.upload(path, "nowhere", object_name(sha), md5_hex=md5)
        assert bad.value.kind is ErrorKind.BAD_KEY and bad.value.status == 401
        assert "not-the-key" not in str(bad.value)
    finally:
        await storage.rest.close()
        await refused.rest.close()
