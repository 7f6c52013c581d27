"""Admin routes: health (no key) and the test switches (`/_emulator/config`, with the key)."""

from __future__ import annotations

import os
import random

from aiohttp import web

from tui.emulator.bodies import json_body, read_json
from tui.emulator.resources import as_integer, as_number
from tui.emulator.state import STATE
from tui.emulator.wire import invalid

SWITCHES = ("denyScopes", "faultRate", "faultCodes", "stepDelay", "faultSeed")


async def health(request: web.Request) -> web.Response:
    return json_body({"status": "ok", "pid": os.getpid(), "dataDir": str(request.app[STATE].root)})


async def get_config(request: web.Request) -> web.Response:
    return json_body(request.app[STATE].config.public())


async def set_config(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await read_json(request)
    if not isinstance(body, dict):
        raise invalid("", "the body must be a JSON object")
    config = state.config
    for key in body:
        if key not in SWITCHES:
            raise invalid(key, "unknown switch; use denyScopes, faultRate, faultCodes, stepDelay or faultSeed")
    if "denyScopes" in body:
        config.deny_scopes = bool(body["denyScopes"])
    if "faultRate" in body:
        config.fault_rate = as_number(body["faultRate"], "faultRate", 0.0, 1.0)
    if "faultCodes" in body:
        codes = body["faultCodes"]
        if not isinstance(codes, list) or not codes:
            raise invalid("faultCodes", "must be a non-empty list of HTTP status codes")
        config.fault_codes = tuple(as_integer(c, "faultCodes", 400, 599) for c in codes)
    if "faultSeed" in body:
        config.fault_seed = body["faultSeed"]
        config.rng = random.Random(config.fault_seed)
    if "stepDelay" in body:
        config.step_delay = as_number(body["stepDelay"], "stepDelay", 0.0, 60.0)
        state.pool.set_step_delay(config.step_delay)
    return json_body(config.public())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/_emulator/health", health)
    app.router.add_get("/_emulator/config", get_config)
    app.router.add_post("/_emulator/config", set_config)
