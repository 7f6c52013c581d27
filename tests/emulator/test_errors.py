"""Every error answers in Google's envelope with the right status, through the real SDK."""

from __future__ import annotations

import json

import pytest
from google import genai
from google.genai import errors, types

from tests.emulator.helpers import create, create_body, raw, tiny_examples


def _error(call) -> errors.APIError:
    with pytest.raises(errors.APIError) as caught:
        call()
    error = caught.value
    body = error.details["error"]
    assert set(body) == {"code", "message", "status", "details"}
    assert body["code"] == error.code and body["status"] == error.status
    return error


def test_missing_and_wrong_api_key(emulator):
    wrong = genai.Client(
        api_key="not-the-key", http_options=types.HttpOptions(base_url=emulator.url, api_version="v1beta")
    )
    error = _error(lambda: list(wrong.models.list(config={"query_base": False})))
    assert (error.code, error.status) == (400, "INVALID_ARGUMENT")
    assert error.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    assert "not-the-key" not in error.message

    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{emulator.url}/v1beta/tunedModels")
    assert caught.value.code == 403
    assert b"CREDENTIALS_MISSING" in caught.value.read()

    with urllib.request.urlopen(f"{emulator.url}/v1beta/tunedModels?key={emulator.api_key}") as ok:
        assert ok.status == 200


def test_unknown_paths_are_404_like_the_real_api(emulator):
    client = emulator.client()
    name = create(client, create_body(tiny_examples()))["metadata"]["tunedModel"]
    error = _error(lambda: client.tunings.cancel(name=name))  # POST tunedModels/x:cancel
    assert (error.code, error.status) == (404, "NOT_FOUND")
    error = _error(lambda: raw(client, "post", f"{name}/operations/abc:cancel"))  # v1beta has no cancel binding
    assert error.code == 404
    error = _error(lambda: raw(client, "get", "tunedModels/does-not-exist"))
    assert error.code == 404 and "tunedModels/does-not-exist" in error.message


@pytest.mark.filterwarnings("ignore::google.genai._common.ExperimentalWarning")
def test_create_without_training_data_is_invalid_argument(emulator):
    client = emulator.client()
    error = _error(
        lambda: client.tunings.tune(
            base_model="models/gemini-1.5-flash-001-tuning",
            training_dataset=types.TuningDataset(examples=[types.TuningExample(text_input="1", output="2")] * 20),
            config=types.CreateTuningJobConfig(tuned_model_display_name="sdk tune", epoch_count=2),
        )
    )
    assert (error.code, error.status) == (400, "INVALID_ARGUMENT")
    assert "tuningTask.trainingData" in error.message


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("baseModel"), "baseModel"),
        (lambda b: b.update(baseModel="models/gemini-pro"), "baseModel"),
        (lambda b: b.update(displayName="x" * 41), "displayName"),
        (lambda b: b["tuningTask"]["trainingData"]["examples"]["examples"][3].pop("output"), "examples[3].output"),
        (lambda b: b["tuningTask"]["trainingData"]["examples"]["examples"][5].update(output=""), "examples[5].output"),
        (
            lambda b: b["tuningTask"]["trainingData"]["examples"]["examples"][2].update(textInput="x" * 40_001),
            "examples[2].textInput",
        ),
        (lambda b: b["tuningTask"]["hyperparameters"].update(epochCount=0), "hyperparameters.epochCount"),
        (lambda b: b["tuningTask"]["hyperparameters"].update(batchSize="four"), "hyperparameters.batchSize"),
        (lambda b: b["tuningTask"]["hyperparameters"].update(learningRate=-1), "hyperparameters.learningRate"),
        (lambda b: b["tuningTask"]["hyperparameters"].update(learningRateMultiplier=2), "learningRateMultiplier"),
        (lambda b: b.update(temperature=3), "temperature"),
        (lambda b: b.update(colour="red"), '"colour"'),
    ],
)
def test_validation_errors_name_the_field(emulator, mutate, field):
    client = emulator.client()
    body = create_body(tiny_examples())
    mutate(body)
    error = _error(lambda: create(client, body))
    assert (error.code, error.status) == (400, "INVALID_ARGUMENT")
    assert field in error.message


def test_tuned_model_id_rules(emulator):
    client = emulator.client()
    op = create(client, create_body(tiny_examples()), model_id="my-model-1")
    assert op["metadata"]["tunedModel"] == "tunedModels/my-model-1"
    error = _error(lambda: create(client, create_body(tiny_examples()), model_id="my-model-1"))
    assert (error.code, error.status) == (409, "ALREADY_EXISTS")
    error = _error(lambda: create(client, create_body(tiny_examples()), model_id="Bad_Id"))
    assert error.code == 400 and "tunedModelId" in error.message


def test_snake_case_input_is_accepted(emulator):
    client = emulator.client()
    body = {
        "display_name": "snake case",
        "base_model": "models/gemini-1.0-pro-001",
        "tuning_task": {
            "hyperparameters": {"batch_size": 2, "learning_rate": 0.002, "epoch_count": 1},
            "training_data": {"examples": {"examples": [{"text_input": "a", "output": "b"}] * 4}},
        },
    }
    op = create(client, body)
    assert op["metadata"]["totalSteps"] == 2
    model = raw(client, "get", op["metadata"]["tunedModel"])
    assert model["displayName"] == "snake case"
    assert model["tuningTask"]["hyperparameters"] == {"epochCount": 1, "batchSize": 2, "learningRate": 0.002}
    assert (model["temperature"], model["topP"], model["topK"]) == (0.9, 1.0, 1)


def test_deny_scopes_switch(emulator):
    client = emulator.client()
    emulator.configure(deny_scopes=True)
    error = _error(lambda: create(client, create_body(tiny_examples())))
    assert (error.code, error.status) == (403, "PERMISSION_DENIED")
    assert error.message == "Request had insufficient authentication scopes."
    assert error.details["error"]["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    raw(client, "get", "tunedModels")  # other calls still work
    emulator.configure(deny_scopes=False)
    assert create(client, create_body(tiny_examples()))["metadata"]["totalSteps"] == 6


def test_deny_scopes_flag(emulator_factory):
    client = emulator_factory(deny_scopes=True).client()
    assert _error(lambda: create(client, create_body(tiny_examples()))).code == 403


def test_fault_injection_with_retry_after(emulator):
    client = emulator.client()
    emulator.configure(fault_rate=1.0, fault_codes=[429])
    error = _error(lambda: raw(client, "get", "tunedModels"))
    assert (error.code, error.status) == (429, "RESOURCE_EXHAUSTED")
    emulator.configure(fault_codes=[503])
    error = _error(lambda: raw(client, "get", "tunedModels"))
    assert (error.code, error.status) == (503, "UNAVAILABLE")
    emulator.configure(fault_rate=0.5, fault_codes=[429, 503], fault_seed=7)
    outcomes = []
    for _ in range(40):
        try:
            raw(client, "get", "tunedModels")
            outcomes.append(200)
        except errors.APIError as exc:
            outcomes.append(exc.code)
    assert 5 < outcomes.count(200) < 35 and {429, 503} <= set(outcomes)
    emulator.configure(fault_rate=0)
    assert raw(client, "get", "tunedModels") == {}  # Google omits an empty list


def test_retry_after_header_and_sdk_retries(emulator_factory):
    emu = emulator_factory(fault_rate=0.5, fault_codes="429", fault_seed=3)
    import urllib.error
    import urllib.request

    seen = None
    for _ in range(20):
        try:
            urllib.request.urlopen(f"{emu.url}/v1beta/models?key={emu.api_key}")
        except urllib.error.HTTPError as exc:
            seen = exc
            break
    assert seen is not None and seen.code == 429 and seen.headers["Retry-After"] == "1"
    retrying = emu.client(retry_options=types.HttpRetryOptions(attempts=10, initial_delay=0.01, max_delay=0.02))
    for _ in range(5):
        assert raw(retrying, "get", "tunedModels") == {}


def test_generate_on_a_model_that_is_not_active(emulator):
    client = emulator.client()
    emulator.configure(step_delay=0.2)
    name = create(client, create_body(tiny_examples()))["metadata"]["tunedModel"]
    error = _error(lambda: client.models.generate_content(model=name, contents="hello"))
    assert (error.code, error.status) == (400, "FAILED_PRECONDITION")
    assert "CREATING" in error.message


def test_generate_request_checks(emulator):
    client = emulator.client()
    name = create(client, create_body(tiny_examples(), epochCount=1))["metadata"]["tunedModel"]
    from tests.emulator.helpers import wait_for

    wait_for(client, name)
    error = _error(
        lambda: client.models.generate_content(model=name, contents="x", config={"system_instruction": "be brief"})
    )
    assert error.code == 400 and "systemInstruction" in error.message
    error = _error(
        lambda: client.models.generate_content(
            model=name, contents="x", config={"response_mime_type": "application/json"}
        )
    )
    assert error.code == 400 and "JSON mode" in error.message
    error = _error(lambda: client.models.generate_content(model=name, contents="x", config={"candidate_count": 9}))
    assert error.code == 400 and "candidateCount" in error.message
    error = _error(lambda: client.models.generate_content(model="models/gemini-1.5-flash-001-tuning", contents="x"))
    assert error.code == 404


def test_malformed_bodies_and_methods(emulator):
    import urllib.error
    import urllib.request

    def call(method: str, path: str, data: bytes | None) -> tuple[int, dict]:
        headers = {"x-goog-api-key": emulator.api_key, "Content-Type": "application/json"}
        request = urllib.request.Request(f"{emulator.url}{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    status, body = call("POST", "/v1beta/tunedModels", b"{not json")
    assert (
        status == 400 and body["error"]["status"] == "INVALID_ARGUMENT" and "Invalid JSON" in body["error"]["message"]
    )
    status, body = call("POST", "/v1beta/tunedModels", b"[1, 2]")
    assert status == 400 and "tunedModel" in body["error"]["message"]
    status, body = call("PUT", "/v1beta/tunedModels/abc", b"{}")
    assert status == 404 and body["error"]["status"] == "NOT_FOUND"
    status, body = call("GET", "/v1/tunedModels", None)  # v1 has no tunedModels collection
    assert status == 404
    status, body = call("GET", "/nowhere", None)
    assert status == 404 and set(body["error"]) == {"code", "message", "status", "details"}


def test_nulls_mean_not_set(emulator):
    client = emulator.client()
    body = create_body(tiny_examples(4))
    body.update(description=None, temperature=None)
    body["tuningTask"]["trainingData"]["examples"]["examples"][0]["textInput"] = None
    model = raw(client, "get", create(client, body)["metadata"]["tunedModel"])
    assert model["temperature"] == 1.0 and "description" not in model
    body["tuningTask"]["trainingData"]["examples"]["examples"][1]["output"] = None
    error = _error(lambda: create(client, body))
    assert "examples[1].output" in error.message
