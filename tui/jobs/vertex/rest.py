"""Raw REST calls to Vertex AI and Cloud Storage with the credentials the SDK uses.

One aiohttp session per event loop (tui.jobs.http's, configured like google-genai's), the
`Authorizer`'s headers on every request, and Google's error bodies translated by
`errors.api_error`. Used where google-genai has no method: TensorBoard time series,
metadata contexts, tuned models, Cloud Storage.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import orjson

from tui.jobs.http import client_session
from tui.jobs.vertex.credentials import Authorizer
from tui.jobs.vertex.errors import api_error, translate

DEFAULT_TIMEOUT_S = 30.0
Hint = str | Callable[[], str]  # the next step when the server does not answer (a callable is asked each time)


def hint_text(hint: Hint) -> str:
    return hint() if callable(hint) else hint


class Rest:
    """Authorized JSON requests to one API host (`base_url`, no trailing slash)."""

    def __init__(self, authorizer: Authorizer, base_url: str, *, where: str, unreachable_hint: Hint,
                 project: str | None = None, identity: str = "", timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.authorizer = authorizer
        self.base_url = base_url.rstrip("/")
        self.where = where
        self.unreachable_hint = unreachable_hint
        self.project = project
        self.identity = identity
        self.timeout = timeout
        self.requests_sent = 0
        self._bound: tuple[asyncio.AbstractEventLoop, Any] | None = None

    def session(self) -> Any:
        """This event loop's aiohttp session (made on first use)."""
        loop = asyncio.get_running_loop()
        if self._bound is None or self._bound[0] is not loop:
            self._bound = (loop, client_session(self.base_url))
        return self._bound[1]

    def url(self, path: str, query: Mapping[str, Any] | list[tuple[str, Any]] | None = None) -> str:
        """`path` (absolute URL, or relative to the base URL) with `query` appended."""
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"
        if query:
            url += ("&" if "?" in url else "?") + urlencode(query, doseq=True)
        return url

    def error(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> Exception:
        """The BackendError for an HTTP error answer."""
        try:
            parsed = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError:
            parsed = {}
        error = parsed.get("error") if isinstance(parsed, dict) else None
        if not isinstance(error, dict):
            error = {"message": body[:200].decode("utf-8", "replace").strip() or f"HTTP {status}"}
        return api_error(status, error, self.where, project=self.project, identity=self.identity, headers=headers)

    async def request(self, method: str, path: str, *, query: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
                      json: Any = None, data: bytes | None = None, headers: Mapping[str, str] | None = None,
                      ok: tuple[int, ...] = (200,), timeout: float | None = None,
                      ) -> tuple[int, Mapping[str, str], bytes]:
        """One request; returns (status, headers, body) for a status in `ok`, raises BackendError otherwise."""
        import aiohttp

        sent = dict(await self.authorizer.headers())
        if json is not None:
            data = orjson.dumps(json)
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        self.requests_sent += 1
        try:
            # No redirects: Google's APIs send none, and Cloud Storage's 308 means "resume incomplete".
            async with self.session().request(method, self.url(path, query), data=data, headers=sent,
                                              allow_redirects=False,
                                              timeout=aiohttp.ClientTimeout(total=timeout or self.timeout)) as response:
                body = await response.read()
                if response.status not in ok:
                    raise self.error(response.status, body, response.headers)
                return response.status, response.headers, body
        except Exception as exc:  # noqa: BLE001 - every failure is translated (cancellation passes through)
            raise translate(exc, self.where, hint_text(self.unreachable_hint), project=self.project,
                            identity=self.identity) from None

    async def call(self, method: str, path: str, *, query: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
                   json: Any = None) -> dict:
        """A JSON request answered with a JSON object (an empty body is `{}`)."""
        _status, _headers, body = await self.request(method, path, query=query, json=json)
        parsed = orjson.loads(body) if body else {}
        return parsed if isinstance(parsed, dict) else {}

    async def close(self) -> None:
        bound, self._bound = self._bound, None
        if bound is not None:
            with contextlib.suppress(Exception):  # closing never fails the caller
                await bound[1].close()
