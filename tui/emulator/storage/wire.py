"""Cloud Storage's JSON shapes: the object and bucket resources and the error envelope.

Errors look like the JSON API's:
`{"error": {"code": 404, "message": "...", "errors": [{"message", "domain": "global", "reason": "notFound"}]}}`
(a 401 also carries `"status": "UNAUTHENTICATED"`, as the tuning routes' errors do).
"""

from __future__ import annotations

import zlib
from urllib.parse import quote

import orjson
from aiohttp import web

from tui.emulator.storage.store import Bucket, StoredObject

REASONS = {400: "invalid", 401: "required", 403: "forbidden", 404: "notFound", 409: "conflict",
           412: "conditionNotMet", 416: "requestedRangeNotSatisfiable", 499: "clientClosedRequest",
           500: "backendError", 503: "backendError"}  # fmt: skip


class StorageError(Exception):
    """A request Cloud Storage refuses, answered in its JSON error shape."""

    def __init__(self, code: int, message: str, reason: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "backendError")
        self.headers = headers or {}

    def body(self) -> dict:
        error: dict = {"code": self.code, "message": self.message,
                       "errors": [{"message": self.message, "domain": "global", "reason": self.reason}]}  # fmt: skip
        if self.code == 401:
            error["errors"][0] |= {"locationType": "header", "location": "Authorization"}
            error["status"] = "UNAUTHENTICATED"
        return {"error": error}

    def response(self) -> web.Response:
        return web.Response(body=orjson.dumps(self.body()), status=self.code, content_type="application/json",
                            headers=self.headers)  # fmt: skip


def no_bucket(bucket: str) -> StorageError:
    return StorageError(404, "The specified bucket does not exist.")


def no_object(bucket: str, name: str) -> StorageError:
    return StorageError(404, f"No such object: {bucket}/{name}")


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json", headers=headers)


def base_url(request: web.Request) -> str:
    """The scheme and host the client used to reach us (links in resources point back here)."""
    return f"{request.scheme}://{request.host}"


def object_path(bucket: str, name: str) -> str:
    return f"/storage/v1/b/{quote(bucket, safe='')}/o/{quote(name, safe='')}"


def object_json(request: web.Request, obj: StoredObject) -> dict:
    base = base_url(request)
    path = object_path(obj.bucket, obj.name)
    body: dict = {
        "kind": "storage#object",
        "id": f"{obj.bucket}/{obj.name}/{obj.generation}",
        "selfLink": f"{base}{path}",
        "mediaLink": f"{base}/download{path}?generation={obj.generation}&alt=media",
        "name": obj.name,
        "bucket": obj.bucket,
        "generation": str(obj.generation),
        "metageneration": str(obj.metageneration),
        "contentType": obj.content_type,
        "storageClass": "STANDARD",
        "size": str(obj.size),
        "md5Hash": obj.md5,
        "crc32c": obj.crc32c,
        "etag": obj.md5,
        "timeCreated": obj.time_created,
        "updated": obj.updated,
        "timeStorageClassUpdated": obj.time_created,
    }
    if obj.metadata:
        body["metadata"] = obj.metadata
    return body


def bucket_json(request: web.Request, bucket: Bucket) -> dict:
    return {
        "kind": "storage#bucket",
        "id": bucket.name,
        "selfLink": f"{base_url(request)}/storage/v1/b/{quote(bucket.name, safe='')}",
        "name": bucket.name,
        "projectNumber": project_number(bucket.project),
        "metageneration": "1",
        "location": bucket.location,
        "locationType": "multi-region" if bucket.location in ("US", "EU", "ASIA") else "region",
        "storageClass": bucket.storage_class,
        "etag": "CAE=",
        "timeCreated": bucket.time_created,
        "updated": bucket.updated,
        "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": True}},
    }


def project_number(project: str) -> str:
    """A stable project number for a project id (a number as given stays as it is)."""
    return project if project.isdigit() else str(100_000_000_000 + zlib.crc32(project.encode()))


def hash_header(obj: StoredObject) -> str:
    return f"crc32c={obj.crc32c},md5={obj.md5}"


def generation_checks(request: web.Request, found: StoredObject | None) -> None:
    """`ifGenerationMatch` / `ifGenerationNotMatch` (0 means "no live object")."""
    current = found.generation if found else 0
    for param, wanted in (("ifGenerationMatch", True), ("ifGenerationNotMatch", False)):
        value = request.query.get(param)
        if value is None:
            continue
        if not value.isdigit():
            raise StorageError(400, f"Invalid argument for {param}: {value!r} is not a generation number.")
        if (int(value) == current) != wanted:
            raise StorageError(412, "At least one of the pre-conditions you specified did not hold.")
