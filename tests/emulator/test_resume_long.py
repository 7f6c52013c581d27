"""A Gemini API tuning job of 10,000 steps resumes through a clean stop and a kill -9 with its whole curve.

Before the trainer protocol was bounded, a resume sent every snapshot on one line and jobs
past ~700 steps could not resume. No step delay: the job trains at full speed.
"""

from __future__ import annotations

import time

from tests.emulator.helpers import create, create_body, raw, tiny_examples, wait_for
from tests.emulator.vertex_helpers import wait_trainers_gone


def _wait_steps(client, name: str, steps: int, timeout: float = 240.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snapshots = raw(client, "get", name)["tuningTask"].get("snapshots", [])
        if len(snapshots) >= steps:
            return snapshots
        time.sleep(0.5)  # each poll carries every snapshot so far
    raise AssertionError(f"{name} did not reach {steps} steps within {timeout} s")


def test_a_10000_step_tuned_model_resumes_through_stop_and_kill(emulator_factory):
    emu = emulator_factory()
    body = create_body(tiny_examples(1000), epochCount=10, batchSize=1)
    name = create(emu.client(), body)["metadata"]["tunedModel"]
    _wait_steps(emu.client(), name, 800)
    emu.stop()
    wait_trainers_gone(emu.data_dir)

    emu = emulator_factory(data_dir=emu.data_dir)
    stopped = raw(emu.client(), "get", name)
    before = stopped["tuningTask"]["snapshots"]
    assert stopped["state"] == "CREATING" and len(before) >= 800
    _wait_steps(emu.client(), name, len(before) + 2200)
    emu.kill()
    wait_trainers_gone(emu.data_dir)

    emu = emulator_factory(data_dir=emu.data_dir)
    model = wait_for(emu.client(), name, timeout=300)
    assert model["state"] == "ACTIVE"
    snapshots = model["tuningTask"]["snapshots"]
    assert [s["step"] for s in snapshots] == list(range(1, 10_001))
    assert snapshots[: len(before)] == before  # resumed, not retrained
