"""Proto3 JSON as the Gemini API speaks it: key casing, timestamps, and the error envelope.

Input accepts lowerCamelCase and snake_case names; output is lowerCamelCase with default
values left out. Every failure is an `ApiError`, answered as
`{"error": {"code", "message", "status", "details"}}` with the matching HTTP status.
"""

from __future__ import annotations

import math
import re
import struct
from datetime import UTC, datetime
from typing import Any

ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
SERVICE = "generativelanguage.googleapis.com"

# HTTP status -> canonical status name, and canonical name -> google.rpc.Code number.
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
RPC_CODES = {
    "OK": 0,
    "CANCELLED": 1,
    "UNKNOWN": 2,
    "INVALID_ARGUMENT": 3,
    "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9,
    "ABORTED": 10,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "UNAUTHENTICATED": 16,
}


class ApiError(Exception):
    """A request the API refuses; becomes the Google error envelope."""

    def __init__(
        self,
        code: int,
        message: str,
        status: str | None = None,
        details: list[dict] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_NAMES.get(code, "UNKNOWN")
        self.details = details or []
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "status": self.status, "details": self.details}}


def invalid(field: str, message: str) -> ApiError:
    """A 400 INVALID_ARGUMENT naming the field at fault (also as a BadRequest detail; no `field` if none)."""
    violation = {"field": field, "description": message} if field else {"description": message}
    return ApiError(
        400,
        f"{field}: {message}" if field else message,
        details=[{"@type": BAD_REQUEST_TYPE, "fieldViolations": [violation]}],
    )


def float32(value: float) -> float:
    """`value` as proto3 JSON writes a `float` field: the shortest decimal that reads back as the same float32."""
    try:
        single = struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        return value
    if not math.isfinite(single):
        return single
    for digits in range(1, 10):  # 9 significant digits always round-trip a float32
        shortest = float(f"{single:.{digits}g}")
        if struct.unpack("<f", struct.pack("<f", shortest))[0] == single:
            return shortest
    return single


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def failed_precondition(message: str) -> ApiError:
    return ApiError(400, message, status="FAILED_PRECONDITION")


def error_info(reason: str, method: str | None = None) -> dict:
    metadata = {"service": SERVICE}
    if method:
        metadata["method"] = f"google.ai.generativelanguage.v1beta.{method}"
    return {"@type": ERROR_INFO_TYPE, "reason": reason, "domain": "googleapis.com", "metadata": metadata}


_SNAKE = re.compile(r"_([a-z0-9])")


def camel(name: str) -> str:
    """`tuning_task` -> `tuningTask`; camelCase and `@type` pass through."""
    if "_" not in name or name.startswith("@"):
        return name
    return _SNAKE.sub(lambda m: m.group(1).upper(), name)


def camel_keys(value: Any) -> Any:
    """Rename every object key to lowerCamelCase, recursively (values are untouched)."""
    if isinstance(value, dict):
        return {camel(k) if isinstance(k, str) else k: camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def compact(value: Any) -> Any:
    """Drop proto3 defaults (None, False, 0, "", empty lists and objects) from output."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = compact(v)
            if v is None or v is False or v == "" or (isinstance(v, (list, dict)) and not v):
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v == 0:
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def now() -> datetime:
    return datetime.now(UTC)


def stamp() -> str:
    """The current time as an RFC 3339 timestamp."""
    return now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def timestamp(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with 6 fractional digits and a `Z`."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
