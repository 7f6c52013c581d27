"""What the Vertex route modules share: path patterns, resource ids, request bodies, the app keys."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from tui.emulator.wire import ApiError, camel

if TYPE_CHECKING:
    from tui.emulator.vertex.runner import VertexRunner
    from tui.emulator.vertex.store import VertexStore

VERSIONS = ("v1", "v1beta1")
PROJECT = r"{project:[^/:]+}"
LOCATION = r"{location:[^/:]+}"
DIGITS = r"[0-9]+"
_KEEP_KEYS = {"labels", "metadata"}  # maps whose keys are the user's, not field names


def parents() -> list[str]:
    """`/v1/projects/{project}/locations/{location}` and the v1beta1 twin, as route prefixes."""
    return [f"/{v}/projects/{PROJECT}/locations/{LOCATION}" for v in VERSIONS]


def parent_of(request: web.Request) -> tuple[str, str, str]:
    """(project, location, "projects/P/locations/L") of a request."""
    project, location = request.match_info["project"], request.match_info["location"]
    return project, location, f"projects/{project}/locations/{location}"


def new_id() -> str:
    """A numeric resource id, as Vertex gives out (19 digits)."""
    return str(10**18 + secrets.randbelow(9 * 10**18))


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {camel(k): (v if k in _KEEP_KEYS else _camel(v)) for k, v in value.items() if isinstance(k, str)}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


async def read_body(request: web.Request) -> Any:
    """The JSON body with field names camel-cased (label keys kept); an empty body is `{}`."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        return _camel(orjson.loads(raw))
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"Invalid JSON payload received. {exc}") from exc


@dataclass
class Vertex:
    """The Vertex side of the server: its store and the pool runner (set when the app starts)."""

    root: Path
    store: VertexStore | None = None
    runner: VertexRunner | None = None
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)  # finished operations, by name

    @property
    def db(self) -> VertexStore:
        if self.store is None:
            raise RuntimeError("the Vertex store is opened when the application starts")
        return self.store

    def job_dir(self, job_id: str) -> Path:
        return self.root / "vertex" / job_id


VERTEX = web.AppKey("vertex", Vertex)
