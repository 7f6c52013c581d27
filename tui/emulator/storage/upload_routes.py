"""Uploads: `POST /upload/storage/v1/b/{bucket}/o?uploadType=media|multipart|resumable`, and the session URL.

- media: the body is the object's bytes; `name` in the query.
- multipart: `multipart/related`, part 1 the object resource as JSON (`name`, `contentType`,
  `metadata`), part 2 the bytes.
- resumable: the POST (name in the query or a JSON body; `X-Upload-Content-Type`,
  `X-Upload-Content-Length` optional) answers 200 with `Location: <session URL>`. Each
  `PUT <session URL>` with `Content-Range: bytes FIRST-LAST/TOTAL` (or `/*` while the size is
  unknown) answers 308 with `Range: bytes=0-N` (what is held) until the last byte, then 200 with
  the object. `Content-Range: bytes */TOTAL` (or `*/*`) asks for the status. `DELETE` cancels (499).

Bytes go straight from the socket to a file; no upload is held in memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import orjson
from aiohttp import BodyPartReader, web

from tui.emulator.storage.store import OBJECT_STORE, object_name_problem
from tui.emulator.storage.uploads import BUFFER, UPLOAD_SESSIONS, ContentRange, UploadSessions, pump
from tui.emulator.storage.wire import StorageError, base_url, generation_checks, json_response, no_bucket, object_json

UPLOAD_PATH = "/upload/storage/v1/b/{bucket:[^/]+}/o"
MAX_METADATA_BYTES = 1 << 20


def sessions_of(request: web.Request) -> UploadSessions:
    return request.app[UPLOAD_SESSIONS]


def carries_session(request: web.Request) -> bool:
    """A request to a live resumable session URL (its upload id is its credential)."""
    upload_id = request.query.get("upload_id")
    return (
        upload_id is not None
        and request.method in ("PUT", "POST", "DELETE")
        and request.path.startswith("/upload/storage/v1/")
        and sessions_of(request).get(upload_id) is not None
    )


def _bucket(request: web.Request) -> str:
    bucket = request.match_info["bucket"]
    if request.app[OBJECT_STORE].get_bucket(bucket) is None:
        raise no_bucket(bucket)
    return bucket


def _name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise StorageError(400, "Required: the object's name (the 'name' query parameter or the resource's "
                                "'name' field).", reason="required")  # fmt: skip
    problem = object_name_problem(name)
    if problem:
        raise StorageError(400, problem)
    return name


def _precondition(request: web.Request, bucket: str, name: str) -> None:
    generation_checks(request, request.app[OBJECT_STORE].stat(bucket, name))


def _resource(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError as exc:
        raise StorageError(400, f"Invalid JSON in the object resource: {exc}", reason="parseError") from None
    if not isinstance(body, dict):
        raise StorageError(400, "The object resource must be a JSON object.")
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise StorageError(400, "Invalid value for metadata: a JSON object of strings.")
    body["metadata"] = {str(k): str(v) for k, v in metadata.items() if v is not None}
    return body


async def _part_chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(BUFFER):
        yield chunk


async def upload(request: web.Request) -> web.StreamResponse:
    if "upload_id" in request.query:
        return await session_put(request)
    kind = request.query.get("uploadType")
    bucket = _bucket(request)
    store = request.app[OBJECT_STORE]
    if kind == "media":
        name = _name(request.query.get("name"))
        _precondition(request, bucket, name)
        writer = store.new_writer()
        try:
            await pump(request.content.iter_chunked(BUFFER), writer)
        except BaseException:
            writer.abort()
            raise
        stored = store.commit(writer, bucket, name, request.headers.get("Content-Type"))
        return json_response(object_json(request, stored))
    if kind == "multipart":
        return await _multipart(request, bucket)
    if kind == "resumable":
        resource = _resource(await request.content.read(MAX_METADATA_BYTES))
        name = _name(request.query.get("name") or resource.get("name"))
        _precondition(request, bucket, name)
        total = request.headers.get("X-Upload-Content-Length")
        if total is not None and not total.isdigit():
            raise StorageError(400, f"Invalid X-Upload-Content-Length {total!r}: a byte count.")
        content_type = request.headers.get("X-Upload-Content-Type") or resource.get("contentType") or ""
        upload_id = sessions_of(request).start(bucket, name, str(content_type), resource["metadata"],
                                               int(total) if total is not None else None)  # fmt: skip
        location = (f"{base_url(request)}/upload/storage/v1/b/{quote(bucket, safe='')}/o?uploadType=resumable"
                    f"&name={quote(name, safe='')}&upload_id={upload_id}")  # fmt: skip
        return web.Response(status=200, headers={"Location": location, "X-GUploader-UploadID": upload_id})
    raise StorageError(400, f"Invalid uploadType {kind!r}: use media, multipart or resumable.")


async def _multipart(request: web.Request, bucket: str) -> web.Response:
    if not request.content_type.startswith("multipart/"):
        raise StorageError(400, f"uploadType=multipart needs a multipart/related body, not {request.content_type!r}.")
    try:
        reader = await request.multipart()
        first = await reader.next()
        if not isinstance(first, BodyPartReader):
            raise StorageError(400, "The multipart body has no object resource (part 1, JSON).")
        resource = _resource(await first.read())
        data = await reader.next()
        if not isinstance(data, BodyPartReader):
            raise StorageError(400, "The multipart body has no media part (part 2, the object's bytes).")
    except (ValueError, AssertionError) as exc:  # aiohttp's multipart parser reports a bad body this way
        raise StorageError(400, f"Unreadable multipart body: {exc}") from None
    name = _name(request.query.get("name") or resource.get("name"))
    _precondition(request, bucket, name)
    content_type = resource.get("contentType") or data.headers.get("Content-Type")
    store = request.app[OBJECT_STORE]
    writer = store.new_writer()
    try:
        await pump(_part_chunks(data), writer)
    except BaseException:
        writer.abort()
        raise
    stored = store.commit(writer, bucket, name, content_type, resource["metadata"])
    return json_response(object_json(request, stored))


async def session_put(request: web.Request) -> web.StreamResponse:
    sessions = sessions_of(request)
    session = sessions.get(request.query.get("upload_id", ""))
    if session is None or session.bucket != request.match_info["bucket"]:
        raise StorageError(404, "No such upload session: it was cancelled, expired, or never started.")
    content_range = ContentRange.parse(request.headers.get("Content-Range"))
    result = await sessions.put(session, content_range, request.content.iter_chunked(BUFFER))
    if isinstance(result, int):
        headers = {"Range": f"bytes=0-{result - 1}"} if result else {}
        return web.Response(status=308, reason="Resume Incomplete", headers=headers)
    return json_response(object_json(request, result))


async def session_delete(request: web.Request) -> web.Response:
    upload_id = request.query.get("upload_id")
    if upload_id is None or not sessions_of(request).cancel(upload_id):
        raise StorageError(404, "No such upload session: it was cancelled, expired, or never started.")
    return web.Response(status=499, reason="Client Closed Request")


def add_routes(app: web.Application) -> None:
    app.router.add_post(UPLOAD_PATH, upload)
    app.router.add_put(UPLOAD_PATH, session_put)
    app.router.add_delete(UPLOAD_PATH, session_delete)
