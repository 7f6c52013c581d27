"""Request and response bodies: JSON in (keys camel-cased), JSON out (orjson).

A JSON body nested deeper than `MAX_DEPTH` levels is refused (400), as Google's JSON
parsers refuse deep messages. Bodies over `OFF_LOOP_BYTES` are parsed (and, through
`off_loop`, validated) in a worker thread, so a large create does not stall other requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from aiohttp import web

from tui.emulator.wire import ApiError, camel_keys

MAX_DEPTH = 100  # protobuf's default recursion limit for parsing a message
OFF_LOOP_BYTES = 256 * 1024

T = TypeVar("T")


def _depth_exceeds(value: Any, limit: int) -> bool:
    """True if objects and arrays in `value` nest deeper than `limit` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def decode(raw: bytes) -> Any:
    """Parse, check the nesting depth, camel-case the keys; ApiError 400 for anything malformed."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        reason = "nesting too deep" if "recursion" in str(exc) else str(exc)
        raise ApiError(400, f"Invalid JSON payload received. {reason}") from None
    if isinstance(value, (dict, list)) and _depth_exceeds(value, MAX_DEPTH):
        raise ApiError(400, f"Invalid JSON payload received. The body nests deeper than {MAX_DEPTH} levels.")
    return camel_keys(value)


async def read_json(request: web.Request) -> Any:
    """The request body as camelCase JSON; an empty body is `{}`."""
    raw = await request.read()
    if not raw.strip():
        return {}
    if len(raw) > OFF_LOOP_BYTES:
        return await asyncio.to_thread(decode, raw)
    return decode(raw)


async def off_loop(request: web.Request, work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` in a worker thread if the request's body is large, else right here."""
    if (request.content_length or 0) > OFF_LOOP_BYTES:
        return await asyncio.to_thread(work, *args)
    return work(*args)


def json_body(body: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")
