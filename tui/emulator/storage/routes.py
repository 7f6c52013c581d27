"""The Cloud Storage JSON API subset, served next to the tuning routes on the same port."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from tui.emulator.storage.store import OBJECT_STORE, ObjectStore


def setup(app: web.Application, root: Path) -> ObjectStore:
    """Open the object store under `<root>/storage` as `app[OBJECT_STORE]` (closed on cleanup)."""
    store = ObjectStore(root / "storage")
    app[OBJECT_STORE] = store

    async def close(app: web.Application) -> None:
        store.close()

    app.on_cleanup.append(close)
    return store
