"""The SDK's async client (what the app's job manager uses) against the emulator."""

from __future__ import annotations

import asyncio
import json

from tests.emulator.helpers import create_body, tiny_examples


async def test_async_create_poll_stream_and_delete(emulator):
    client = emulator.client().aio
    response = await client._api_client.async_request(
        "post", "tunedModels", create_body(tiny_examples(12), "async job", epochCount=25)
    )
    name = json.loads(response.body)["metadata"]["tunedModel"]
    for _ in range(600):
        model = json.loads((await client._api_client.async_request("get", name, {})).body)
        if model["state"] != "CREATING":
            break
        await asyncio.sleep(0.05)
    assert model["state"] == "ACTIVE"

    listed = [m.name async for m in await client.models.list(config={"query_base": False})]
    assert listed == [name]
    chunks = [
        c
        async for c in await client.models.generate_content_stream(
            model=name, contents="colour of item 3: gold", config={"temperature": 0}
        )
    ]
    assert "".join(c.text or "" for c in chunks) == "gold"
    answers = await asyncio.gather(
        *(
            client.models.generate_content(model=name, contents=f"colour of item {i}: red", config={"temperature": 0})
            for i in range(8)
        )
    )
    assert {a.text for a in answers} == {"red"}
    await client.models.delete(model=name)
    assert [m async for m in await client.models.list(config={"query_base": False})] == []
