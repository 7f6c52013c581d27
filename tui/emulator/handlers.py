"""Request handlers: base models, tuned models, generation and operations (the core of the API)."""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from tui.emulator import admin, permissions
from tui.emulator.bodies import json_body, read_json
from tui.emulator import resources as res
from tui.emulator.generation import WeightsCache, collect, generate, not_ready, parse_request, parse_text_request, response_json
from tui.emulator.paging import decode_token, encode_token, page_size, parse_filter
from tui.emulator.pool import TrainingPool
from tui.emulator.store import Store
from tui.emulator.wire import RPC_CODES, ApiError, error_info, failed_precondition, invalid, not_found, now, timestamp

MAX_STEPS = 1_000_000
MODEL_ID = r"{model_id:[a-z][a-z0-9-]*}"
OP_ID = r"{op_id:[a-z0-9]+}"
BASE = r"{base:[^/:]+}"


@dataclass
class State:
    root: Path
    config: Any
    trainers: int
    store: Store | None = None
    pool: TrainingPool | None = None
    weights: WeightsCache = field(default_factory=WeightsCache)

    async def start(self, app: web.Application) -> None:
        self.store = Store(self.root / "state.sqlite3")
        self.pool = TrainingPool(self.store, self.root, self.trainers, lambda: self.config.step_delay)
        self.pool.start()

    def resume_interrupted(self) -> None:
        """Queue the jobs a previous server left CREATING (called once the server listens)."""
        for model_id in self.store.ids_in_state("CREATING"):
            self.pool.submit(model_id)

    async def stop(self, app: web.Application) -> None:
        if self.pool is not None:
            await self.pool.shutdown()
        if self.store is not None:
            self.store.close()


def add_routes(app: web.Application, state: State) -> None:
    def store() -> Store:
        return state.store

    def record_of(request: web.Request) -> dict:
        model_id = request.match_info["model_id"]
        record = store().get_model(model_id)
        if record is None:
            raise not_found(f"Tuned model tunedModels/{model_id} does not exist.")
        return record

    def tuned_model(record: dict) -> dict:
        return res.tuned_model_json(record, store().snapshots(record["id"]))

    def operation_of(request: web.Request) -> dict:
        record = record_of(request)
        if request.match_info["op_id"] != record["operation_id"]:
            raise not_found(f"Operation tunedModels/{record['id']}/operations/{request.match_info['op_id']} does not exist.")
        return record

    # -- base models --------------------------------------------------------------------
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
            raise not_found(f"models/{request.match_info['base']} is not found for API version {request.path.split('/')[1]}.")
        return json_body(model)

    async def base_generate(request: web.Request) -> web.Response:
        name = f"models/{request.match_info['base']}"
        raise not_found(
            f"{name} is not found for API version {request.path.split('/')[1]}, or is not supported for "
            "generateContent. The local emulator answers only from tuned models: call tunedModels/{id}:generateContent."
        )

    # -- tuned models -------------------------------------------------------------------
    async def create(request: web.Request) -> web.Response:
        if state.config.deny_scopes:
            raise ApiError(
                403,
                "Request had insufficient authentication scopes.",
                details=[error_info("ACCESS_TOKEN_SCOPE_INSUFFICIENT", "ModelService.CreateTunedModel")],
            )
        fields, examples = res.parse_create(await read_json(request))
        source = None
        if fields["source_model"]:
            source = store().get_model(fields["source_model"].removeprefix("tunedModels/"))
            if source is None:
                raise invalid("tunedModelSource.tunedModel", f"{fields['source_model']} does not exist")
            if source["state"] != "ACTIVE":
                raise failed_precondition(f"tunedModelSource.tunedModel: {fields['source_model']} is {source['state']}; only an ACTIVE tuned model can be tuned further")
            fields["base_model"] = source["base_model"]
            for column in ("temperature", "top_p", "top_k"):
                fields.setdefault(column, source[column])
        steps = res.total_steps(len(examples), fields["hyperparameters"])
        if steps > MAX_STEPS:
            raise invalid("tuningTask.hyperparameters.epochCount", f"this job would take {steps} steps; the local emulator's limit is {MAX_STEPS}")
        wanted = request.query.get("tunedModelId")
        if wanted is not None:
            if not res.ID_PATTERN.fullmatch(wanted):
                raise invalid("tunedModelId", "must be 1-40 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen")
            if store().exists(wanted):
                raise ApiError(409, f"Tuned model tunedModels/{wanted} already exists.")
            model_id = wanted
        else:
            model_id = res.new_model_id(fields["display_name"])
            while store().exists(model_id):
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
                raise failed_precondition(f"tunedModelSource.tunedModel: the weights of {fields['source_model']} are missing")
            _link(state.pool.weights_path(source["id"]), state.pool.source_path(model_id))
        store().insert_model(record, examples)
        permissions.grant_owner(store(), model_id)
        state.pool.submit(model_id)
        return json_body(res.operation_json(record, [], created=True))

    async def list_tuned(request: web.Request) -> web.Response:
        size = page_size(request, 10)
        text = request.query.get("filter", "")
        terms, everyone = parse_filter(text)
        after = decode_token(request, {"pageSize": size, "filter": text})
        found: list[dict] = []
        more = False
        for record in store().list_models(after):
            haystack = f"{record['display_name']}\n{record['description']}".lower()
            if not all(term in haystack for term in terms):
                continue
            if everyone and not store().shared_with_everyone(record["id"]):
                continue
            if len(found) == size:
                more = True
                break
            found.append(record)
        body: dict = {"tunedModels": [tuned_model(r) for r in found]} if found else {}
        if more:
            body["nextPageToken"] = encode_token(found[-1]["seq"], {"pageSize": size, "filter": text})
        return json_body(body)

    async def get_tuned(request: web.Request) -> web.Response:
        return json_body(tuned_model(record_of(request)))

    async def patch_tuned(request: web.Request) -> web.Response:
        record = record_of(request)
        changes = res.parse_update(await read_json(request), request.query.get("updateMask"))
        store().update_model(record["id"], **changes, update_time=timestamp(now()))
        return json_body(tuned_model(store().get_model(record["id"])))

    async def delete_tuned(request: web.Request) -> web.Response:
        record = record_of(request)
        state.pool.forget(record["id"])
        store().delete_model(record["id"])
        state.weights.drop(state.pool.weights_path(record["id"]))
        return json_body({})

    async def sample(record: dict, gen) -> list:
        name = f"tunedModels/{record['id']}"
        if len(gen.prompt) > res.MAX_INPUT_CHARS:
            raise invalid("contents", f"the prompt is {len(gen.prompt)} characters; tuned models take at most {res.MAX_INPUT_CHARS}")
        if record["state"] != "ACTIVE":
            raise not_ready(name, record["state"])
        path = state.pool.weights_path(record["id"])
        if not path.exists():
            raise ApiError(500, f"The trained weights of {name} are missing from the emulator's data directory; tune it again.")
        return await asyncio.to_thread(lambda: list(generate(state.weights.get(path), gen)))

    async def generate_text(request: web.Request) -> web.Response:
        """The legacy PaLM call: `{prompt: {text}, temperature, ...}` -> `{candidates: [{output}]}`."""
        record = record_of(request)
        pieces = await sample(record, parse_text_request(await read_json(request), record, f"tunedModels/{record['id']}"))
        return json_body({"candidates": [{"output": p.text} for p in collect(iter(pieces))]})

    async def generate_content(request: web.Request) -> web.StreamResponse:
        record = record_of(request)
        name = f"tunedModels/{record['id']}"
        gen = parse_request(await read_json(request), record, name)
        pieces = await sample(record, gen)
        prompt_tokens = len(gen.prompt.encode("utf-8"))
        if not request.path.endswith(":streamGenerateContent"):
            return json_body(response_json(collect(iter(pieces)), prompt_tokens, name))
        chunks = [response_json([p], prompt_tokens, name, final=i == len(pieces) - 1) for i, p in enumerate(pieces)]
        if request.query.get("alt") != "sse":
            return json_body(chunks)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        for chunk in chunks:
            await response.write(b"data: " + orjson.dumps(chunk) + b"\r\n\r\n")
        await response.write_eof()
        return response

    # -- operations ---------------------------------------------------------------------
    def _done_filter(request: web.Request) -> bool | None:
        text = request.query.get("filter", "").replace(" ", "").lower()
        if text in ("",):
            return None
        if text in ("done=true", "done=false"):
            return text.endswith("true")
        raise invalid("filter", f"unsupported operations filter {request.query['filter']!r}; use done=true or done=false")

    def _operation(record: dict) -> dict:
        return res.operation_json(record, store().snapshots(record["id"]))

    async def get_operation(request: web.Request) -> web.Response:
        return json_body(_operation(operation_of(request)))

    async def list_operations(request: web.Request) -> web.Response:
        done = _done_filter(request)
        size = page_size(request, 10)
        query = {"pageSize": size, "filter": request.query.get("filter", "")}
        after = decode_token(request, query)
        if "model_id" in request.match_info:
            records = [record_of(request)] if after == 0 else []
        else:
            records = list(store().list_models(after))
        ops, more = [], False
        for record in records:
            if done is not None and (record["state"] in ("ACTIVE", "FAILED")) != done:
                continue
            if len(ops) == size:
                more = True
                break
            ops.append((record["seq"], _operation(record)))
        body: dict = {"operations": [op for _, op in ops]} if ops else {}
        if more:
            body["nextPageToken"] = encode_token(ops[-1][0], query)
        return json_body(body)

    async def cancel_operation(request: web.Request) -> web.Response:
        record = operation_of(request)
        if record["state"] != "CREATING":
            raise failed_precondition(f"Operation {res.operation_name(record)} has already finished (tuned model state {record['state']}).")
        if not state.pool.cancel(record["id"]):  # still waiting for a trainer: end it here
            stamp = timestamp(now())
            error = {"code": RPC_CODES["CANCELLED"], "message": "Operation cancelled by the caller before training started."}
            store().update_model(record["id"], state="FAILED", error=error, cancelled=1, complete_time=stamp, update_time=stamp)
            return json_body({})
        for _ in range(250):  # the trainer ends within a step; answer once it has
            await asyncio.sleep(0.02)
            current = store().get_model(record["id"])
            if current is None or current["state"] != "CREATING":
                break
        return json_body({})

    routes = web.RouteTableDef()
    for v in ("v1beta", "v1"):
        routes.get(f"/{v}/models")(list_models)
        routes.get(f"/{v}/models/{BASE}")(get_model)
        routes.post(f"/{v}/models/{BASE}:generateContent")(base_generate)
        routes.post(f"/{v}/models/{BASE}:streamGenerateContent")(base_generate)
        routes.post(f"/{v}/tunedModels/{MODEL_ID}:generateContent")(generate_content)
        routes.post(f"/{v}/tunedModels/{MODEL_ID}:streamGenerateContent")(generate_content)
        routes.get(f"/{v}/tunedModels/{MODEL_ID}/operations")(list_operations)
        routes.get(f"/{v}/tunedModels/{MODEL_ID}/operations/{OP_ID}")(get_operation)
    routes.post(f"/v1beta/tunedModels/{MODEL_ID}:generateText")(generate_text)
    routes.post("/v1beta/tunedModels")(create)
    routes.get("/v1beta/tunedModels")(list_tuned)
    routes.get(f"/v1beta/tunedModels/{MODEL_ID}")(get_tuned)
    routes.patch(f"/v1beta/tunedModels/{MODEL_ID}")(patch_tuned)
    routes.delete(f"/v1beta/tunedModels/{MODEL_ID}")(delete_tuned)
    routes.post(f"/v1/tunedModels/{MODEL_ID}/operations/{OP_ID}:cancel")(cancel_operation)
    routes.get("/v1/operations")(list_operations)
    admin.add_routes(routes, state)
    permissions.add_routes(routes, state)
    app.add_routes(routes)


def _link(source: Path, target: Path) -> None:
    """Keep the source model's weights for a job that starts from them (a hard link if possible)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
