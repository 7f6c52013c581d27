"""The Cloud Storage JSON API subset, served next to the tuning routes on the same port.

Buckets: create (`POST /storage/v1/b?project=P`), get, list, delete, IAM policy and
`testIamPermissions`. Objects: get (metadata, or bytes with `?alt=media`), list (`prefix`,
`delimiter`, `maxResults`, `pageToken`, `startOffset`), patch, delete, and download from
`/download/storage/v1/...`. Uploads live in `upload_routes`. Every route needs a Bearer
credential (`tui.emulator.auth`) except a `PUT`/`DELETE` to a resumable session URL, whose
upload id is the credential, as on Cloud Storage.
"""

from __future__ import annotations

import asyncio
import base64
import re
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from tui.emulator.auth import AUTH, Unauthenticated, injected_fault, is_storage_path
from tui.emulator.storage import upload_routes
from tui.emulator.storage.store import OBJECT_STORE, ObjectStore, StoredObject
from tui.emulator.storage.uploads import UPLOAD_SESSIONS, UploadSessions
from tui.emulator.storage.wire import (
    StorageError,
    bucket_json,
    generation_checks,
    hash_header,
    json_response,
    no_bucket,
    no_object,
    object_json,
)

BUCKET = "{bucket:[^/]+}"
OBJECT = "{object:.+}"
READ_CHUNK = 1 << 20
MAX_RESULTS = 1000
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
PERMISSIONS = frozenset(
    f"storage.{kind}.{verb}"
    for kind, verbs in {
        "buckets": ("create", "delete", "get", "getIamPolicy", "list", "setIamPolicy", "update"),
        "objects": ("create", "delete", "get", "getIamPolicy", "list", "setIamPolicy", "update"),
        "multipartUploads": ("abort", "create", "list", "listParts"),
    }.items()
    for verb in verbs
)


def store_of(request: web.Request) -> ObjectStore:
    return request.app[OBJECT_STORE]


def existing_bucket(request: web.Request) -> str:
    bucket = request.match_info["bucket"]
    if store_of(request).get_bucket(bucket) is None:
        raise no_bucket(bucket)
    return bucket


def _page_token(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode()


def _after(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise StorageError(400, f"Invalid pageToken {token!r}: pass the nextPageToken of the previous page.") from None


def _max_results(request: web.Request) -> int:
    value = request.query.get("maxResults", str(MAX_RESULTS))
    if not value.isdigit() or int(value) < 1:
        raise StorageError(400, f"Invalid maxResults {value!r}: a whole number from 1 to {MAX_RESULTS}.")
    return min(int(value), MAX_RESULTS)


# -- buckets --------------------------------------------------------------------------
async def create_bucket(request: web.Request) -> web.Response:
    project = request.query.get("project")
    if not project:
        raise StorageError(400, "Required parameter: project", reason="required")
    try:
        body = orjson.loads(await request.read() or b"{}")
    except orjson.JSONDecodeError as exc:
        raise StorageError(400, f"Invalid JSON payload received: {exc}", reason="parseError") from None
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name:
        raise StorageError(400, "Required field 'name' is missing from the bucket resource.", reason="required")
    try:
        bucket = store_of(request).create_bucket(name, project, str(body.get("location") or "US"),
                                                 str(body.get("storageClass") or "STANDARD"))  # fmt: skip
    except ValueError as exc:
        raise StorageError(400, str(exc)) from None
    except FileExistsError:
        raise StorageError(409, "Your previous request to create the named bucket succeeded and you already own it.",
                           reason="conflict") from None  # fmt: skip
    return json_response(bucket_json(request, bucket))


async def list_buckets(request: web.Request) -> web.Response:
    buckets = store_of(request).list_buckets(request.query.get("project"))
    body: dict[str, Any] = {"kind": "storage#buckets"}
    if buckets:
        body["items"] = [bucket_json(request, b) for b in buckets]
    return json_response(body)


async def get_bucket(request: web.Request) -> web.Response:
    bucket = store_of(request).get_bucket(request.match_info["bucket"])
    if bucket is None:
        raise no_bucket(request.match_info["bucket"])
    return json_response(bucket_json(request, bucket))


async def delete_bucket(request: web.Request) -> web.Response:
    name = existing_bucket(request)
    try:
        store_of(request).delete_bucket(name)
    except OSError as exc:
        raise StorageError(409, f"The bucket you tried to delete is not empty: {name}", reason="conflict") from exc
    return web.Response(status=204)


async def bucket_iam_policy(request: web.Request) -> web.Response:
    bucket = store_of(request).get_bucket(existing_bucket(request))
    assert bucket is not None
    bindings = [{"role": "roles/storage.legacyBucketOwner", "members": [f"projectOwner:{bucket.project}"]},
                {"role": "roles/storage.legacyBucketReader",
                 "members": [f"projectViewer:{bucket.project}"]}]  # fmt: skip
    return json_response({"kind": "storage#policy", "resourceId": f"projects/_/buckets/{bucket.name}", "version": 1,
                          "etag": "CAE=", "bindings": bindings})  # fmt: skip


async def test_permissions(request: web.Request) -> web.Response:
    """The asked-for permissions the caller holds: every known storage permission, for any accepted credential."""
    existing_bucket(request)
    asked = request.query.getall("permissions", [])
    if not asked:
        raise StorageError(400, "Required parameter: permissions", reason="required")
    held = [p for p in asked if p in PERMISSIONS]
    body: dict[str, Any] = {"kind": "storage#testIamPermissionsResponse"}
    if held:
        body["permissions"] = held
    return json_response(body)


# -- objects --------------------------------------------------------------------------
async def list_objects(request: web.Request) -> web.Response:
    bucket = existing_bucket(request)
    store = store_of(request)
    prefix = request.query.get("prefix", "")
    delimiter = request.query.get("delimiter", "")
    limit = _max_results(request)
    token = request.query.get("pageToken")
    cursor = _after(token) if token else None
    start, end = request.query.get("startOffset"), request.query.get("endOffset")
    items: list[dict] = []
    prefixes: list[str] = []
    last = None
    more = done = False
    while not (more or done):
        batch = store.list(bucket, prefix, start_after=cursor, start_at=start, limit=MAX_RESULTS)
        done = len(batch) < MAX_RESULTS
        for obj in batch:
            if end and obj.name >= end:
                done = True
                break
            rest = obj.name[len(prefix) :]
            folder = prefix + rest.split(delimiter, 1)[0] + delimiter if delimiter and delimiter in rest else None
            if folder is None or not prefixes or prefixes[-1] != folder:  # a new entry of the page
                if len(items) + len(prefixes) == limit:
                    more = True
                    break
                if folder is None:
                    items.append(object_json(request, obj))
                else:
                    prefixes.append(folder)
            last = obj.name
        if batch:
            cursor = batch[-1].name
    body: dict[str, Any] = {"kind": "storage#objects"}
    if items:
        body["items"] = items
    if prefixes:
        body["prefixes"] = prefixes
    if more and last is not None:
        body["nextPageToken"] = _page_token(last)
    return json_response(body)


def _object_name(request: web.Request) -> str:
    return request.match_info["object"]


def _found(request: web.Request, bucket: str, name: str) -> StoredObject:
    found = store_of(request).stat(bucket, name)
    generation = request.query.get("generation")
    if found is None or (generation is not None and generation != str(found.generation)):
        raise no_object(bucket, name)
    return found


async def get_object(request: web.Request) -> web.StreamResponse:
    bucket = existing_bucket(request)
    name = _object_name(request)
    found = _found(request, bucket, name)
    generation_checks(request, found)
    if request.query.get("alt") == "media":
        return await download(request, bucket, name)
    return json_response(object_json(request, found))


async def download_object(request: web.Request) -> web.StreamResponse:
    bucket = existing_bucket(request)
    name = _object_name(request)
    generation_checks(request, _found(request, bucket, name))
    return await download(request, bucket, name)


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) of a single `Range: bytes=...` request; None for the whole object."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None  # not a form we serve: the whole object, as HTTP allows
    first, last = match.groups()
    if first == "":  # the last N bytes
        return (max(0, size - int(last)), size - 1) if int(last) and size else _unsatisfiable(size)
    start = int(first)
    if start >= size:
        _unsatisfiable(size)
    return start, min(int(last), size - 1) if last else size - 1


def _unsatisfiable(size: int) -> tuple[int, int]:
    raise StorageError(416, "Request range not satisfiable", headers={"Content-Range": f"bytes */{size}"})


async def download(request: web.Request, bucket: str, name: str) -> web.StreamResponse:
    """Stream the object's bytes (one range or all), a chunk at a time from disk."""
    try:
        found, handle = store_of(request).open(bucket, name)
    except LookupError:
        raise no_object(bucket, name) from None
    with handle:
        span = _byte_range(request.headers.get("Range"), found.size)
        first, last = span or (0, found.size - 1)
        response = web.StreamResponse(status=206 if span else 200)
        response.content_type = found.content_type
        response.content_length = last - first + 1
        response.headers.update({
            "X-Goog-Hash": hash_header(found), "X-Goog-Generation": str(found.generation),
            "X-Goog-Metageneration": str(found.metageneration), "X-Goog-Stored-Content-Length": str(found.size),
            "X-Goog-Stored-Content-Encoding": "identity", "ETag": f'"{found.md5}"', "Accept-Ranges": "bytes",
        })  # fmt: skip
        if span:
            response.headers["Content-Range"] = f"bytes {first}-{last}/{found.size}"
        await response.prepare(request)
        if request.method != "HEAD":
            handle.seek(first)
            remaining = last - first + 1
            while remaining > 0:
                chunk = await asyncio.to_thread(handle.read, min(READ_CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                await response.write(chunk)
        await response.write_eof()
    return response


async def patch_object(request: web.Request) -> web.Response:
    bucket = existing_bucket(request)
    name = _object_name(request)
    found = _found(request, bucket, name)
    generation_checks(request, found)
    try:
        body = orjson.loads(await request.read() or b"{}")
    except orjson.JSONDecodeError as exc:
        raise StorageError(400, f"Invalid JSON payload received: {exc}", reason="parseError") from None
    if not isinstance(body, dict):
        raise StorageError(400, "The body must be an object resource (a JSON object).")
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise StorageError(400, "Invalid value for metadata: a JSON object of strings.")
    merged = None if metadata is None else {k: str(v) for k, v in (found.metadata | metadata).items() if v is not None}
    updated = store_of(request).update_metadata(bucket, name, body.get("contentType"), merged)
    if updated is None:
        raise no_object(bucket, name)
    return json_response(object_json(request, updated))


async def delete_object(request: web.Request) -> web.Response:
    bucket = existing_bucket(request)
    name = _object_name(request)
    found = _found(request, bucket, name)
    generation_checks(request, found)
    store_of(request).delete(bucket, name)
    return web.Response(status=204)


# -- errors and auth ------------------------------------------------------------------
@web.middleware
async def storage_middleware(request: web.Request, handler):
    """Bearer auth (a valid upload id stands in for it), injected faults and Cloud Storage's error shape."""
    if not is_storage_path(request.path):
        return await handler(request)
    try:
        if not upload_routes.carries_session(request):
            request.app[AUTH].authenticate(request)
        fault = injected_fault(request)
        if fault is not None:
            return StorageError(fault.code, fault.message, headers=fault.headers).response()
        return await handler(request)
    except Unauthenticated as error:
        challenge = {"WWW-Authenticate": 'Bearer realm="tunedeck-emulator"'}
        return StorageError(401, error.message, headers=challenge).response()
    except StorageError as error:
        return error.response()
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
        return StorageError(404, f"Not Found: {request.method} {request.path} is not a route of this emulator's "
                                 "Cloud Storage JSON API.").response()  # fmt: skip
    except web.HTTPRequestEntityTooLarge as exc:
        return StorageError(413, exc.text or "Request entity too large.", reason="uploadTooLarge").response()


def setup(app: web.Application, root: Path) -> ObjectStore:
    """Open the object store under `<root>/storage` as `app[OBJECT_STORE]` and serve the Cloud Storage routes."""
    store = ObjectStore(root / "storage")
    sessions = UploadSessions(store)
    app[OBJECT_STORE] = store
    app[UPLOAD_SESSIONS] = sessions

    async def close(app: web.Application) -> None:
        sessions.close()
        store.close()

    app.on_cleanup.append(close)
    app.middlewares.append(storage_middleware)
    r = app.router
    r.add_post("/storage/v1/b", create_bucket)
    r.add_get("/storage/v1/b", list_buckets)
    r.add_get(f"/storage/v1/b/{BUCKET}", get_bucket)
    r.add_delete(f"/storage/v1/b/{BUCKET}", delete_bucket)
    r.add_get(f"/storage/v1/b/{BUCKET}/iam", bucket_iam_policy)
    r.add_get(f"/storage/v1/b/{BUCKET}/iam/testPermissions", test_permissions)
    r.add_get(f"/storage/v1/b/{BUCKET}/o", list_objects)
    r.add_get(f"/storage/v1/b/{BUCKET}/o/{OBJECT}", get_object)
    r.add_patch(f"/storage/v1/b/{BUCKET}/o/{OBJECT}", patch_object)
    r.add_delete(f"/storage/v1/b/{BUCKET}/o/{OBJECT}", delete_object)
    r.add_get(f"/download/storage/v1/b/{BUCKET}/o/{OBJECT}", download_object)
    upload_routes.add_routes(app)
    return store
