"""The object store on its own: bytes on disk, digests, generations, listing, restart."""

from __future__ import annotations

import asyncio
import base64
import hashlib

import google_crc32c
import pytest

from tui.emulator.storage.store import ObjectStore, parse_gs_uri
from tui.emulator.storage.writer import ObjectWriter


def digests(data: bytes) -> tuple[str, str]:
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    crc = base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()
    return md5, crc


def test_put_stat_path_and_digests(tmp_path):
    store = ObjectStore(tmp_path / "storage")
    store.create_bucket("data-bucket", "p1")
    data = b'{"contents": []}\n' * 1000
    stored = store.put_bytes("data-bucket", "dir/train.jsonl", data, "application/jsonl")
    md5, crc = digests(data)
    assert (stored.size, stored.md5, stored.crc32c) == (len(data), md5, crc)
    assert stored.uri == "gs://data-bucket/dir/train.jsonl"
    assert store.stat("data-bucket", "dir/train.jsonl") == stored
    assert store.path("data-bucket", "dir/train.jsonl").read_bytes() == data
    assert store.stat("data-bucket", "missing") is None
    with pytest.raises(LookupError):
        store.path("data-bucket", "missing")


def test_replace_makes_a_new_generation_and_drops_the_old_bytes(tmp_path):
    store = ObjectStore(tmp_path / "storage")
    store.create_bucket("b-1", "p")
    first = store.put_bytes("b-1", "x", b"one")
    old_path = store.path("b-1", "x")
    _, handle = store.open("b-1", "x")
    second = store.put_bytes("b-1", "x", b"two!")
    assert second.generation > first.generation
    assert not old_path.exists()
    assert handle.read() == b"one"  # a reader that opened the old generation keeps reading it
    handle.close()
    assert store.read_bytes("b-1", "x") == b"two!"


def test_list_by_prefix_in_name_order_with_paging(tmp_path):
    store = ObjectStore(tmp_path / "storage")
    store.create_bucket("b-1", "p")
    for name in ["z", "a/2", "a/1", "a/10", "ab", "b/%_x"]:
        store.put_bytes("b-1", name, name.encode())
    assert [o.name for o in store.list("b-1", "a/")] == ["a/1", "a/10", "a/2"]
    assert [o.name for o in store.list("b-1", "b/%")] == ["b/%_x"]  # no LIKE wildcards
    assert [o.name for o in store.list("b-1", "a", start_after="a/10", limit=2)] == ["a/2", "ab"]
    assert store.delete("b-1", "ab") and not store.delete("b-1", "ab")
    assert [o.name for o in store.list("b-1")] == ["a/1", "a/10", "a/2", "b/%_x", "z"]


def test_objects_and_buckets_survive_reopening(tmp_path):
    store = ObjectStore(tmp_path / "storage")
    store.create_bucket("b-1", "p")
    stored = store.put_bytes("b-1", "keep.jsonl", b"kept")
    store.close()
    again = ObjectStore(tmp_path / "storage")
    assert again.get_bucket("b-1") is not None
    assert again.stat("b-1", "keep.jsonl") == stored
    assert again.read_bytes("b-1", "keep.jsonl") == b"kept"


def test_bucket_rules(tmp_path):
    store = ObjectStore(tmp_path / "storage")
    with pytest.raises(ValueError, match="Invalid bucket name"):
        store.create_bucket("Bad_Name", "p")
    store.create_bucket("ok-bucket", "p")
    with pytest.raises(FileExistsError):
        store.create_bucket("ok-bucket", "p")
    with pytest.raises(LookupError):
        store.put_bytes("no-such-bucket", "x", b"")
    store.put_bytes("ok-bucket", "x", b"1")
    with pytest.raises(OSError, match="not empty"):
        store.delete_bucket("ok-bucket")
    store.delete("ok-bucket", "x")
    store.delete_bucket("ok-bucket")
    assert store.get_bucket("ok-bucket") is None


def test_stream_and_resume_writer_digests(tmp_path):
    store = ObjectStore(tmp_path / "storage")
    store.create_bucket("b-1", "p")
    parts = [bytes([i]) * 70_000 for i in range(5)]

    async def chunks():
        for part in parts:
            yield part

    stored = asyncio.run(store.put_stream("b-1", "s", chunks()))
    assert (stored.md5, stored.crc32c) == digests(b"".join(parts))
    # a writer continuing a partly written file rebuilds the digests from the bytes on disk
    partial = tmp_path / "part"
    first = ObjectWriter(partial)
    first.write_sync(parts[0] + parts[1] + b"junk past the recorded offset")
    first.close()
    resumed = ObjectWriter(partial, offset=140_000)
    for part in parts[2:]:
        resumed.write_sync(part)
    resumed.close()
    assert partial.read_bytes() == b"".join(parts)
    assert (resumed.md5, resumed.crc32c, resumed.size) == (*digests(b"".join(parts)), 350_000)


def test_parse_gs_uri():
    assert parse_gs_uri("gs://b/a/b.jsonl") == ("b", "a/b.jsonl")
    for bad in ("s3://b/x", "gs://b", "gs://b/", "gs:///x"):
        with pytest.raises(ValueError):
            parse_gs_uri(bad)
