"""Tuned models and their endpoints: `endpoints/E:generateContent`, `:streamGenerateContent`, `models/M`.

Each checkpoint of a tuned model is deployed to its own endpoint and answers with that
checkpoint's weights; the model's endpoint is its default (last) checkpoint's. A Model can be
listed (`GET models`, paged), read, renamed (`PATCH` with the required `updateMask`:
`displayName`, `description`, `labels`) and deleted. As on Vertex AI, a model cannot be
deleted while an endpoint serves it, nor an endpoint while a model is deployed on it (400
FAILED_PRECONDITION naming what is in the way): undeploy (`:undeployModel`; the endpoint then
answers generateContent with 400 FAILED_PRECONDITION), delete the endpoints, then the model.
Deletes and undeploys answer an operation that is already done (`GET operations/{id}` reads
it again). Base models (`publishers/google/models/...`) do not generate here.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from tui.emulator.bodies import json_body
from tui.emulator.generation import GenerationRequest, generate, parse_request
from tui.emulator.resources import as_object, as_text
from tui.emulator.routes.generation import answer
from tui.emulator.state import STATE
from tui.emulator.vertex.common import DIGITS, VERTEX, new_id, parent_of, parents, read_body
from tui.emulator.vertex.contents import ContentProblem, parse_turns, prompt_of, system_text
from tui.emulator.vertex.runner import checkpoint_path
from tui.emulator.vertex.validate import MAX_DESCRIPTION, MAX_DISPLAY_NAME
from tui.emulator.wire import ApiError, failed_precondition, invalid, not_found, stamp

ENDPOINT = "{endpoint:" + DIGITS + "}"
MODEL = "{model:" + DIGITS + r"(?:@[0-9]+)?}"
MAX_PROMPT_CHARS = 500_000
DEFAULT_PAGE, MAX_PAGE = 100, 1000


def _endpoint(request: web.Request) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(endpoint row, its model, endpoint name) or 404."""
    project, location, parent = parent_of(request)
    name = f"{parent}/endpoints/{request.match_info['endpoint']}"
    db = request.app[VERTEX].db
    row = db.endpoint(request.match_info["endpoint"])
    model = db.model(row["model_id"]) if row is not None else None
    if row is None or model is None or (row["project"], row["location"]) != (project, location):
        raise not_found(f"Endpoint `{name}` not found.")
    return row, model, name


def _generation(body: Any, name: str) -> GenerationRequest:
    """A Vertex GenerateContentRequest as the emulator's sampler takes it (prompt built as in training)."""
    body = as_object(body, "request")
    try:
        turns = parse_turns(body.get("contents"))
        system = system_text(body.get("systemInstruction"))
    except ContentProblem as exc:
        raise invalid("contents", str(exc)) from None
    if turns[-1][0] != "user":
        raise invalid("contents", "the last turn must be the user's (the model answers it)")
    prompt = prompt_of(turns, system)
    if len(prompt) > MAX_PROMPT_CHARS:
        raise invalid(
            "contents", f"the prompt is {len(prompt)} characters; the local emulator takes at most {MAX_PROMPT_CHARS}"
        )
    defaults = {"temperature": 1.0, "top_k": None, "top_p": None}
    simple = {
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "generationConfig": body.get("generationConfig"),
    }
    return parse_request(simple, defaults, name)


async def generate_content(request: web.Request) -> web.StreamResponse:
    row, model, name = _endpoint(request)
    vertex = request.app[VERTEX]
    gen = _generation(await read_body(request), name)
    if not row["deployed"]:
        raise failed_precondition(f"Endpoint `{name}` has no deployed model; deploy one, or use another endpoint.")
    path = checkpoint_path(vertex.job_dir(model["job_id"]), row["checkpoint_id"])
    if not path.exists():
        raise ApiError(500, f"The weights behind {name} are missing from the emulator's data directory; tune again.")
    weights = request.app[STATE].weights
    pieces = await asyncio.to_thread(lambda: list(generate(weights.get(path), gen)))
    version = f"projects/{model['project']}/locations/{model['location']}/models/{model['id']}@1"
    return await answer(request, gen, pieces, version)


async def base_generate(request: web.Request) -> web.Response:
    raise not_found(
        f"Publisher model `{request.match_info['base']}` answers only on Google. The local emulator generates from "
        "tuned models: call the tuned model's endpoint (tunedModel.endpoint of the tuning job)."
    )


# -- models -----------------------------------------------------------------------------
def model_json(model: dict[str, Any], endpoints: list[dict[str, Any]]) -> dict[str, Any]:
    parent = f"projects/{model['project']}/locations/{model['location']}"
    by_checkpoint = {e["checkpoint_id"]: e["id"] for e in endpoints if e["deployed"]}
    body: dict[str, Any] = {
        "name": f"{parent}/models/{model['id']}",
        "displayName": model["display_name"],
        "versionId": "1",
        "versionAliases": ["default"],
        "createTime": model["create_time"],
        "updateTime": model["update_time"],
        "versionCreateTime": model["create_time"],
        "versionUpdateTime": model["update_time"],
        "baseModelSource": {"genieSource": {"baseModelUri": model["base_model"]}},
        "deployedModels": [
            {"endpoint": f"{parent}/endpoints/{by_checkpoint[c['checkpointId']]}",
             "deployedModelId": by_checkpoint[c["checkpointId"]], "checkpointId": c["checkpointId"]}
            for c in model["checkpoints"]
            if c["checkpointId"] in by_checkpoint
        ],
        "checkpoints": [{k: c[k] for k in ("checkpointId", "epoch", "step")} for c in model["checkpoints"]],
        "defaultCheckpointId": model["default_checkpoint"],
        "labels": {**model["labels"], "tune-type": "sft"},
    }
    if model["description"]:
        body["description"] = model["description"]
    return body


def _model(request: web.Request) -> dict[str, Any]:
    project, location, parent = parent_of(request)
    model_id = request.match_info["model"].partition("@")[0]
    model = request.app[VERTEX].db.model(model_id)
    if model is None or (model["project"], model["location"]) != (project, location):
        raise not_found(f"Model {parent}/models/{request.match_info['model']} does not exist.")
    return model


async def get_model(request: web.Request) -> web.Response:
    model = _model(request)
    return json_body(model_json(model, request.app[VERTEX].db.endpoints_of(model["id"])))


async def list_models(request: web.Request) -> web.Response:
    """`GET models?pageSize=&pageToken=`: the models of a project and location, newest first."""
    project, location, _parent = parent_of(request)
    db = request.app[VERTEX].db
    size = page_size(request.query.get("pageSize"))
    start = page_start(request.query.get("pageToken"))
    rows = db.models(project, location)
    page = rows[start : start + size]
    body: dict[str, Any] = {"models": [model_json(m, db.endpoints_of(m["id"])) for m in page]}
    if start + size < len(rows):
        body["nextPageToken"] = str(start + size)
    return json_body(body)


def page_size(text: str | None) -> int:
    if not text:
        return DEFAULT_PAGE
    if not text.isdigit() or int(text) < 1:
        raise invalid("pageSize", f"must be a positive number, not {text!r}")
    return min(int(text), MAX_PAGE)


def page_start(token: str | None) -> int:
    if not token:
        return 0
    if not token.isdigit():
        raise invalid("pageToken", "is not a token this server gave out; start again without it")
    return int(token)


async def patch_model(request: web.Request) -> web.Response:
    model = _model(request)
    body = as_object(await read_body(request), "model")
    mask = [p.strip() for p in request.query.get("updateMask", "").split(",") if p.strip()]
    if not mask:
        raise invalid("updateMask", "is required: name the fields to change, e.g. updateMask=displayName")
    changes: dict[str, Any] = {}
    for path in mask:
        key = {"display_name": "displayName"}.get(path, path)
        if key == "displayName":
            changes["display_name"] = as_text(body.get("displayName") or "", "displayName", MAX_DISPLAY_NAME)
            if not changes["display_name"]:
                raise invalid("displayName", "must not be empty")
        elif key == "description":
            changes["description"] = as_text(body.get("description") or "", "description", MAX_DESCRIPTION)
        elif key == "labels":
            changes["labels"] = {str(k): str(v) for k, v in as_object(body.get("labels") or {}, "labels").items()}
        elif key in ("name", "versionId", "createTime", "updateTime"):
            continue
        else:
            raise invalid("updateMask", f"{path} cannot be changed here; use displayName, description or labels")
    if changes:
        request.app[VERTEX].db.update_model(model["id"], **changes, update_time=stamp())
    return await get_model(request)


async def delete_model(request: web.Request) -> web.Response:
    model = _model(request)
    vertex = request.app[VERTEX]
    parent = parent_of(request)[2]
    serving = [f"{parent}/endpoints/{e['id']}" for e in vertex.db.endpoints_of(model["id"]) if e["deployed"]]
    if serving:
        raise failed_precondition(
            f"Model {parent}/models/{model['id']} cannot be deleted: it is deployed at the following endpoints: "
            f"{', '.join(serving)}. Undeploy it from them first."
        )
    vertex.db.delete_model(model["id"])
    weights = request.app[STATE].weights
    for checkpoint in model["checkpoints"]:
        path = checkpoint_path(vertex.job_dir(model["job_id"]), checkpoint["checkpointId"])
        weights.drop(path)
        path.unlink(missing_ok=True)
    return json_body(done_operation(request, "DeleteOperationMetadata"))


def done_operation(request: web.Request, metadata: str) -> dict[str, Any]:
    """A finished long-running operation (kept so `GET operations/{id}` can read it again)."""
    moment = stamp()
    name = f"{parent_of(request)[2]}/operations/{new_id()}"
    operation: dict[str, Any] = {
        "name": name,
        "metadata": {
            "@type": f"type.googleapis.com/google.cloud.aiplatform.v1.{metadata}",
            "genericMetadata": {"createTime": moment, "updateTime": moment},
        },
        "done": True,
        "response": {"@type": "type.googleapis.com/google.protobuf.Empty"},
    }
    request.app[VERTEX].operations[name] = operation
    return operation


async def get_operation(request: web.Request) -> web.Response:
    name = f"{parent_of(request)[2]}/operations/{request.match_info['operation']}"
    operation = request.app[VERTEX].operations.get(name)
    if operation is None:
        raise not_found(f"Operation {name} does not exist.")
    return json_body(operation)


async def undeploy_model(request: web.Request) -> web.Response:
    row, _, name = _endpoint(request)
    wanted = str(as_object(await read_body(request), "request").get("deployedModelId") or "")
    if not row["deployed"] or wanted != row["id"]:
        raise invalid("deployedModelId", f"{wanted or 'nothing'} is not deployed at {name}")
    request.app[VERTEX].db.undeploy(row["id"])
    return json_body(done_operation(request, "UndeployModelOperationMetadata"))


async def delete_endpoint(request: web.Request) -> web.Response:
    row, _model_row, name = _endpoint(request)
    if row["deployed"]:
        raise failed_precondition(
            f"Endpoint {name} cannot be deleted: it has a deployed model (id {row['id']}). Undeploy it first."
        )
    request.app[VERTEX].db.delete_endpoint(row["id"])
    return json_body(done_operation(request, "DeleteOperationMetadata"))


async def get_endpoint(request: web.Request) -> web.Response:
    row, model, name = _endpoint(request)
    parent = parent_of(request)[2]
    return json_body(
        {
            "name": name,
            "displayName": f"{model['display_name']} checkpoint {row['checkpoint_id']}",
            "deployedModels": [
                {
                    "id": row["id"],
                    "model": f"{parent}/models/{model['id']}",
                    "modelVersionId": "1",
                    "checkpointId": row["checkpoint_id"],
                    "createTime": row["create_time"],
                }
            ]
            if row["deployed"]
            else [],
            "createTime": row["create_time"],
            "updateTime": row["create_time"],
        }
    )


def add_routes(app: web.Application) -> None:
    for prefix in parents():
        app.router.add_get(f"{prefix}/endpoints/{ENDPOINT}", get_endpoint)
        app.router.add_delete(f"{prefix}/endpoints/{ENDPOINT}", delete_endpoint)
        app.router.add_post(f"{prefix}/endpoints/{ENDPOINT}:undeployModel", undeploy_model)
        app.router.add_get(prefix + "/operations/{operation:[0-9]+}", get_operation)
        app.router.add_post(f"{prefix}/endpoints/{ENDPOINT}:generateContent", generate_content)
        app.router.add_post(f"{prefix}/endpoints/{ENDPOINT}:streamGenerateContent", generate_content)
        app.router.add_post(prefix + "/publishers/google/models/{base:[^/:]+}:generateContent", base_generate)
        app.router.add_post(prefix + "/publishers/google/models/{base:[^/:]+}:streamGenerateContent", base_generate)
        app.router.add_get(f"{prefix}/models", list_models)
        app.router.add_get(f"{prefix}/models/{MODEL}", get_model)
        app.router.add_patch(f"{prefix}/models/{MODEL}", patch_model)
        app.router.add_delete(f"{prefix}/models/{MODEL}", delete_model)
