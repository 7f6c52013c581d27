"""Requests Vertex refuses (400 INVALID_ARGUMENT with field violations) and datasets that fail the job."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from google.genai import errors, types

from tests.emulator.vertex_helpers import (
    PARENT,
    colour_records,
    contents_record,
    create_job,
    jsonl,
    rest,
    upload,
    vertex_client,
    wait_job,
)


def _violation(body: dict) -> tuple[str, str]:
    detail = next(d for d in body["error"]["details"] if d["@type"].endswith("google.rpc.BadRequest"))
    violation = detail["fieldViolations"][0]
    return violation["field"], violation["description"]


@pytest.fixture
def train_uri(emulator) -> str:
    return upload(emulator, "ok/train.jsonl", jsonl(colour_records(8)))


def test_unknown_base_model_names_the_field(emulator, train_uri):
    client = vertex_client(emulator)
    with pytest.raises(errors.ClientError) as caught:
        client.tunings.tune(base_model="gemini-1.0-pro-002", training_dataset=types.TuningDataset(gcs_uri=train_uri))
    assert caught.value.code == 400 and caught.value.status == "INVALID_ARGUMENT"
    field, description = _violation(caught.value.details)
    assert field == "baseModel" and "gemini-2.5-flash" in description


def test_adapter_size_per_base_model(emulator, train_uri):
    status, body = create_job(emulator, train_uri, base="gemini-2.5-pro", adapterSize="ADAPTER_SIZE_SIXTEEN")
    assert status == 400 and body["error"]["message"] == "The adapter size is not supported for this base model."
    field, description = _violation(body)
    assert field == "supervisedTuningSpec.hyperParameters.adapterSize" and "ADAPTER_SIZE_EIGHT" in description
    status, job = create_job(
        emulator, train_uri, base="gemini-2.5-flash", adapterSize="ADAPTER_SIZE_SIXTEEN", epochCount=1
    )
    assert status == 200 and job["supervisedTuningSpec"]["hyperParameters"]["adapterSize"] == "ADAPTER_SIZE_SIXTEEN"
    status, job = create_job(
        emulator,
        train_uri,
        base="publishers/google/models/gemini-2.5-pro-001",
        adapterSize="ADAPTER_SIZE_EIGHT",
        epochCount=1,
    )
    assert status == 200 and job["baseModel"] == "gemini-2.5-pro"


@pytest.mark.parametrize(
    ("hyperparameters", "field"),
    [
        ({"epochCount": 0}, "epochCount"),
        ({"epochCount": 101}, "epochCount"),
        ({"learningRateMultiplier": 0}, "learningRateMultiplier"),
        ({"learningRateMultiplier": 10.5}, "learningRateMultiplier"),
        ({"batchSize": 8}, "batchSize"),
        ({"adapterSize": "ADAPTER_SIZE_HUGE"}, "adapterSize"),
    ],
)
def test_hyperparameters_out_of_range(emulator, train_uri, hyperparameters, field):
    status, body = create_job(emulator, train_uri, **hyperparameters)
    assert status == 400 and body["error"]["status"] == "INVALID_ARGUMENT"
    assert _violation(body)[0] == f"supervisedTuningSpec.hyperParameters.{field}"


def test_dataset_objects_are_checked_at_create(emulator, train_uri):
    status, body = create_job(emulator, "gs://tuning-data/missing.jsonl")
    assert status == 400 and "does not exist" in body["error"]["message"]
    assert _violation(body)[0] == "supervisedTuningSpec.trainingDatasetUri"
    json_uri = upload(emulator, "train.json", b'[{"contents": []}]')
    status, body = create_job(emulator, json_uri)
    assert status == 400 and "of type JSONL" in _violation(body)[1]
    text_uri = upload(emulator, "notes.jsonl", b"just some notes\nmore notes\n")
    status, body = create_job(emulator, text_uri)
    assert status == 400 and "not JSONL: line 1" in _violation(body)[1]
    too_many = upload(emulator, "big/val.jsonl", jsonl([contents_record("q", "a")] * 5001))
    status, body = create_job(emulator, train_uri, too_many)
    assert status == 400 and _violation(body)[0] == "supervisedTuningSpec.validationDatasetUri"
    assert "5000" in _violation(body)[1]
    enough = upload(emulator, "big/val5000.jsonl", jsonl([contents_record("q", "a")] * 5000))
    assert create_job(emulator, train_uri, enough, epochCount=1)[0] == 200
    status, body = create_job(emulator, "https://example.com/train.jsonl")
    assert status == 400 and "gs://" in _violation(body)[1]


def test_snake_case_and_unknown_fields(emulator, train_uri):
    body = {
        "base_model": "gemini-2.5-flash",
        "supervised_tuning_spec": {"training_dataset_uri": train_uri, "hyper_parameters": {"epoch_count": "1"}},
    }
    status, job = rest(emulator, "POST", f"{PARENT}/tuningJobs", body)
    assert status == 200 and job["supervisedTuningSpec"]["hyperParameters"]["epochCount"] == "1"
    status, job = rest(emulator, "POST", f"{PARENT}/tuningJobs", {**body, "flavour": "x"})
    assert status == 400 and 'Unknown name "flavour"' in job["error"]["message"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, 'no "contents"'),
        (
            {"contents": [{"role": "model", "parts": [{"text": "a"}]}, {"role": "user", "parts": [{"text": "q"}]}]},
            "roles out of order",
        ),
        (
            {"contents": [{"role": "user", "parts": [{"text": "q"}]}, {"role": "user", "parts": [{"text": "q"}]}]},
            "roles out of order",
        ),
        (
            {
                "contents": [
                    {"role": "user", "parts": [{"fileData": {"fileUri": "gs://x/y.png"}}]},
                    {"role": "model", "parts": [{"text": "a"}]},
                ]
            },
            "text parts only",
        ),
    ],
)
def test_content_errors_fail_the_job_naming_the_line(emulator, line, expected):
    records = [json.dumps(r) for r in colour_records(4)]
    records.insert(2, json.dumps(line))
    uri = upload(emulator, "bad/train.jsonl", ("\n".join(records) + "\n").encode())
    status, job = create_job(emulator, uri, epochCount=1)
    assert status == 200
    job = wait_job(emulator, job["name"])
    assert job["state"] == "JOB_STATE_FAILED" and job["error"]["code"] == 3
    assert f"{uri} line 3" in job["error"]["message"] and expected in job["error"]["message"]
    assert "tunedModel" not in job


def test_an_example_over_the_token_limit_is_dropped_and_reported(emulator):
    records = colour_records(6)
    records.insert(3, contents_record("x" * 530_000, "long"))  # about 132,500 tokens
    uri = upload(emulator, "long/train.jsonl", jsonl(records))
    job = wait_job(emulator, create_job(emulator, uri, epochCount=1)[1]["name"])
    assert job["state"] == "JOB_STATE_SUCCEEDED"
    stats = job["tuningDataStats"]["supervisedTuningDataStats"]
    assert stats["tuningDatasetExampleCount"] == "6" and stats["totalTruncatedExampleCount"] == "1"
    assert stats["truncatedExampleIndices"] == ["4"] and "limit is 131072" in stats["droppedExampleReasons"][0]


def test_vertex_routes_need_a_bearer_token(emulator):
    request = urllib.request.Request(f"{emulator.url}/v1beta1/{PARENT}/tuningJobs")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 401
    assert json.loads(caught.value.read())["error"]["status"] == "UNAUTHENTICATED"
