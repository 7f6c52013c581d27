"""The HTTP connection handler: protocol errors in the API's JSON, and a deadline for headers.

aiohttp answers requests it cannot parse (an unknown method such as `FOO`, a broken
header line) in plain text and waits for headers as long as a connection stays open. Here
such requests get the API's error JSON (logged in one line), and a request whose headers
do not arrive within `HEADER_TIMEOUT` seconds (`--header-timeout`) of its first byte gets
408 and is closed; an idle keep-alive connection is closed after `KEEPALIVE_TIMEOUT`.

`EmulatorRunner` is `web.AppRunner` with this handler.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from tui.emulator.wire import ApiError

log = logging.getLogger("tunedeck.emulator")

HEADER_TIMEOUT = 15.0  # seconds from a request's first byte to the end of its headers
KEEPALIVE_TIMEOUT = 75.0  # an idle keep-alive connection is closed after this

_KINDS = {  # aiohttp's parser errors, in words (never the raw bytes: they may hold a key)
    "BadHttpMethod": "unsupported HTTP method",
    "BadStatusLine": "malformed request line",
    "LineTooLong": "request line or header too long",
    "InvalidHeader": "malformed header",
    "BadHttpMessage": "malformed HTTP message",
    "TransferEncodingError": "malformed chunked body",
    "ContentLengthError": "body shorter than its Content-Length",
    "InvalidURLError": "malformed URL",
}


def _error_bytes(error: ApiError) -> bytes:
    return orjson.dumps(error.body())


class EmulatorRequestHandler(RequestHandler):
    """One client connection (see the module docstring)."""

    def __init__(self, *args: Any, header_timeout: float = HEADER_TIMEOUT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = header_timeout
        self._header_deadline: asyncio.TimerHandle | None = None
        self._between_requests = True

    # -- header deadline --------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if data and self._between_requests:
            self._between_requests = False
            self._header_deadline = self._loop.call_later(self._header_timeout, self._headers_too_slow)
        count = self._request_count
        super().data_received(data)
        if self._request_count != count and self._header_deadline is not None:
            self._header_deadline.cancel()  # the headers are in; the body has no deadline here
            self._header_deadline = None

    async def finish_response(self, request, resp, start_time):
        result = await super().finish_response(request, resp, start_time)
        if not self._messages:
            self._between_requests = True
        return result

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        transport = self.transport
        if transport is None or self._request_in_progress:
            return
        log.warning("closed a connection whose request headers took longer than %g s", self._header_timeout)
        body = _error_bytes(ApiError(408, f"The request headers did not arrive within {self._header_timeout:g} s.",
                                     status="DEADLINE_EXCEEDED"))  # fmt: skip
        transport.write(
            b"HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        self.force_close()

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None
        super().connection_lost(exc)

    # -- protocol errors in the API's shape -----------------------------------------------
    def handle_error(self, request, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:  # fmt: skip
        if request.writer.output_size > 0:
            raise ConnectionError("Response is sent already, cannot send another response with the error message")
        if status >= 500:
            log.error("error answering a request: %s: %s", type(exc).__name__ if exc else "error", exc)
            error = ApiError(status, "Internal error encountered." if status == 500 else "The request timed out.")
        else:
            kind = _KINDS.get(type(exc).__name__, "malformed HTTP request")
            log.warning("refused a request: %s %s", status, kind)
            error = ApiError(status, f"Invalid HTTP request ({kind}). The emulator speaks HTTP/1.1 with JSON bodies.")
        response = web.Response(body=_error_bytes(error), status=error.code, content_type="application/json")
        response.force_close()
        return response


class _EmulatorServer(web.Server):
    def __call__(self) -> RequestHandler:
        return EmulatorRequestHandler(self, loop=self._loop, **self._kwargs)


class EmulatorRunner(web.AppRunner):
    """`web.AppRunner` whose connections use `EmulatorRequestHandler`."""

    def __init__(self, app: web.Application, header_timeout: float = HEADER_TIMEOUT, **kwargs: Any) -> None:
        kwargs.setdefault("keepalive_timeout", KEEPALIVE_TIMEOUT)
        kwargs["header_timeout"] = header_timeout
        super().__init__(app, **kwargs)

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _EmulatorServer  # same object, our connection handler
        return server
