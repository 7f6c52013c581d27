"""Raw HTTP for the Cloud Storage and auth tests: one request, status + headers + body, nothing hidden."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def call(base: str, method: str, path: str, body=None, headers: dict | None = None, token: str | None = None) -> Reply:
    """`method path` against `base` (http://host:port); `token` becomes `Authorization: Bearer`.

    `body` may be bytes, a dict (sent as JSON) or an iterable of bytes (sent chunked, never joined).
    """
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    if isinstance(body, dict):
        body = json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=body, headers=sent, encode_chunked=body is not None
                     and not isinstance(body, (bytes, bytearray)) and "Content-Length" not in sent)
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def bucket(emu, name: str, project: str = "emu-project") -> dict:
    reply = call(emu.url, "POST", f"/storage/v1/b?project={project}", {"name": name}, token=emu.api_key)
    assert reply.status == 200, reply.body
    return reply.json()
