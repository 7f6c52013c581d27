"""Admin routes: health (no key), which server this is (`/_emulator/info`) and the test switches
(`/_emulator/config`), both with the key."""

from __future__ import annotations

import os

from aiohttp import web

from tui.emulator.bodies import json_body, read_json
from tui.emulator.state import STATE
from tui.emulator.switches import apply_change, parse_change


async def health(request: web.Request) -> web.Response:
    return json_body({"status": "ok"})  # no key needed, so nothing about the process or its files


async def info(request: web.Request) -> web.Response:
    return json_body({"pid": os.getpid(), "dataDir": str(request.app[STATE].root)})


async def get_config(request: web.Request) -> web.Response:
    return json_body(request.app[STATE].config.public())


async def set_config(request: web.Request) -> web.Response:
    state = request.app[STATE]
    change = parse_change(await read_json(request))  # the whole body is checked before anything changes
    apply_change(state.config, change)
    if "stepDelay" in change.model_fields_set:
        state.pool.set_step_delay(state.config.step_delay)
    return json_body(state.config.public())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/_emulator/health", health)
    app.router.add_get("/_emulator/info", info)
    app.router.add_get("/_emulator/config", get_config)
    app.router.add_post("/_emulator/config", set_config)
