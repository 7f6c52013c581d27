"""The Cloud Storage JSON API subset over raw HTTP on a loopback port: buckets, uploads, downloads, listing."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import quote, urlsplit

import google_crc32c

from tests.emulator.storage_http import bucket, call


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def crc_b64(data: bytes) -> str:
    return base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()


def test_buckets_create_get_list_and_errors(emulator):
    created = bucket(emulator, "train-data")
    assert created["name"] == "train-data" and created["kind"] == "storage#bucket"
    assert created["projectNumber"].isdigit()
    got = call(emulator.url, "GET", "/storage/v1/b/train-data", token=emulator.api_key)
    assert got.status == 200 and got.json()["timeCreated"] == created["timeCreated"]
    again = call(emulator.url, "POST", "/storage/v1/b?project=emu-project", {"name": "train-data"},
                 token=emulator.api_key)
    assert again.status == 409 and again.json()["error"]["errors"][0]["reason"] == "conflict"
    missing = call(emulator.url, "GET", "/storage/v1/b/no-such-bucket", token=emulator.api_key)
    assert missing.status == 404
    assert missing.json()["error"] == {"code": 404, "message": "The specified bucket does not exist.", "errors": [
        {"message": "The specified bucket does not exist.", "domain": "global", "reason": "notFound"}]}
    bad = call(emulator.url, "POST", "/storage/v1/b?project=p", {"name": "Bad Name"}, token=emulator.api_key)
    assert bad.status == 400 and "Invalid bucket name" in bad.json()["error"]["message"]
    no_project = call(emulator.url, "POST", "/storage/v1/b", {"name": "other"}, token=emulator.api_key)
    assert no_project.status == 400 and "project" in no_project.json()["error"]["message"]
    listed = call(emulator.url, "GET", "/storage/v1/b?project=emu-project", token=emulator.api_key).json()
    assert [b["name"] for b in listed["items"]] == ["train-data"]


def test_media_upload_metadata_and_downloads(emulator):
    bucket(emulator, "bkt")
    name = "data/ü train #1.jsonl"
    data = b'{"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}\n' * 50
    path = f"/upload/storage/v1/b/bkt/o?uploadType=media&name={quote(name, safe='')}"
    reply = call(emulator.url, "POST", path, data, {"Content-Type": "application/jsonl"}, token=emulator.api_key)
    assert reply.status == 200, reply.body
    obj = reply.json()
    assert obj["name"] == name and obj["bucket"] == "bkt" and obj["kind"] == "storage#object"
    assert obj["size"] == str(len(data)) and obj["md5Hash"] == md5_b64(data) and obj["crc32c"] == crc_b64(data)
    assert obj["generation"].isdigit() and obj["metageneration"] == "1" and obj["contentType"] == "application/jsonl"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", obj["timeCreated"])
    quoted = quote(name, safe="")
    meta = call(emulator.url, "GET", f"/storage/v1/b/bkt/o/{quoted}", token=emulator.api_key)
    assert meta.json() == obj
    media = call(emulator.url, "GET", f"/storage/v1/b/bkt/o/{quoted}?alt=media", token=emulator.api_key)
    assert media.status == 200 and media.body == data
    assert media.headers["X-Goog-Hash"] == f"crc32c={crc_b64(data)},md5={md5_b64(data)}"
    assert media.headers["Content-Type"] == "application/jsonl"
    link = urlsplit(obj["mediaLink"])
    download = call(emulator.url, "GET", f"{link.path}?{link.query}", token=emulator.api_key)
    assert download.status == 200 and download.body == data
    part = call(emulator.url, "GET", f"/download/storage/v1/b/bkt/o/{quoted}", headers={"Range": "bytes=10-19"},
                token=emulator.api_key)  # fmt: skip
    assert part.status == 206 and part.body == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    tail = call(emulator.url, "GET", f"/download/storage/v1/b/bkt/o/{quoted}", headers={"Range": "bytes=-5"},
                token=emulator.api_key)  # fmt: skip
    assert tail.body == data[-5:]
    beyond = call(emulator.url, "GET", f"/download/storage/v1/b/bkt/o/{quoted}",
                  headers={"Range": f"bytes={len(data)}-"}, token=emulator.api_key)  # fmt: skip
    assert beyond.status == 416
    stale = call(emulator.url, "GET", f"/download/storage/v1/b/bkt/o/{quoted}?generation=1", token=emulator.api_key)
    assert stale.status == 404 and stale.json()["error"]["message"] == f"No such object: bkt/{name}"


def test_multipart_upload(emulator):
    bucket(emulator, "bkt")
    data = bytes(range(256)) * 40
    boundary = "===============7330845974216740156=="
    body = (
        f"--{boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n".encode()
        + b'{"name": "multi/part.bin", "contentType": "application/octet-stream", "metadata": {"origin": "test"}}'
        + f"\r\n--{boundary}\r\ncontent-type: application/octet-stream\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--".encode()
    )
    reply = call(emulator.url, "POST", "/upload/storage/v1/b/bkt/o?uploadType=multipart", body,
                 {"Content-Type": f'multipart/related; boundary="{boundary}"'}, token=emulator.api_key)  # fmt: skip
    assert reply.status == 200, reply.body
    obj = reply.json()
    assert obj["name"] == "multi/part.bin" and obj["size"] == str(len(data)) and obj["md5Hash"] == md5_b64(data)
    assert obj["metadata"] == {"origin": "test"}
    media = call(emulator.url, "GET", "/storage/v1/b/bkt/o/multi%2Fpart.bin?alt=media", token=emulator.api_key)
    assert media.body == data
    wrong = call(emulator.url, "POST", "/upload/storage/v1/b/bkt/o?uploadType=multipart", b"{}",
                 {"Content-Type": "application/json"}, token=emulator.api_key)  # fmt: skip
    assert wrong.status == 400 and "multipart/related" in wrong.json()["error"]["message"]


def start_session(emulator, bucket_name: str, name: str, **headers: str) -> str:
    reply = call(emulator.url, "POST", f"/upload/storage/v1/b/{bucket_name}/o?uploadType=resumable",
                 {"name": name, "contentType": "application/jsonl"}, headers, token=emulator.api_key)  # fmt: skip
    assert reply.status == 200, reply.body
    location = urlsplit(reply.headers["Location"])
    assert "upload_id=" in location.query and f"{location.scheme}://{location.netloc}" == emulator.url
    return f"{location.path}?{location.query}"


def test_resumable_upload_in_chunks_with_status_queries(emulator):
    bucket(emulator, "bkt")
    data = hashlib.sha256(b"seed").digest() * 40_000  # 1.28 MB
    session = start_session(emulator, "bkt", "big/train.jsonl")
    first = call(emulator.url, "PUT", session, data[:262144], {"Content-Range": "bytes 0-262143/*"})
    assert first.status == 308 and first.headers["Range"] == "bytes=0-262143"
    status = call(emulator.url, "PUT", session, b"", {"Content-Range": "bytes */*"})
    assert status.status == 308 and status.headers["Range"] == "bytes=0-262143"
    # a chunk that repeats bytes already held: the overlap is skipped
    overlap = call(emulator.url, "PUT", session, data[131072:524288], {"Content-Range": "bytes 131072-524287/*"})
    assert overlap.status == 308 and overlap.headers["Range"] == "bytes=0-524287"
    gap = call(emulator.url, "PUT", session, data[600000:700000], {"Content-Range": "bytes 600000-699999/*"})
    assert gap.status == 400 and "524288" in gap.json()["error"]["message"]
    total = len(data)
    done = call(emulator.url, "PUT", session, data[524288:], {"Content-Range": f"bytes 524288-{total - 1}/{total}"})
    assert done.status == 200, done.body
    obj = done.json()
    assert obj["size"] == str(total) and obj["md5Hash"] == md5_b64(data) and obj["crc32c"] == crc_b64(data)
    assert obj["contentType"] == "application/jsonl"
    again = call(emulator.url, "PUT", session, b"", {"Content-Range": f"bytes */{total}"})
    assert again.status == 200 and again.json()["generation"] == obj["generation"]
    media = call(emulator.url, "GET", "/storage/v1/b/bkt/o/big%2Ftrain.jsonl?alt=media", token=emulator.api_key)
    assert media.body == data


def test_resumable_chunks_are_held_to_their_ranges(emulator):
    bucket(emulator, "bkt")
    session = start_session(emulator, "bkt", "ranged", **{"X-Upload-Content-Length": "1000"})
    data = bytes(range(200)) * 5
    assert call(emulator.url, "PUT", session, data[:500], {"Content-Range": "bytes 0-499/1000"}).status == 308
    # an old chunk sent again, wholly held already: nothing changes
    repeat = call(emulator.url, "PUT", session, data[:100], {"Content-Range": "bytes 0-99/1000"})
    assert repeat.status == 308 and repeat.headers["Range"] == "bytes=0-499"
    longer = call(emulator.url, "PUT", session, data[500:] + b"extra", {"Content-Range": "bytes 500-999/1000"})
    assert longer.status == 400 and "999" in longer.json()["error"]["message"]
    other_total = call(emulator.url, "PUT", session, b"", {"Content-Range": "bytes */2000"})
    assert other_total.status == 400 and "1000" in other_total.json()["error"]["message"]
    bad = call(emulator.url, "PUT", session, b"x", {"Content-Range": "bytes=0-1/2"})
    assert bad.status == 400 and "Content-Range" in bad.json()["error"]["message"]
    status = call(emulator.url, "PUT", session, b"", {"Content-Range": "bytes */1000"})
    held = int(status.headers["Range"].rsplit("-", 1)[1]) + 1
    done = call(emulator.url, "PUT", session, data[held:], {"Content-Range": f"bytes {held}-999/1000"})
    assert done.status == 200 and done.json()["md5Hash"] == md5_b64(data)
    no_id = call(emulator.url, "PUT", "/upload/storage/v1/b/bkt/o?uploadType=resumable", b"x", token=emulator.api_key)
    assert no_id.status == 404


def test_resumable_session_url_is_its_own_credential(emulator):
    bucket(emulator, "bkt")
    unauthenticated = call(emulator.url, "POST", "/upload/storage/v1/b/bkt/o?uploadType=resumable&name=x", b"")
    assert unauthenticated.status == 401
    session = start_session(emulator, "bkt", "x")
    assert call(emulator.url, "PUT", session, b"abc", {"Content-Range": "bytes 0-2/3"}).status == 200
    forged = session.replace("upload_id=", "upload_id=x")
    assert call(emulator.url, "PUT", forged, b"abc", {"Content-Range": "bytes 0-2/3"}).status == 401
    cancelled = start_session(emulator, "bkt", "y")
    assert call(emulator.url, "DELETE", cancelled).status == 499
    gone = call(emulator.url, "PUT", cancelled, b"abc", {"Content-Range": "bytes 0-2/3"}, token=emulator.api_key)
    assert gone.status == 404


def test_resumable_session_and_objects_survive_restart_and_kill(emulator_factory):
    first = emulator_factory()
    bucket(first, "bkt")
    kept = call(first.url, "POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=kept.jsonl", b"kept\n",
                token=first.api_key).json()  # fmt: skip
    data = bytes(range(256)) * 4096  # 1 MiB
    session = start_session(first, "bkt", "resumed.jsonl", **{"X-Upload-Content-Length": str(len(data))})
    size = len(data)
    assert call(first.url, "PUT", session, data[:262144], {"Content-Range": f"bytes 0-262143/{size}"}).status == 308
    first.stop()

    second = emulator_factory(data_dir=first.data_dir)
    # the same session URL path works against the new server
    status = call(second.url, "PUT", session, b"", {"Content-Range": f"bytes */{len(data)}"})
    assert status.status == 308 and status.headers["Range"] == "bytes=0-262143"
    assert call(second.url, "PUT", session, data[262144:524288],
                {"Content-Range": f"bytes 262144-524287/{len(data)}"}).status == 308  # fmt: skip
    second.kill()

    third = emulator_factory(data_dir=first.data_dir)
    status = call(third.url, "PUT", session, b"", {"Content-Range": "bytes */*"})
    assert status.status == 308 and status.headers["Range"] == "bytes=0-524287"
    done = call(third.url, "PUT", session, data[524288:], {"Content-Range": f"bytes 524288-{size - 1}/{size}"})
    assert done.status == 200 and done.json()["md5Hash"] == md5_b64(data)
    assert call(third.url, "GET", "/storage/v1/b/bkt/o/resumed.jsonl?alt=media", token=third.api_key).body == data
    again = call(third.url, "GET", "/storage/v1/b/bkt/o/kept.jsonl", token=third.api_key).json()
    assert again == kept | {"selfLink": again["selfLink"], "mediaLink": again["mediaLink"]}


def test_list_with_prefix_delimiter_and_pages(emulator):
    bucket(emulator, "bkt")
    names = ["a/1", "a/2", "a/sub/3", "a/sub/4", "b/5", "c", "d"]
    for name in names:
        call(emulator.url, "POST", f"/upload/storage/v1/b/bkt/o?uploadType=media&name={quote(name, safe='')}",
             name.encode(), token=emulator.api_key)  # fmt: skip
    seen, token, pages = [], None, 0
    while True:
        query = "maxResults=3" + (f"&pageToken={quote(token)}" if token else "")
        page = call(emulator.url, "GET", f"/storage/v1/b/bkt/o?{query}", token=emulator.api_key).json()
        seen += [o["name"] for o in page["items"]]
        pages += 1
        token = page.get("nextPageToken")
        if not token:
            break
    assert seen == names and pages == 3
    prefixed = call(emulator.url, "GET", "/storage/v1/b/bkt/o?prefix=a/sub/", token=emulator.api_key).json()
    assert [o["name"] for o in prefixed["items"]] == ["a/sub/3", "a/sub/4"]
    folders = call(emulator.url, "GET", "/storage/v1/b/bkt/o?delimiter=/", token=emulator.api_key).json()
    assert folders["prefixes"] == ["a/", "b/"] and [o["name"] for o in folders["items"]] == ["c", "d"]
    inner = call(emulator.url, "GET", "/storage/v1/b/bkt/o?prefix=a/&delimiter=/", token=emulator.api_key).json()
    assert inner["prefixes"] == ["a/sub/"] and [o["name"] for o in inner["items"]] == ["a/1", "a/2"]
    empty = call(emulator.url, "GET", "/storage/v1/b/bkt/o?prefix=zzz", token=emulator.api_key).json()
    assert empty == {"kind": "storage#objects"}
    ranged = call(emulator.url, "GET", "/storage/v1/b/bkt/o?startOffset=a/sub/4&endOffset=c", token=emulator.api_key)
    assert [o["name"] for o in ranged.json()["items"]] == ["a/sub/4", "b/5"]


def test_delete_patch_and_preconditions(emulator):
    bucket(emulator, "bkt")
    upload = "/upload/storage/v1/b/bkt/o?uploadType=media&name=x.jsonl"
    obj = call(emulator.url, "POST", upload, b"1", token=emulator.api_key).json()
    only_new = call(emulator.url, "POST", upload + "&ifGenerationMatch=0", b"2", token=emulator.api_key)
    assert only_new.status == 412 and only_new.json()["error"]["errors"][0]["reason"] == "conditionNotMet"
    matched = call(emulator.url, "POST", upload + f"&ifGenerationMatch={obj['generation']}", b"3",
                   token=emulator.api_key)  # fmt: skip
    assert matched.status == 200 and int(matched.json()["generation"]) > int(obj["generation"])
    patched = call(emulator.url, "PATCH", "/storage/v1/b/bkt/o/x.jsonl", {"metadata": {"k": "v"},
                   "contentType": "application/jsonl"}, token=emulator.api_key).json()  # fmt: skip
    assert patched["metadata"] == {"k": "v"} and patched["metageneration"] == "2"
    assert call(emulator.url, "DELETE", "/storage/v1/b/bkt/o/x.jsonl", token=emulator.api_key).status == 204
    assert call(emulator.url, "GET", "/storage/v1/b/bkt/o/x.jsonl", token=emulator.api_key).status == 404
    assert call(emulator.url, "DELETE", "/storage/v1/b/bkt/o/x.jsonl", token=emulator.api_key).status == 404
    assert call(emulator.url, "DELETE", "/storage/v1/b/bkt", token=emulator.api_key).status == 204


def test_test_iam_permissions_answers_what_the_caller_holds(emulator):
    bucket(emulator, "bkt")
    asked = "permissions=storage.objects.create&permissions=storage.buckets.get&permissions=storage.made.up"
    reply = call(emulator.url, "GET", f"/storage/v1/b/bkt/iam/testPermissions?{asked}", token=emulator.api_key)
    assert reply.json() == {"kind": "storage#testIamPermissionsResponse",
                            "permissions": ["storage.objects.create", "storage.buckets.get"]}  # fmt: skip
    assert call(emulator.url, "GET", f"/storage/v1/b/bkt/iam/testPermissions?{asked}").status == 401
    assert call(emulator.url, "GET", f"/storage/v1/b/nope/iam/testPermissions?{asked}",
                token=emulator.api_key).status == 404  # fmt: skip


def test_storage_auth_errors_are_cloud_storage_shaped(emulator):
    bucket(emulator, "bkt")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {emulator.api_key}"},
                    {"x-goog-api-key": emulator.api_key}):  # fmt: skip
        reply = call(emulator.url, "GET", "/storage/v1/b/bkt/o", headers=headers)
        assert reply.status == 401, headers
        error = reply.json()["error"]
        assert error["status"] == "UNAUTHENTICATED" and error["errors"][0]["reason"] == "required"
        assert emulator.api_key not in reply.body.decode()
    unknown = call(emulator.url, "GET", "/storage/v1/nothing/here", token=emulator.api_key)
    assert unknown.status == 404 and unknown.json()["error"]["errors"][0]["reason"] == "notFound"
