"""Gemini API generation from tuned models: `:generateContent`, `:streamGenerateContent`, `:generateText`."""

from __future__ import annotations

import asyncio

import orjson
from aiohttp import web

from tui.emulator import resources as res
from tui.emulator.bodies import json_body, read_json
from tui.emulator.generation import (
    GenerationRequest,
    Piece,
    collect,
    generate,
    not_ready,
    parse_request,
    parse_text_request,
    response_json,
)
from tui.emulator.routes.common import GEMINI_VERSIONS, MODEL_ID, tuned_record
from tui.emulator.state import STATE
from tui.emulator.wire import ApiError, invalid


async def sample(request: web.Request, record: dict, gen: GenerationRequest) -> list[Piece]:
    """Every piece the tuned model produces for `gen` (sampled in a thread)."""
    state = request.app[STATE]
    name = f"tunedModels/{record['id']}"
    if len(gen.prompt) > res.MAX_INPUT_CHARS:
        raise invalid(
            "contents", f"the prompt is {len(gen.prompt)} characters; tuned models take at most {res.MAX_INPUT_CHARS}"
        )
    if record["state"] != "ACTIVE":
        raise not_ready(name, record["state"])
    path = state.pool.weights_path(record["id"])
    if not path.exists():
        raise ApiError(
            500, f"The trained weights of {name} are missing from the emulator's data directory; tune it again."
        )
    return await asyncio.to_thread(lambda: list(generate(state.weights.get(path), gen)))


async def answer(request: web.Request, gen: GenerationRequest, pieces: list[Piece], name: str) -> web.StreamResponse:
    """The response: one body, a JSON array of chunks, or server-sent events (`?alt=sse`)."""
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


async def generate_text(request: web.Request) -> web.Response:
    """The legacy PaLM call: `{prompt: {text}, temperature, ...}` -> `{candidates: [{output}]}`."""
    record = tuned_record(request)
    gen = parse_text_request(await read_json(request), record, f"tunedModels/{record['id']}")
    pieces = await sample(request, record, gen)
    return json_body({"candidates": [{"output": p.text} for p in collect(iter(pieces))]})


async def generate_content(request: web.Request) -> web.StreamResponse:
    record = tuned_record(request)
    name = f"tunedModels/{record['id']}"
    gen = parse_request(await read_json(request), record, name)
    return await answer(request, gen, await sample(request, record, gen), name)


def add_routes(app: web.Application) -> None:
    routes = web.RouteTableDef()
    for v in GEMINI_VERSIONS:
        routes.post(f"/{v}/tunedModels/{MODEL_ID}:generateContent")(generate_content)
        routes.post(f"/{v}/tunedModels/{MODEL_ID}:streamGenerateContent")(generate_content)
    routes.post(f"/v1beta/tunedModels/{MODEL_ID}:generateText")(generate_text)
    app.add_routes(routes)
