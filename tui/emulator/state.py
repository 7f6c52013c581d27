"""What every route module reads from the aiohttp application, under typed `web.AppKey`s.

`STATE` is the server's running state (data dir, SQLite store, trainer pool, weights
cache); `CONFIG` the test switches. A route module reads them with `request.app[STATE]`,
so a handler can be read alone and a new resource module only needs `add_routes(app)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from tui.emulator.generation import WeightsCache

if TYPE_CHECKING:
    from tui.emulator.pool import TrainingPool
    from tui.emulator.server import EmulatorConfig
    from tui.emulator.store import Store


@dataclass
class State:
    """The server's running state. `store` and `pool` exist once the application has started."""

    root: Path
    config: EmulatorConfig
    trainers: int
    _store: Store | None = None
    _pool: TrainingPool | None = None
    weights: WeightsCache = field(default_factory=WeightsCache)
    resumers: list[Callable[[], None]] = field(default_factory=list)  # more job kinds to resume on start

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the emulator's store is opened when the application starts")
        return self._store

    @property
    def pool(self) -> TrainingPool:
        if self._pool is None:
            raise RuntimeError("the trainer pool is started when the application starts")
        return self._pool

    async def start(self, app: web.Application) -> None:
        from tui.emulator.pool import TrainingPool
        from tui.emulator.store import Store

        self._store = Store(self.root / "state.sqlite3")
        self._pool = TrainingPool(self._store, self.root, self.trainers, lambda: self.config.step_delay)
        self._pool.start()

    def resume_interrupted(self) -> None:
        """Queue the jobs a previous server left training (called once the server listens)."""
        for model_id in self.store.ids_in_state("CREATING"):
            self.pool.submit(model_id)
        for resume in self.resumers:
            resume()

    async def stop(self, app: web.Application) -> None:
        if self._pool is not None:
            await self._pool.shutdown()
        if self._store is not None:
            self._store.close()


STATE = web.AppKey("state", State)
