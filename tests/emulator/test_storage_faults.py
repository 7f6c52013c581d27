"""The server's fault switch reaches the Cloud Storage and Vertex AI routes (after auth), and a
resumable upload hit by faults still ends with the right bytes when the client resumes from the
status the session reports."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlsplit

from tests.emulator.storage_http import bucket, call

VERTEX_PATH = "/v1/projects/p/locations/us-central1/noSuchCollection"


def test_faults_are_answered_in_each_api_shape_after_auth(emulator_factory):
    emu = emulator_factory(fault_rate=1.0, fault_codes="503")
    storage = call(emu.url, "GET", "/storage/v1/b?project=p", token=emu.api_key)
    assert storage.status == 503 and storage.json()["error"]["errors"][0]["reason"] == "backendError"
    vertex = call(emu.url, "GET", VERTEX_PATH, token=emu.api_key)
    assert vertex.status == 503 and vertex.json()["error"]["status"] == "UNAVAILABLE"
    assert call(emu.url, "GET", "/storage/v1/b?project=p").status == 401  # auth comes first
    assert call(emu.url, "GET", VERTEX_PATH).status == 401
    emu.configure(fault_codes=[429])
    limited = call(emu.url, "GET", "/storage/v1/b?project=p", token=emu.api_key)
    assert limited.status == 429 and limited.headers["Retry-After"] == "1"


def test_resumable_upload_survives_injected_faults(emulator):
    bucket(emulator, "faulty")
    reply = call(emulator.url, "POST", "/upload/storage/v1/b/faulty/o?uploadType=resumable&name=f.bin", b"",
                 token=emulator.api_key)  # fmt: skip
    location = urlsplit(reply.headers["Location"])
    session = f"{location.path}?{location.query}"
    data = hashlib.sha256(b"f").digest() * (40 * 1024)  # 1.25 MiB: five 256 KiB chunks
    total, chunk = len(data), 256 * 1024
    emulator.configure(fault_rate=0.5, fault_codes=[503], fault_seed=11)
    held, faults, finished = 0, 0, None
    for _ in range(200):
        last = min(held + chunk, total) - 1
        piece = {"Content-Range": f"bytes {held}-{last}/{total}"}
        answer = call(emulator.url, "PUT", session, data[held : last + 1], piece)
        if answer.status == 200:
            finished = answer.json()
            break
        if answer.status == 308:
            held = int(answer.headers["Range"].rsplit("-", 1)[1]) + 1
            continue
        assert answer.status == 503
        faults += 1
        status = call(emulator.url, "PUT", session, b"", {"Content-Range": f"bytes */{total}"})
        if status.status == 308:
            held = int(status.headers["Range"].rsplit("-", 1)[1]) + 1 if "Range" in status.headers else 0
    emulator.configure(fault_rate=0)
    assert finished is not None and faults > 0
    assert finished["md5Hash"] == base64.b64encode(hashlib.md5(data).digest()).decode()
    assert call(emulator.url, "GET", "/storage/v1/b/faulty/o/f.bin?alt=media", token=emulator.api_key).body == data
