"""A long job's curve is served whole and in order while it grows (the encoded curve is cached and appended to)."""

from __future__ import annotations

from tests.emulator.helpers import create, create_body, raw, tiny_examples, wait_for


def test_every_poll_carries_the_whole_curve_so_far(emulator_factory):
    emu = emulator_factory(step_delay=0.002)
    client = emu.client()
    name = create(client, create_body(tiny_examples(8), epochCount=150, batchSize=4))["metadata"]["tunedModel"]  # 300
    seen = 0
    while True:
        model = raw(client, "get", name)
        steps = [s["step"] for s in model.get("tuningTask", {}).get("snapshots", [])]
        assert steps == list(range(1, len(steps) + 1))
        assert len(steps) >= seen
        seen = len(steps)
        operation = raw(client, "get", f"{name}/operations")["operations"][0]
        assert [s["step"] for s in operation["metadata"].get("snapshots", [])][: len(steps)] == steps
        if model["state"] != "CREATING":
            break
    model = wait_for(client, name)
    assert model["state"] == "ACTIVE" and len(model["tuningTask"]["snapshots"]) == 300
    assert model["tuningTask"]["snapshots"][-1]["meanLoss"] > 0
    again = raw(client, "get", name)
    assert again == model
