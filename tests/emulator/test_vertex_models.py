"""Tuned models and endpoints: checkpoint endpoints answer with their own weights; rename and delete."""

from __future__ import annotations

import asyncio

from google.genai import types

from tests.emulator.vertex_helpers import (
    PARENT,
    colour_records,
    create_job,
    jsonl,
    rest,
    upload,
    vertex_client,
    wait_job,
)


def _tuned(emu, epochs: int = 6) -> dict:
    train = upload(emu, "c/train.jsonl", jsonl(colour_records(16)))
    job = wait_job(emu, create_job(emu, train, epochCount=epochs)[1]["name"])
    assert job["state"] == "JOB_STATE_SUCCEEDED", job
    return job


def test_each_checkpoint_endpoint_answers_with_its_own_weights(emulator):
    job = _tuned(emulator)
    tuned = job["tunedModel"]
    prompt = {
        "contents": [{"role": "user", "parts": [{"text": "colour of item 5: green"}]}],
        "generationConfig": {"temperature": 0},
    }
    answers = {}
    for checkpoint in tuned["checkpoints"]:
        status, body = rest(emulator, "POST", f"{checkpoint['endpoint']}:generateContent", prompt)
        assert status == 200, body
        answers[checkpoint["checkpointId"]] = body["candidates"][0]
    assert len({a["avgLogprobs"] for a in answers.values()}) == len(answers)  # six sets of weights
    status, final = rest(emulator, "POST", f"{tuned['endpoint']}:generateContent", prompt)
    assert final["candidates"][0] == answers[tuned["checkpoints"][-1]["checkpointId"]]
    assert final["candidates"][0]["content"]["parts"][0]["text"] == "green"
    assert final["modelVersion"] == tuned["model"]
    # the later checkpoints are surer of the right answer than the first
    assert answers["6"]["avgLogprobs"] > answers["1"]["avgLogprobs"]


def test_a_system_instruction_and_async_calls(emulator):
    job = _tuned(emulator, epochs=3)
    client = vertex_client(emulator)

    async def ask() -> tuple[str, str]:
        config = types.GenerateContentConfig(temperature=0, system_instruction="Answer with one word.")
        one = await client.aio.models.generate_content(
            model=job["tunedModel"]["endpoint"], contents="colour of item 2: blue", config=config
        )
        pieces = []
        async for chunk in await client.aio.models.generate_content_stream(
            model=job["tunedModel"]["endpoint"], contents="colour of item 2: blue", config=config
        ):
            pieces.append(chunk.text or "")
        got = await client.aio.tunings.get(name=job["name"])
        assert got.state == types.JobState.JOB_STATE_SUCCEEDED
        assert [j.name async for j in await client.aio.tunings.list()] == [job["name"]]
        return one.text, "".join(pieces)

    text, streamed = asyncio.run(ask())
    assert text == streamed


def test_model_read_rename_delete(emulator):
    job = _tuned(emulator, epochs=2)
    model = job["tunedModel"]["model"]
    status, body = rest(emulator, "GET", model)
    assert status == 200 and body["name"] == model.partition("@")[0] and body["versionId"] == "1"
    assert [c["checkpointId"] for c in body["checkpoints"]] == ["1", "2"] and body["defaultCheckpointId"] == "2"
    status, unmasked = rest(emulator, "PATCH", model.partition("@")[0], {"displayName": "colours"})
    assert status == 400 and "updateMask" in unmasked["error"]["message"]  # the mask is required, as on Vertex
    status, renamed = rest(
        emulator, "PATCH", model.partition("@")[0] + "?updateMask=displayName", {"displayName": "colours"}
    )
    assert status == 200 and renamed["displayName"] == "colours"
    assert rest(emulator, "GET", model, version="v1")[1]["displayName"] == "colours"
    endpoint = job["tunedModel"]["endpoint"]
    assert rest(emulator, "GET", endpoint)[1]["deployedModels"][0]["checkpointId"] == "2"
    status, refused = rest(emulator, "DELETE", model)  # still served: Vertex refuses
    assert status == 400 and refused["error"]["status"] == "FAILED_PRECONDITION" and endpoint in refused["error"][
        "message"]
    for deployed in body["deployedModels"]:
        status, refused = rest(emulator, "DELETE", deployed["endpoint"])  # a model is deployed there
        assert status == 400 and refused["error"]["status"] == "FAILED_PRECONDITION"
        assert rest(emulator, "POST", f"{deployed['endpoint']}:undeployModel",
                    {"deployedModelId": deployed["deployedModelId"]})[0] == 200
        assert rest(emulator, "DELETE", deployed["endpoint"])[0] == 200
    status, operation = rest(emulator, "DELETE", model)
    assert status == 200 and operation["done"] is True
    assert rest(emulator, "GET", model)[0] == 404
    prompt = {"contents": [{"role": "user", "parts": [{"text": "colour of item 1: green"}]}]}
    status, gone = rest(emulator, "POST", f"{endpoint}:generateContent", prompt)
    assert status == 404 and gone["error"]["status"] == "NOT_FOUND" and endpoint in gone["error"]["message"]
    for checkpoint in job["tunedModel"]["checkpoints"]:
        assert rest(emulator, "POST", f"{checkpoint['endpoint']}:generateContent", prompt)[0] == 404
    assert rest(emulator, "GET", job["name"])[1]["tunedModel"] == job["tunedModel"]  # the job keeps its record


def test_unknown_endpoints_and_base_models_do_not_generate(emulator):
    prompt = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    status, body = rest(emulator, "POST", f"{PARENT}/endpoints/123:generateContent", prompt)
    assert status == 404 and "Endpoint" in body["error"]["message"]
    status, body = rest(emulator, "POST", f"{PARENT}/publishers/google/models/gemini-2.5-flash:generateContent", prompt)
    assert status == 404 and "tuned model" in body["error"]["message"]


def test_undeploy_and_delete_endpoints_then_the_model(emulator):
    job = _tuned(emulator, epochs=2)
    prompt = {"contents": [{"role": "user", "parts": [{"text": "colour of item 1: green"}]}]}
    first, last = (c["endpoint"] for c in job["tunedModel"]["checkpoints"])
    deployed = rest(emulator, "GET", first)[1]["deployedModels"][0]
    assert deployed["model"] == job["tunedModel"]["model"].partition("@")[0]
    assert rest(emulator, "POST", f"{first}:undeployModel", {"deployedModelId": "42"})[0] == 400
    status, operation = rest(emulator, "POST", f"{first}:undeployModel", {"deployedModelId": deployed["id"]})
    assert status == 200 and operation["done"] is True
    assert rest(emulator, "GET", operation["name"])[1] == operation
    assert rest(emulator, "GET", first)[1]["deployedModels"] == []
    status, refused = rest(emulator, "POST", f"{first}:generateContent", prompt)
    assert status == 400 and refused["error"]["status"] == "FAILED_PRECONDITION"
    model = rest(emulator, "GET", job["tunedModel"]["model"])[1]
    assert [d["endpoint"] for d in model["deployedModels"]] == [last]
    assert rest(emulator, "DELETE", first)[0] == 200
    assert rest(emulator, "GET", first)[0] == 404
    assert rest(emulator, "POST", f"{last}:generateContent", prompt)[0] == 200  # the other checkpoint still serves
    assert rest(emulator, "DELETE", job["tunedModel"]["model"])[0] == 400  # `last` still serves it
    last_id = rest(emulator, "GET", last)[1]["deployedModels"][0]["id"]
    assert rest(emulator, "POST", f"{last}:undeployModel", {"deployedModelId": last_id})[0] == 200
    assert rest(emulator, "DELETE", last)[0] == 200
    assert rest(emulator, "DELETE", job["tunedModel"]["model"])[0] == 200
    assert rest(emulator, "POST", f"{last}:generateContent", prompt)[0] == 404


def test_models_list_pages_newest_first_with_their_endpoints(emulator):
    first, second = _tuned(emulator, epochs=1), _tuned(emulator, epochs=2)
    status, page = rest(emulator, "GET", f"{PARENT}/models?pageSize=1")
    assert status == 200 and len(page["models"]) == 1 and page["nextPageToken"]
    status, rest_of = rest(emulator, "GET", f"{PARENT}/models?pageSize=1&pageToken={page['nextPageToken']}")
    assert status == 200 and "nextPageToken" not in rest_of
    names = [m["name"] for m in page["models"] + rest_of["models"]]
    assert names == [j["tunedModel"]["model"].partition("@")[0] for j in (second, first)]
    listed = page["models"][0]
    assert {d["endpoint"] for d in listed["deployedModels"]} == {c["endpoint"] for c in
                                                                  second["tunedModel"]["checkpoints"]}
    assert all(d["deployedModelId"] for d in listed["deployedModels"])
    assert rest(emulator, "GET", f"{PARENT}/models?pageSize=0")[0] == 400
    assert rest(emulator, "GET", "projects/other/locations/us-central1/models")[1] == {"models": []}
