"""Gemini API models: the base models (`/v1beta/models`) and tuned models (`/v1beta/tunedModels`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from aiohttp import web

from tui.emulator import resources as res
from tui.emulator.bodies import json_body, off_loop, read_json
from tui.emulator.paging import decode_token, encode_token, page_size, parse_filter
from tui.emulator.routes import permissions
from tui.emulator.routes.common import BASE, GEMINI_VERSIONS, MODEL_ID, tuned_record
from tui.emulator.state import STATE
from tui.emulator.wire import ApiError, error_info, failed_precondition, invalid, not_found, now, timestamp

MAX_STEPS = 1_000_000


def _tuned_model(request: web.Request, record: dict) -> dict:
    return res.tuned_model_json(record, request.app[STATE].store.snapshots_json(record["id"]))


# -- base models --------------------------------------------------------------------------
async def list_models(request: web.Request) -> web.Response:
    size = page_size(request, 50)
    after = decode_token(request, {"pageSize": size})
    page = res.BASE_MODELS[after : after + size]
    body: dict = {"models": page} if page else {}
    if after + size < len(res.BASE_MODELS):
        body["nextPageToken"] = encode_token(after + size, {"pageSize": size})
    return json_body(body)


async def get_model(request: web.Request) -> web.Response:
    model = res.find_base_model(request.match_info["base"])
    if model is None:
        raise not_found(
            f"models/{request.match_info['base']} is not found for API version {request.path.split('/')[1]}."
        )
    return json_body(model)


async def base_generate(request: web.Request) -> web.Response:
    name = f"models/{request.match_info['base']}"
    raise not_found(
        f"{name} is not found for API version {request.path.split('/')[1]}, or is not supported for "
        "generateContent. The local emulator answers only from tuned models: call tunedModels/{id}:generateContent."
    )


# -- tuned models -------------------------------------------------------------------------
async def create(request: web.Request) -> web.Response:
    state = request.app[STATE]
    store = state.store
    if state.config.deny_scopes:
        raise ApiError(
            403,
            "Request had insufficient authentication scopes.",
            details=[error_info("ACCESS_TOKEN_SCOPE_INSUFFICIENT", "ModelService.CreateTunedModel")],
        )
    fields, examples = await off_loop(request, res.parse_create, await read_json(request))  # large: in a thread
    source = None
    if fields["source_model"]:
        source = store.get_model(fields["source_model"].removeprefix("tunedModels/"))
        if source is None:
            raise invalid("tunedModelSource.tunedModel", f"{fields['source_model']} does not exist")
        if source["state"] != "ACTIVE":
            raise failed_precondition(
                f"tunedModelSource.tunedModel: {fields['source_model']} is {source['state']}; "
                "only an ACTIVE tuned model can be tuned further"
            )
        fields["base_model"] = source["base_model"]
        for column in ("temperature", "top_p", "top_k"):
            fields.setdefault(column, source[column])
    steps = res.total_steps(len(examples), fields["hyperparameters"])
    if steps > MAX_STEPS:
        raise invalid(
            "tuningTask.hyperparameters.epochCount",
            f"this job would take {steps} steps; the local emulator's limit is {MAX_STEPS}",
        )
    wanted = request.query.get("tunedModelId")
    if wanted is not None:
        if not res.ID_PATTERN.fullmatch(wanted):
            raise invalid(
                "tunedModelId",
                "must be 1-40 characters: lowercase letters, digits and hyphens, "
                "starting with a letter and not ending with a hyphen",
            )
        if store.exists(wanted):
            raise ApiError(409, f"Tuned model tunedModels/{wanted} already exists.")
        model_id = wanted
    else:
        model_id = res.new_model_id(fields["display_name"])
        while store.exists(model_id):
            model_id = res.new_model_id(fields["display_name"])
    stamp = timestamp(now())
    record = {
        "id": model_id, "operation_id": res.new_operation_id(), "state": "CREATING",
        "create_time": stamp, "update_time": stamp, "start_time": None, "complete_time": None,
        "example_count": len(examples), "total_steps": steps, "completed_steps": 0, "error": None, "cancelled": 0,
        **fields,
    }  # fmt: skip
    if source is not None:
        if not state.pool.weights_path(source["id"]).exists():
            raise failed_precondition(
                f"tunedModelSource.tunedModel: the weights of {fields['source_model']} are missing"
            )
        link_weights(state.pool.weights_path(source["id"]), state.pool.source_path(model_id))
    store.insert_model(record, examples)
    permissions.grant_owner(store, model_id)
    state.pool.submit(model_id)
    return json_body(res.operation_json(record, [], created=True))


async def list_tuned(request: web.Request) -> web.Response:
    store = request.app[STATE].store
    size = page_size(request, 10)
    text = request.query.get("filter", "")
    terms, everyone = parse_filter(text)
    after = decode_token(request, {"pageSize": size, "filter": text})
    found: list[dict] = []
    more = False
    for record in store.list_models(after):
        haystack = f"{record['display_name']}\n{record['description']}".lower()
        if not all(term in haystack for term in terms):
            continue
        if everyone and not store.shared_with_everyone(record["id"]):
            continue
        if len(found) == size:
            more = True
            break
        found.append(record)
    body: dict = {"tunedModels": [_tuned_model(request, r) for r in found]} if found else {}
    if more:
        body["nextPageToken"] = encode_token(found[-1]["seq"], {"pageSize": size, "filter": text})
    return json_body(body)


async def get_tuned(request: web.Request) -> web.Response:
    return json_body(_tuned_model(request, tuned_record(request)))


async def patch_tuned(request: web.Request) -> web.Response:
    store = request.app[STATE].store
    record = tuned_record(request)
    changes = res.parse_update(await read_json(request), request.query.get("updateMask"))
    store.update_model(record["id"], **changes, update_time=timestamp(now()))
    return json_body(_tuned_model(request, store.get_model(record["id"]) or record))


async def delete_tuned(request: web.Request) -> web.Response:
    state = request.app[STATE]
    record = tuned_record(request)
    state.pool.forget(record["id"])
    state.store.delete_model(record["id"])
    state.weights.drop(state.pool.weights_path(record["id"]))
    return json_body({})


def link_weights(source: Path, target: Path) -> None:
    """Keep the source model's weights for a job that starts from them (a hard link if possible)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def add_routes(app: web.Application) -> None:
    routes = web.RouteTableDef()
    for v in GEMINI_VERSIONS:
        routes.get(f"/{v}/models")(list_models)
        routes.get(f"/{v}/models/{BASE}")(get_model)
        routes.post(f"/{v}/models/{BASE}:generateContent")(base_generate)
        routes.post(f"/{v}/models/{BASE}:streamGenerateContent")(base_generate)
    routes.post("/v1beta/tunedModels")(create)
    routes.get("/v1beta/tunedModels")(list_tuned)
    routes.get(f"/v1beta/tunedModels/{MODEL_ID}")(get_tuned)
    routes.patch(f"/v1beta/tunedModels/{MODEL_ID}")(patch_tuned)
    routes.delete(f"/v1beta/tunedModels/{MODEL_ID}")(delete_tuned)
    app.add_routes(routes)
