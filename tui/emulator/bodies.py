"""Request and response bodies: JSON in (keys camel-cased), JSON out (orjson)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from tui.emulator.wire import ApiError, camel_keys


async def read_json(request: web.Request) -> Any:
    """The request body as camelCase JSON; an empty body is `{}`."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        return camel_keys(orjson.loads(raw))
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"Invalid JSON payload received. {exc}") from exc


def json_body(body: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")
