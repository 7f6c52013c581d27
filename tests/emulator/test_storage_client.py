"""The real google-cloud-storage client against the emulator through STORAGE_EMULATOR_HOST."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest


@pytest.fixture
def storage_client(emulator, monkeypatch):
    import google.oauth2.credentials
    from google.cloud import storage  # type: ignore[import-untyped]

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.url)
    credentials = google.oauth2.credentials.Credentials(token=emulator.api_key)
    return storage.Client(project="emu-project", credentials=credentials)


def test_client_uploads_every_way_downloads_lists_and_deletes(storage_client, tmp_path):
    bucket = storage_client.create_bucket("client-bucket")
    assert storage_client.get_bucket("client-bucket").name == "client-bucket"

    small = bucket.blob("data/small.jsonl")
    small.upload_from_string(b'{"contents": []}\n', content_type="application/jsonl")  # multipart
    small.reload()
    assert small.size == 17 and small.content_type == "application/jsonl" and small.generation > 0
    assert small.md5_hash == base64.b64encode(hashlib.md5(b'{"contents": []}\n').digest()).decode()

    unknown_size = bytes(range(256)) * 12_288  # 3 MiB through a file object of unknown size: resumable, chunked
    chunked = bucket.blob("data/chunked.bin", chunk_size=1024 * 1024)
    chunked.upload_from_file(io.BytesIO(unknown_size))
    assert chunked.download_as_bytes(checksum="crc32c") == unknown_size

    big = tmp_path / "big.bin"
    big.write_bytes(hashlib.sha256(b"x").digest() * (9 * 1024 * 1024 // 32 + 5))  # over 8 MiB: resumable
    bucket.blob("data/big.bin").upload_from_filename(str(big))
    out = tmp_path / "back.bin"
    bucket.blob("data/big.bin").download_to_filename(str(out), checksum="md5")
    assert out.read_bytes() == big.read_bytes()
    assert bucket.blob("data/big.bin").download_as_bytes(start=10, end=19) == big.read_bytes()[10:20]

    listed = [b.name for b in storage_client.list_blobs("client-bucket", prefix="data/", max_results=10, page_size=2)]
    assert listed == ["data/big.bin", "data/chunked.bin", "data/small.jsonl"]
    held = bucket.test_iam_permissions(["storage.objects.create", "storage.objects.get"])
    assert held == ["storage.objects.create", "storage.objects.get"]

    small.delete()
    assert not bucket.blob("data/small.jsonl").exists()


def test_client_errors(storage_client, emulator, monkeypatch):
    from google.api_core import exceptions
    from google.cloud import storage  # type: ignore[import-untyped]

    with pytest.raises(exceptions.NotFound):
        storage_client.get_bucket("missing-bucket")
    storage_client.create_bucket("taken-bucket")
    with pytest.raises(exceptions.Conflict):
        storage_client.create_bucket("taken-bucket")
    import google.auth.exceptions
    import google.oauth2.credentials

    # a token the emulator refuses: its 401 makes the client try to refresh a credential that cannot be
    stranger = storage.Client(project="emu-project", credentials=google.oauth2.credentials.Credentials(token="wrong"))
    with pytest.raises(google.auth.exceptions.RefreshError):
        stranger.get_bucket("taken-bucket")
    anonymous = storage.Client.create_anonymous_client()
    with pytest.raises(google.auth.exceptions.InvalidOperation, match="Anonymous credentials cannot be refreshed"):
        anonymous.bucket("taken-bucket").blob("x").upload_from_string(b"x")
