"""Paging and filters of list calls: pageSize, opaque page tokens, the tuned-model filter."""

from __future__ import annotations

import base64
import shlex

import orjson
from aiohttp import web

from tui.emulator.wire import invalid


def page_size(request: web.Request, default: int) -> int:
    raw = request.query.get("pageSize", "")
    if raw == "":
        return default
    try:
        size = int(raw)
    except ValueError:
        raise invalid("pageSize", f"must be an integer, got {raw!r}") from None
    if size < 0:
        raise invalid("pageSize", f"must not be negative, got {size}")
    return min(size or default, 1000)


def encode_token(after: int, query: dict) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"after": after, **query})).decode().rstrip("=")


def decode_token(request: web.Request, query: dict) -> int:
    token = request.query.get("pageToken", "")
    if not token:
        return 0
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        after = int(data.pop("after"))
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError, orjson.JSONDecodeError):
        raise invalid("pageToken", "is not a token this server gave out; start again without pageToken") from None
    if not 0 <= after < 2**63:  # a SQLite integer; anything else was not given out here
        raise invalid("pageToken", "is not a token this server gave out; start again without pageToken")
    if data != query:
        raise invalid("pageToken", "belongs to a request with another pageSize or filter; send the same or start again")
    return after


def parse_filter(text: str) -> tuple[list[str], bool]:
    """Full-text terms of a tuned-model filter, and whether only models shared with everyone match."""
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise invalid("filter", f"cannot be parsed ({exc})") from None
    terms, everyone = [], False
    for token in tokens:
        if ":" in token:
            if token in ("owner:me", "writers:me", "readers:me"):
                continue  # every model here belongs to the caller
            if token == "readers:everyone":
                everyone = True
                continue
            known = "owner:me, writers:me, readers:me or readers:everyone"
            raise invalid("filter", f"unknown operator {token!r}; use {known}")
        terms.append(token.lower())
    return terms, everyone
