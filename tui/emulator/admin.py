"""Admin routes: health (no key), which server this is (`/_emulator/info`) and the test switches
(`/_emulator/config`), both with the key."""

from __future__ import annotations

import os
from typing import Any

from aiohttp import web

from tui.emulator.bodies import json_body, read_json
from tui.emulator.switches import apply_change, parse_change


def add_routes(routes: web.RouteTableDef, state: Any) -> None:
    async def health(request: web.Request) -> web.Response:
        return json_body({"status": "ok"})  # no key needed, so nothing about the process or its files

    async def info(request: web.Request) -> web.Response:
        return json_body({"pid": os.getpid(), "dataDir": str(state.root)})

    async def get_config(request: web.Request) -> web.Response:
        return json_body(state.config.public())

    async def set_config(request: web.Request) -> web.Response:
        change = parse_change(await read_json(request))  # the whole body is checked before anything changes
        apply_change(state.config, change)
        if "stepDelay" in change.model_fields_set:
            state.pool.set_step_delay(state.config.step_delay)
        return json_body(state.config.public())

    routes.get("/_emulator/health")(health)
    routes.get("/_emulator/info")(info)
    routes.get("/_emulator/config")(get_config)
    routes.post("/_emulator/config")(set_config)
