"""Uploads and downloads stream: the server's peak memory does not grow with the object's size."""

from __future__ import annotations

import base64
import hashlib
import http.client
from pathlib import Path
from urllib.parse import urlsplit

from tests.emulator.storage_http import bucket, call

SIZE = 96 * 1024 * 1024
PIECE = hashlib.sha256(b"piece").digest() * 2048  # 64 KiB


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc status")


def pieces(total: int):
    sent = 0
    while sent < total:
        chunk = PIECE[: min(len(PIECE), total - sent)]
        sent += len(chunk)
        yield chunk


def expected_md5(total: int) -> str:
    digest = hashlib.md5()
    for chunk in pieces(total):
        digest.update(chunk)
    return base64.b64encode(digest.digest()).decode()


def test_large_uploads_and_download_do_not_grow_server_memory(emulator):
    bucket(emulator, "big-data")
    before = peak_rss_kib(emulator.pid)
    media = call(emulator.url, "POST", "/upload/storage/v1/b/big-data/o?uploadType=media&name=media.bin",
                 pieces(SIZE), {"Content-Length": str(SIZE)}, token=emulator.api_key)  # fmt: skip
    assert media.status == 200 and media.json()["size"] == str(SIZE)
    assert media.json()["md5Hash"] == expected_md5(SIZE)

    start = call(emulator.url, "POST", "/upload/storage/v1/b/big-data/o?uploadType=resumable&name=resumable.bin", b"",
                 token=emulator.api_key)  # fmt: skip
    location = urlsplit(start.headers["Location"])
    done = call(emulator.url, "PUT", f"{location.path}?{location.query}", pieces(SIZE),
                {"Content-Length": str(SIZE), "Content-Range": f"bytes 0-{SIZE - 1}/{SIZE}"})  # fmt: skip
    assert done.status == 200 and done.json()["md5Hash"] == media.json()["md5Hash"]

    parts = urlsplit(emulator.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.request("GET", "/download/storage/v1/b/big-data/o/resumable.bin",
                 headers={"Authorization": f"Bearer {emulator.api_key}"})  # fmt: skip
    response = conn.getresponse()
    digest, received = hashlib.md5(), 0
    while chunk := response.read(1 << 20):
        digest.update(chunk)
        received += len(chunk)
    conn.close()
    assert received == SIZE and base64.b64encode(digest.digest()).decode() == media.json()["md5Hash"]

    growth_mib = (peak_rss_kib(emulator.pid) - before) / 1024
    assert growth_mib < 24, f"server peak memory grew {growth_mib:.0f} MiB moving {3 * SIZE >> 20} MiB"
