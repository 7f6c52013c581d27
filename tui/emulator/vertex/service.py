"""The Vertex side of the server: its store, its pool runner and its route modules."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from tui.emulator.state import STATE
from tui.emulator.vertex import endpoints, jobs, tensorboard
from tui.emulator.vertex.common import VERTEX, Vertex
from tui.emulator.vertex.runner import PREFIX, VertexRunner
from tui.emulator.vertex.store import VertexStore

ROUTE_MODULES = (jobs, tensorboard, endpoints)


def setup(app: web.Application, root: Path) -> Vertex:
    """Register the Vertex routes; the store opens and the runner joins the pool when the app starts."""
    vertex = Vertex(root)
    app[VERTEX] = vertex

    async def start(app: web.Application) -> None:
        (root / "vertex").mkdir(parents=True, exist_ok=True)
        vertex.store = VertexStore(root / "vertex.sqlite3")
        runner = vertex.runner = VertexRunner(vertex)
        state = app[STATE]
        state.pool.add_runner(PREFIX, runner)
        state.resumers.append(lambda: runner.resume_interrupted(state.pool.submit))

    async def close(app: web.Application) -> None:
        if vertex.store is not None:
            vertex.store.close()

    app.on_startup.append(start)
    app.on_cleanup.append(close)
    for module in ROUTE_MODULES:
        module.add_routes(app)
    return vertex
