"""Gemini API operations: the CreateTunedModel operation of each tuned model (get, list, cancel)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from tui.emulator import resources as res
from tui.emulator.bodies import json_body
from tui.emulator.paging import decode_token, encode_token, page_size
from tui.emulator.routes.common import GEMINI_VERSIONS, MODEL_ID, OP_ID, tuned_record
from tui.emulator.state import STATE
from tui.emulator.wire import RPC_CODES, failed_precondition, invalid, not_found, now, timestamp


def operation_record(request: web.Request) -> dict:
    record = tuned_record(request)
    if request.match_info["op_id"] != record["operation_id"]:
        raise not_found(
            f"Operation tunedModels/{record['id']}/operations/{request.match_info['op_id']} does not exist."
        )
    return record


def done_filter(request: web.Request) -> bool | None:
    text = request.query.get("filter", "").replace(" ", "").lower()
    if text == "":
        return None
    if text in ("done=true", "done=false"):
        return text.endswith("true")
    raise invalid("filter", f"unsupported operations filter {request.query['filter']!r}; use done=true or done=false")


def _operation(request: web.Request, record: dict) -> dict:
    return res.operation_json(record, request.app[STATE].store.snapshots_json(record["id"]))


async def get_operation(request: web.Request) -> web.Response:
    return json_body(_operation(request, operation_record(request)))


async def list_operations(request: web.Request) -> web.Response:
    done = done_filter(request)
    size = page_size(request, 10)
    query = {"pageSize": size, "filter": request.query.get("filter", "")}
    after = decode_token(request, query)
    if "model_id" in request.match_info:
        records = [tuned_record(request)] if after == 0 else []
    else:
        records = list(request.app[STATE].store.list_models(after))
    ops: list[tuple[int, dict]] = []
    more = False
    for record in records:
        if done is not None and (record["state"] in ("ACTIVE", "FAILED")) != done:
            continue
        if len(ops) == size:
            more = True
            break
        ops.append((record["seq"], _operation(request, record)))
    body: dict = {"operations": [op for _, op in ops]} if ops else {}
    if more:
        body["nextPageToken"] = encode_token(ops[-1][0], query)
    return json_body(body)


async def cancel_operation(request: web.Request) -> web.Response:
    state = request.app[STATE]
    record = operation_record(request)
    if record["state"] != "CREATING":
        raise failed_precondition(
            f"Operation {res.operation_name(record)} has already finished (tuned model state {record['state']})."
        )
    if not state.pool.cancel(record["id"]):  # still waiting for a trainer: end it here
        stamp = timestamp(now())
        error = {
            "code": RPC_CODES["CANCELLED"],
            "message": "Operation cancelled by the caller before training started.",
        }
        state.store.update_model(
            record["id"], state="FAILED", error=error, cancelled=1, complete_time=stamp, update_time=stamp
        )
        return json_body({})
    for _ in range(250):  # the trainer ends within a step; answer once it has
        await asyncio.sleep(0.02)
        current = state.store.get_model(record["id"])
        if current is None or current["state"] != "CREATING":
            break
    return json_body({})


def add_routes(app: web.Application) -> None:
    routes = web.RouteTableDef()
    for v in GEMINI_VERSIONS:
        routes.get(f"/{v}/tunedModels/{MODEL_ID}/operations")(list_operations)
        routes.get(f"/{v}/tunedModels/{MODEL_ID}/operations/{OP_ID}")(get_operation)
    routes.post(f"/v1/tunedModels/{MODEL_ID}/operations/{OP_ID}:cancel")(cancel_operation)
    routes.get("/v1/operations")(list_operations)
    app.add_routes(routes)
