"""The whole life of a tuned model through the real google-genai SDK against the emulator."""

from __future__ import annotations

import pytest
from google.genai import errors

from tests.emulator.helpers import classification_examples, create, create_body, raw, tiny_examples, wait_for


def test_create_poll_active_list_generate_rename_delete(emulator):
    client = emulator.client()
    examples = tiny_examples(12)
    operation = create(client, create_body(examples, "Colour Namer", epochCount=20, batchSize=5))

    name = operation["metadata"]["tunedModel"]
    assert name.startswith("tunedModels/colour-namer-")
    assert operation["name"].startswith(name + "/operations/")
    assert operation["metadata"]["totalSteps"] == 48  # ceil(12 * 20 / 5)
    assert "done" not in operation

    model = wait_for(client, name)
    assert model["state"] == "ACTIVE"
    task = model["tuningTask"]
    assert [s["step"] for s in task["snapshots"]] == list(range(1, 49))
    # a step belongs to the epoch its batch starts in: 12 examples, batches of 5
    assert [s["epoch"] for s in task["snapshots"][:8]] == [1, 1, 1, 2, 2, 3, 3, 3]
    assert task["snapshots"][-1]["epoch"] == 20
    assert all(s["meanLoss"] > 0 and s["computeTime"].endswith("Z") for s in task["snapshots"])
    assert task["hyperparameters"] == {"epochCount": 20, "batchSize": 5, "learningRate": 0.001}
    assert task["startTime"] <= task["completeTime"]
    assert "trainingData" not in task

    finished = raw(client, "get", operation["name"])
    assert finished["done"] is True
    assert finished["metadata"]["completedSteps"] == 48
    assert finished["metadata"]["completedPercent"] == 100
    assert finished["response"]["name"] == name
    assert finished["response"]["@type"].endswith("v1beta.TunedModel")

    listed = list(client.models.list(config={"query_base": False}))
    assert [m.name for m in listed] == [name]
    assert listed[0].display_name == "Colour Namer"

    typed = client.tunings.get(name=name)
    assert typed.state.name == "JOB_STATE_SUCCEEDED"

    answer = client.models.generate_content(model=name, contents="colour of item 2: blue", config={"temperature": 0})
    assert answer.text == "blue"
    assert answer.candidates[0].finish_reason.name == "STOP"
    assert answer.usage_metadata.prompt_token_count == len("colour of item 2: blue")

    renamed = client.models.update(model=name, config={"display_name": "Renamed", "description": "colours"})
    assert renamed.display_name == "Renamed"
    assert raw(client, "get", name)["description"] == "colours"

    client.models.delete(model=name)
    with pytest.raises(errors.ClientError) as caught:
        client.models.get(model=name)
    assert caught.value.code == 404 and caught.value.status == "NOT_FOUND"
    assert list(client.models.list(config={"query_base": False})) == []


def test_stream_generate_content_over_sse(emulator):
    client = emulator.client()
    examples = [{"textInput": f"say {w}", "output": w * 8} for w in ("alpha ", "bravo ", "delta ")] * 4
    name = create(client, create_body(examples, epochCount=25, batchSize=4))["metadata"]["tunedModel"]
    wait_for(client, name)
    whole = client.models.generate_content(model=name, contents="say bravo ", config={"temperature": 0}).text
    chunks = list(client.models.generate_content_stream(model=name, contents="say bravo ", config={"temperature": 0}))
    assert len(chunks) > 1
    assert "".join(c.text or "" for c in chunks) == whole
    assert whole == "bravo " * 8
    assert chunks[-1].usage_metadata.candidates_token_count == len(whole)


def test_trained_model_learns_the_classification_sample(emulator):
    """Defaults (5 epochs, batch 4, LR 0.001) on 4/5 of the sample; the rest is held out."""
    client = emulator.client()
    examples = classification_examples()
    train = [e for i, e in enumerate(examples) if i % 5 != 4]
    held_out = [e for i, e in enumerate(examples) if i % 5 == 4]
    body = create_body(train, "tickets", epochCount=5, batchSize=4, learningRate=0.001)
    name = create(client, body)["metadata"]["tunedModel"]
    model = wait_for(client, name, timeout=120)
    assert model["state"] == "ACTIVE"
    losses = [s["meanLoss"] for s in model["tuningTask"]["snapshots"]]
    per_epoch = len(losses) // 5
    assert sum(losses[-per_epoch:]) <= 0.2 * sum(losses[:per_epoch])

    def accuracy(rows):
        right = 0
        for row in rows:
            answer = client.models.generate_content(model=name, contents=row["textInput"], config={"temperature": 0})
            right += answer.text == row["output"]
        return right / len(rows)

    assert accuracy(train[::4]) >= 0.95
    assert accuracy(held_out) >= 0.80
