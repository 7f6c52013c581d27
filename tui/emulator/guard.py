"""What a request must look like before the API sees it: the emulator's defence against web pages.

A web page in the user's browser can send requests to a loopback port (CSRF) and, by
rebinding its own host name to 127.0.0.1, read the answers (DNS rebinding). So every
request must

- be addressed to the emulator itself: `Host` is `127.0.0.1:PORT`, `localhost:PORT`,
  `[::1]:PORT` (or the `--allow-remote` address) for the port the server bound;
- carry no `Origin` header and no cross-site `Sec-Fetch-Site` (only browsers send them);
- send a body, if any, as `application/json` and no larger than `MAX_BODY_BYTES`
  (Cloud Storage uploads under `/upload/` and `/storage/` stream other types and sizes; the
  OAuth token endpoint `/token` takes form-encoded grants).

Refusals answer in the API's error JSON and are logged in one line.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

from tui.emulator.wire import ApiError, error_info

log = logging.getLogger("tunedeck.emulator")

MAX_BODY_BYTES = 20 * 1024 * 1024  # the Gemini API's documented cap for a whole request
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
# Cloud Storage routes take raw bytes of any type and size (streamed to disk by their handlers).
OWN_BODY_RULES = ("/upload/", "/storage/", "/download/")
FORM_PATHS = ("/token",)  # the OAuth 2.0 token endpoint takes form-encoded grants (RFC 6749)
ALLOWED_HOSTS = web.AppKey("allowed_hosts", set)
ANY_HOST = "*"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def allow_hosts(app: web.Application, host: str, port: int) -> None:
    """Accept requests addressed to `port` on loopback (and on `host`, the address bound)."""
    names = {*LOOPBACK_NAMES, f"[{host}]" if ":" in host else host}
    allowed = app[ALLOWED_HOSTS]
    allowed.clear()
    if host in ("0.0.0.0", "::", ""):  # every address (--allow-remote): clients may name any of them
        allowed.add(ANY_HOST)
        return
    allowed.update(f"{name}:{port}".lower() for name in names)
    if port == 80:
        allowed.update(name.lower() for name in names)


def refusal(error: ApiError) -> web.Response:
    return web.Response(body=orjson.dumps(error.body()), status=error.code, content_type="application/json",
                        headers=error.headers)  # fmt: skip


def _printable(text: str, limit: int = 80) -> str:
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


def _own_body_rules(request: web.Request) -> bool:
    path = request.path
    return (
        path.startswith(OWN_BODY_RULES)
        or path in FORM_PATHS
        or (request.method == "PUT" and "upload_id" in request.query)
    )


def check(request: web.Request) -> ApiError | None:
    """Why `request` is refused before it reaches a handler, or None."""
    host = request.headers.get("Host", "")
    allowed = request.app[ALLOWED_HOSTS]
    if host.lower() not in allowed and ANY_HOST not in allowed:
        places = ", ".join(sorted(allowed)) or "(the server is not listening yet)"
        return ApiError(
            403,
            f"Host {_printable(host)} is not this emulator's address; it answers only requests addressed to {places}.",
            details=[error_info("HOST_NOT_ALLOWED")],
        )
    if "Origin" in request.headers or request.headers.get("Sec-Fetch-Site", "none") not in ("none", "same-origin"):
        return ApiError(
            403,
            "Requests from web pages are refused: the local emulator takes requests from programs only "
            "(this one carried an Origin or Sec-Fetch-Site header, as browsers send).",
            details=[error_info("BROWSER_REQUEST_REFUSED")],
        )
    if _own_body_rules(request) or not request.body_exists:
        return None
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return too_large()
    if request.content_type != "application/json":
        return ApiError(
            400,
            f"Content-Type {_printable(request.headers.get('Content-Type', '(none)'))} is not accepted: "
            "send the request body as JSON with Content-Type: application/json.",
            details=[error_info("CONTENT_TYPE_NOT_JSON")],
        )
    return None


def too_large() -> ApiError:
    return ApiError(400, f"Request payload size exceeds the limit: {MAX_BODY_BYTES} bytes.")


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    error = check(request)
    if error is not None:
        log.warning("refused %s %s: %s %s", request.method, request.path, error.code, error.message)
        response = refusal(error)
        if request.body_exists:
            response.force_close()  # do not read an unwanted body
        return response
    return await handler(request)


def install(app: web.Application) -> None:
    """Put the guard in front of every other middleware of `app` (call before the app starts)."""
    app[ALLOWED_HOSTS] = set()
    app.middlewares.insert(0, guard)
