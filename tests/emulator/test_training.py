"""Training as a process: progress, cancel, delete, restarts, several jobs at once."""

from __future__ import annotations

import time

import pytest
from google.genai import errors

from tests.emulator.helpers import create, create_body, raw, tiny_examples, wait_for, wait_steps


def _cancel(client, op_name: str) -> dict:
    return raw(client, "post", f"{op_name}:cancel", {}, http_options={"api_version": "v1"})


def test_progress_is_visible_while_training(emulator_factory):
    emu = emulator_factory(step_delay=0.05)
    client = emu.client()
    op = create(client, create_body(tiny_examples(12), epochCount=4, batchSize=2))
    name = op["metadata"]["tunedModel"]
    model = wait_steps(client, name, 3)
    assert model["state"] == "CREATING" and "completeTime" not in model["tuningTask"]
    running = raw(client, "get", op["name"])
    assert "done" not in running and "response" not in running and "error" not in running
    meta = running["metadata"]
    assert meta["totalSteps"] == 24 and 3 <= meta["completedSteps"] < 24
    assert meta["completedPercent"] == pytest.approx(100 * meta["completedSteps"] / 24, abs=0.01)
    assert len(meta["snapshots"]) == meta["completedSteps"]
    emu.configure(step_delay=0)
    assert wait_for(client, name)["state"] == "ACTIVE"


def test_cancel_mid_run_keeps_the_weights_and_reports_cancelled(emulator_factory):
    emu = emulator_factory(step_delay=0.05)
    client = emu.client()
    op = create(client, create_body(tiny_examples(12), epochCount=10))
    name = op["metadata"]["tunedModel"]
    wait_steps(client, name, 3)
    assert _cancel(client, op["name"]) == {}
    model = raw(client, "get", name)
    steps = len(model["tuningTask"]["snapshots"])
    assert model["state"] == "ACTIVE" and 3 <= steps < 30
    operation = raw(client, "get", op["name"])
    assert operation["done"] is True and "response" not in operation
    assert operation["error"]["code"] == 1 and "cancelled" in operation["error"]["message"]
    assert operation["metadata"]["completedSteps"] == steps
    time.sleep(0.2)
    assert len(raw(client, "get", name)["tuningTask"]["snapshots"]) == steps  # it really stopped
    client.models.generate_content(model=name, contents="colour of item 1: green")  # usable, quality unknown
    with pytest.raises(errors.ClientError) as caught:
        _cancel(client, op["name"])
    assert caught.value.code == 400 and caught.value.status == "FAILED_PRECONDITION"


def test_cancel_before_training_starts_fails_the_model(emulator_factory):
    emu = emulator_factory(step_delay=0.2, trainers=1)
    client = emu.client()
    first = create(client, create_body(tiny_examples(), epochCount=20))
    queued = create(client, create_body(tiny_examples()))
    _cancel(client, queued["name"])
    model = raw(client, "get", queued["metadata"]["tunedModel"])
    assert model["state"] == "FAILED" and "snapshots" not in model["tuningTask"]
    assert raw(client, "get", queued["name"])["error"]["code"] == 1
    _cancel(client, first["name"])


def test_delete_while_training(emulator_factory):
    emu = emulator_factory(step_delay=0.05)
    client = emu.client()
    name = create(client, create_body(tiny_examples(), epochCount=20))["metadata"]["tunedModel"]
    wait_steps(client, name, 2)
    client.models.delete(model=name)
    with pytest.raises(errors.ClientError):
        raw(client, "get", name)
    deadline = time.monotonic() + 10  # the trainer process stops at its next step
    while time.monotonic() < deadline and list(emu.data_dir.glob("*/*.npz")):
        time.sleep(0.1)
    assert not list((emu.data_dir / "models").glob("*.npz"))
    assert not list((emu.data_dir / "checkpoints").glob("*.npz"))


def test_clean_restart_resumes_from_the_checkpoint(emulator_factory):
    emu = emulator_factory(step_delay=0.05)
    client = emu.client()
    op = create(client, create_body(tiny_examples(12), epochCount=6, batchSize=2))
    name = op["metadata"]["tunedModel"]
    before = wait_steps(client, name, 5)["tuningTask"]["snapshots"]
    emu.stop()
    assert not (emu.data_dir / "server.json").exists()

    again = emulator_factory(data_dir=emu.data_dir)
    client = again.client()
    kept = raw(client, "get", name)["tuningTask"]["snapshots"]
    assert kept[: len(before)] == before  # nothing learnt before the stop is lost
    model = wait_for(client, name)
    snapshots = model["tuningTask"]["snapshots"]
    assert model["state"] == "ACTIVE"
    assert [s["step"] for s in snapshots] == list(range(1, 37))
    assert snapshots[: len(before)] == before


def test_crash_restart_never_leaves_the_job_creating(emulator_factory):
    emu = emulator_factory(step_delay=0.05)
    client = emu.client()
    name = create(client, create_body(tiny_examples(12), epochCount=6, batchSize=2))["metadata"]["tunedModel"]
    before = wait_steps(client, name, 4)["tuningTask"]["snapshots"]
    emu.kill()
    # The orphaned trainer notices its server is gone and checkpoints before it exits.
    checkpoint = emu.data_dir / "checkpoints" / f"{name.removeprefix('tunedModels/')}.npz"
    deadline = time.monotonic() + 30  # generous: a loaded machine delays the trainer's exit
    while not checkpoint.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert checkpoint.exists()
    time.sleep(0.3)  # let it finish exiting

    again = emulator_factory(data_dir=emu.data_dir)
    client = again.client()
    model = wait_for(client, name)
    assert model["state"] == "ACTIVE"
    snapshots = model["tuningTask"]["snapshots"]
    assert [s["step"] for s in snapshots] == list(range(1, 37))
    assert snapshots[: len(before)] == before  # resumed, not retrained: same compute times


def test_damaged_checkpoint_fails_with_a_clear_message(emulator_factory):
    emu = emulator_factory(step_delay=0.05)
    client = emu.client()
    op = create(client, create_body(tiny_examples(12), epochCount=6, batchSize=2))
    name = op["metadata"]["tunedModel"]
    wait_steps(client, name, 4)
    emu.stop()
    checkpoints = list((emu.data_dir / "checkpoints").glob("*.npz"))
    assert len(checkpoints) == 1
    checkpoints[0].write_bytes(b"not a checkpoint")

    client = emulator_factory(data_dir=emu.data_dir).client()
    model = wait_for(client, name)
    assert model["state"] == "FAILED"
    error = raw(client, "get", op["name"])["error"]
    assert "checkpoint" in error["message"] and error["code"] == 13


def test_concurrent_jobs_all_finish(emulator):
    client = emulator.client()
    names = [
        create(client, create_body(tiny_examples(16), f"job {i}", epochCount=3))["metadata"]["tunedModel"]
        for i in range(5)
    ]
    started = time.monotonic()
    while time.monotonic() - started < 60:
        states = {raw(client, "get", n)["state"] for n in names}
        if states == {"ACTIVE"}:
            break
        time.sleep(0.1)
    assert states == {"ACTIVE"}
    for name in names:
        assert len(raw(client, "get", name)["tuningTask"]["snapshots"]) == 12


def test_hyperparameters_change_the_run(emulator):
    client = emulator.client()
    examples = tiny_examples(16)
    slow = create(client, create_body(examples, "slow", epochCount=3, batchSize=4, learningRate=0.00001))
    fast = create(client, create_body(examples, "fast", epochCount=3, batchSize=4, learningRate=0.001))
    multiplied_body = create_body(examples, "multiplier", epochCount=3, batchSize=4)
    del multiplied_body["tuningTask"]["hyperparameters"]["learningRate"]
    multiplied_body["tuningTask"]["hyperparameters"]["learningRateMultiplier"] = 0.01
    multiplied = create(client, multiplied_body)
    losses = {}
    for op in (slow, fast, multiplied):
        model = wait_for(client, op["metadata"]["tunedModel"])
        losses[model["displayName"]] = [s["meanLoss"] for s in model["tuningTask"]["snapshots"]]
    assert losses["fast"][-1] < 0.5 * losses["slow"][-1]
    assert losses["fast"][-1] < losses["multiplier"][-1]
    hp = raw(client, "get", multiplied["metadata"]["tunedModel"])["tuningTask"]["hyperparameters"]
    assert hp == {"epochCount": 3, "batchSize": 4, "learningRateMultiplier": 0.01}


def test_tuning_a_tuned_model_starts_from_its_weights(emulator):
    client = emulator.client()
    examples = tiny_examples(16)
    first = create(client, create_body(examples, "first", epochCount=20))["metadata"]["tunedModel"]
    trained = wait_for(client, first)
    body = create_body(examples, "second", epochCount=1)
    del body["baseModel"]
    body["tunedModelSource"] = {"tunedModel": first}
    second = create(client, body)["metadata"]["tunedModel"]
    model = wait_for(client, second)
    assert model["state"] == "ACTIVE"
    assert model["tunedModelSource"] == {"tunedModel": first, "baseModel": "models/gemini-1.5-flash-001-tuning"}
    assert "baseModel" not in model
    assert model["temperature"] == trained["temperature"]
    fresh = create(client, create_body(examples, "fresh", epochCount=1))["metadata"]["tunedModel"]
    fresh_loss = wait_for(client, fresh)["tuningTask"]["snapshots"][0]["meanLoss"]
    assert model["tuningTask"]["snapshots"][0]["meanLoss"] < 0.2 * fresh_loss  # it already knew the task
    assert not list((emulator.data_dir / "checkpoints").iterdir())

    body["tunedModelSource"] = {"tunedModel": "tunedModels/nobody"}
    with pytest.raises(errors.ClientError) as caught:
        create(client, body)
    assert caught.value.code == 400 and "tunedModelSource.tunedModel" in caught.value.message
    body["baseModel"] = "models/gemini-1.5-flash-001-tuning"
    with pytest.raises(errors.ClientError) as caught:
        create(client, body)
    assert "one of a kind" in caught.value.message
