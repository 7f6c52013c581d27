"""generateContent settings on a trained model: sampling, limits, candidates, streaming shapes."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.emulator.helpers import create, create_body, wait_for
from tui.emulator.process import start_emulator

PHRASES = {"north": "the cold wind blows from the north", "south": "warm rain falls in the south"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    emu = start_emulator(tmp_path_factory.mktemp("generation"), port=0)
    try:
        client = emu.client()
        examples = [{"textInput": f"weather {k}", "output": v} for k, v in PHRASES.items()] * 8
        name = create(client, create_body(examples, "weather", epochCount=30, batchSize=4))["metadata"]["tunedModel"]
        assert wait_for(client, name)["state"] == "ACTIVE"
        yield emu, client, name
    finally:
        emu.stop()


def test_greedy_answer_is_the_trained_output(trained):
    _, client, name = trained
    for key, phrase in PHRASES.items():
        answer = client.models.generate_content(model=name, contents=f"weather {key}", config={"temperature": 0})
        assert answer.text == phrase
        assert answer.model_version == name


def test_max_output_tokens_cuts_the_answer(trained):
    _, client, name = trained
    answer = client.models.generate_content(
        model=name, contents="weather north", config={"temperature": 0, "max_output_tokens": 8}
    )
    assert answer.text == PHRASES["north"][:8]
    assert answer.candidates[0].finish_reason.name == "MAX_TOKENS"
    assert answer.usage_metadata.candidates_token_count == 8


def test_candidates_and_seeded_sampling(trained):
    _, client, name = trained
    config = {"temperature": 2.0, "top_k": 0, "top_p": 1.0, "candidate_count": 4, "seed": -11, "max_output_tokens": 30}
    first = client.models.generate_content(model=name, contents="weather south", config=config)
    again = client.models.generate_content(model=name, contents="weather south", config=config)
    assert len(first.candidates) == 4
    assert [c.content.parts[0].text for c in first.candidates] == [c.content.parts[0].text for c in again.candidates]
    greedy = client.models.generate_content(model=name, contents="weather south", config={**config, "temperature": 0})
    assert {c.content.parts[0].text for c in greedy.candidates} == {PHRASES["south"][:30]}


def test_top_k_one_is_greedy_at_any_temperature(trained):
    _, client, name = trained
    answer = client.models.generate_content(
        model=name, contents="weather north", config={"temperature": 2.0, "top_k": 1}
    )
    assert answer.text == PHRASES["north"]


def test_stop_sequences(trained):
    _, client, name = trained
    answer = client.models.generate_content(
        model=name, contents="weather north", config={"temperature": 0, "stop_sequences": ["wind"]}
    )
    assert answer.text == "the cold "
    assert answer.candidates[0].finish_reason.name == "STOP"


def test_stream_without_sse_is_a_json_array(trained):
    emu, _, name = trained
    request = urllib.request.Request(
        f"{emu.url}/v1beta/{name}:streamGenerateContent",
        data=json.dumps(
            {
                "contents": [{"role": "user", "parts": [{"text": "weather south"}]}],
                "generationConfig": {"temperature": 0},
            }
        ).encode(),
        headers={"x-goog-api-key": emu.api_key, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        chunks = json.loads(response.read())
    assert isinstance(chunks, list) and len(chunks) >= 2
    assert "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks) == PHRASES["south"]
    assert "usageMetadata" in chunks[-1] and "usageMetadata" not in chunks[0]


def test_sse_events_are_data_lines(trained):
    emu, _, name = trained
    request = urllib.request.Request(
        f"{emu.url}/v1beta/{name}:streamGenerateContent?alt=sse",
        data=json.dumps(
            {"contents": [{"parts": [{"text": "weather north"}]}], "generationConfig": {"temperature": 0}}
        ).encode(),
        headers={"x-goog-api-key": emu.api_key, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        events = [e for e in response.read().decode().split("\r\n\r\n") if e]
    assert all(e.startswith("data: ") for e in events)
    texts = [json.loads(e[6:])["candidates"][0]["content"]["parts"][0]["text"] for e in events]
    assert "".join(texts) == PHRASES["north"]


def test_generate_from_v1_too(trained):
    emu, _, name = trained
    client = emu.client()
    answer = client.models.generate_content(
        model=name, contents="weather north", config={"temperature": 0, "http_options": {"api_version": "v1"}}
    )
    assert answer.text == PHRASES["north"]


def test_legacy_generate_text(trained):
    _emu, client, name = trained
    from tests.emulator.helpers import raw

    answer = raw(
        client,
        "post",
        f"{name}:generateText",
        {"prompt": {"text": "weather south"}, "temperature": 0, "candidateCount": 2},
    )
    assert answer == {"candidates": [{"output": PHRASES["south"]}, {"output": PHRASES["south"]}]}
    with pytest.raises(Exception, match=r"prompt\.text"):
        raw(client, "post", f"{name}:generateText", {"prompt": "weather south"})
