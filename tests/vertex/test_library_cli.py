"""`tunedeck jobs cancel` and `tunedeck models list|rename|delete` on Vertex AI against the emulator: what a
cancel means (text and JSON), the registry's models with their endpoints, rename, and a delete that asks, then
removes the endpoints and the model. The emulator's state is read through its own API."""

from __future__ import annotations

import json

import pytest

from tests.cli_env import use_emulator
from tests.jobs.test_cli import run
from tests.vertex.test_cli import CLASSIFICATION
from tests.vertex.test_library import get


def use(emulator, tmp_path, monkeypatch):
    return use_emulator(emulator, tmp_path, monkeypatch)


@pytest.fixture
def slow_vertex(emulator_factory, tmp_path, monkeypatch):
    """Vertex on an emulator whose jobs train slowly enough to be cancelled."""
    return use(emulator_factory(step_delay=0.3), tmp_path, monkeypatch)


@pytest.fixture
def vertex(emulator, tmp_path, monkeypatch):
    return use(emulator, tmp_path, monkeypatch)


def launch(capsys, *extra) -> dict:
    code, out, err = run(capsys, "tune", CLASSIFICATION, "--epochs", "3", "--display-name", "tickets", "--json",
                         *extra)
    assert code == 0, err or out
    return json.loads(out)


def test_cancel_says_best_effort_the_bill_and_what_remains(slow_vertex, capsys):
    job = launch(capsys)
    code, out, err = run(capsys, "jobs", "cancel", job["id"])
    assert code == 0, err
    assert f"cancel requested for {job['name']}" in out
    assert "best-effort basis: the job may still finish," in out
    assert "Billing: tuning is billed by training tokens" in out and "Cloud Billing report" in out
    assert f"the tuning job's record: {job['name']}" in out and "no call to delete a tuning job" in out
    assert f"the uploaded dataset: {job['dataset_uri']}" in out and "gcloud storage rm" in out
    assert "No checkpoint exported yet" in out
    assert "relaunch with fewer epochs" in out
    status, body = get(slow_vertex, job["name"])
    assert status == 200 and body["state"] in ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED")


def test_cancel_json_carries_the_notice_beside_the_job(slow_vertex, capsys, monkeypatch):
    monkeypatch.setenv("TUNEDECK_TRAINING_PRICE", "5")  # dollars per million training tokens
    job = launch(capsys)
    code, out, err = run(capsys, "jobs", "cancel", job["id"], "--json")
    assert code == 0, err
    answer = json.loads(out)
    # Vertex AI reports the cancel itself: "cancelling" until the job stops (or succeeds anyway).
    assert answer["name"] == job["name"]
    assert answer["state"] == "CANCELLED" or (answer["state"] == "CREATING" and answer["sub_state"] == "cancelling")
    notice = answer["cancel"]
    assert "best-effort" in notice["best_effort"] and "training tokens" in notice["billing"]
    assert "at $5.00 / M at your price" in notice["billing"]
    remains = {r["what"]: r["where"] for r in notice["remains"]}
    assert remains["the tuning job's record"] == job["name"]
    assert remains["the uploaded dataset"] == job["dataset_uri"]
    assert get(slow_vertex, job["name"])[1]["state"] in ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED")

    code, out, _ = run(capsys, "jobs", "cancel", job["id"], "--json")  # cancelled already: said as JSON
    message = json.loads(out)["error"]["message"]
    assert code != 0 and ("already finished" in message or "JOB_STATE_CANCELLING" in message), message


def test_models_list_rename_and_delete_with_endpoints(vertex, capsys):
    code, out, err = run(capsys, "tune", CLASSIFICATION, "--epochs", "2", "--display-name", "tickets", "--watch",
                         "--json")
    assert code == 0, err
    code, out, _ = run(capsys, "jobs", "show", json.loads(out.splitlines()[0])["job"].rsplit("/", 1)[-1], "--json")
    job = json.loads(out)
    endpoints = [c["endpoint"] for c in job["checkpoints"]]

    code, out, _ = run(capsys, "models", "list", "--json")
    models = json.loads(out)
    assert code == 0 and len(models) == 1
    model = models[0]
    assert model["job"] == job["name"] and model["display_name"] == "tickets"
    assert model["base_model"] == "gemini-2.5-flash" and sorted(model["endpoints"]) == sorted(endpoints)
    code, out, _ = run(capsys, "models", "list")
    assert "ENDPOINTS" in out and all(e.rsplit("/", 1)[-1] in out for e in endpoints) and job["id"] in out

    code, out, _ = run(capsys, "models", "rename", model["id"], "x" * 41, "--json")
    assert code == 2 and "41 characters; at most 40 fit" in json.loads(out)["error"]["message"]
    code, out, _ = run(capsys, "models", "rename", job["id"], "tickets v2")
    assert code == 0 and "'tickets v2'" in out
    assert get(vertex, model["name"])[1]["displayName"] == "tickets v2"

    code, out, _ = run(capsys, "models", "delete", model["id"], "--json")  # not confirmed: nothing goes
    refused = json.loads(out)["error"]
    assert code == 2 and refused["kind"] == "not-confirmed" and "--yes" in refused["hint"]
    assert sorted(refused["plan"]["endpoints"]) == sorted(endpoints)
    assert get(vertex, model["name"])[0] == 200

    code, out, err = run(capsys, "models", "delete", model["id"], "--yes")
    assert code == 0, err
    assert "This deletes the tuned model “tickets v2”" in out and all(e in out for e in endpoints)
    assert out.count("  done: ") == 5 and "deleted " + model["name"] + " and 2 endpoints" in out
    done = [line.split(": ", 1)[1].split(" ")[0:2] for line in out.splitlines() if line.startswith("  done: ")]
    assert done == [["undeploy", "the"], ["delete", "endpoint"], ["undeploy", "the"], ["delete", "endpoint"],
                    ["delete", "model"]]
    assert get(vertex, model["name"])[0] == 404 and all(get(vertex, e)[0] == 404 for e in endpoints)
    assert get(vertex, job["name"])[0] == 200
    code, out, _ = run(capsys, "models", "list", "--json")
    assert json.loads(out) == []
