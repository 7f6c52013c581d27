"""Screenshot scenes of Vertex AI on the local emulator: the job form, the request it sends,
a finished job's train and eval curves with its checkpoints, and one prompt sent to every
checkpoint in the Playground.

Runs on its own app with the `vertex-local` backend (`BACKEND`), on the emulator the other
scene modules share.
"""

from __future__ import annotations

import time
from pathlib import Path

from scenes_setup import open_sample, settle  # scripts/ is on the path when screenshots.py runs

BACKEND = "vertex-local"
SAMPLES = Path(__file__).resolve().parent.parent / "tui" / "samples"
_launched: list[str] = []


async def vertex_configure(app, pilot) -> str:
    """The job form on Vertex AI: epochs, multiplier, adapter size, a validation share."""
    await open_sample(app, pilot, "classification.jsonl")
    await pilot.press("2")
    await settle(app, pilot)
    app.screen.query_one("#display_name").value = "support tickets"
    app.screen.query_one("#epochs").value = "6"
    app.screen.query_one("#validation").value = "0.2"
    await settle(app, pilot)
    return "vertex-configure"


async def vertex_call(app, pilot) -> str:
    """The tuningJobs request the launch sends."""
    await pilot.press("escape", "ctrl+o")
    await settle(app, pilot)
    return "vertex-call"


async def vertex_monitor(app, pilot) -> str:
    """A finished Vertex job: train and eval loss on one chart, checkpoints in the summary."""
    from tui.models import Hyperparameters, JobSpec, ValidationChoice

    await pilot.press("escape")
    spec = JobSpec(
        display_name="support tickets",
        base_model="gemini-2.5-flash",
        hyperparameters=Hyperparameters(epoch_count=6),
        validation=ValidationChoice(split=0.2, seed=1),
        system_instruction_from_preamble=True,  # the Playground scene shows it going with each prompt
    )
    job = await app.manager.launch(spec, SAMPLES / "classification.jsonl")
    _launched.append(job.name)
    deadline = time.monotonic() + 240
    while not app.manager.job(job.name).state.finished:
        if time.monotonic() > deadline:
            raise TimeoutError("waited 240 s for the Vertex job")
        await pilot.pause(0.2)
    await app.open_job(job.name)
    await settle(app, pilot)
    return "vertex-monitor"


async def vertex_checkpoints(app, pilot) -> str:
    """The Playground on that job: its checkpoints to pick from, one prompt's answers from each, side by side."""
    job = _launched[-1]
    await app.try_model(job)
    await settle(app, pilot)
    prompt = app.screen.query_one("#prompt")
    prompt.text = "ticket: I was charged twice for the same order."  # the preamble is the system instruction
    await pilot.pause(0.4)  # the format check runs shortly after typing stops
    await pilot.press("ctrl+r")
    deadline = time.monotonic() + 60
    while app.screen.compared == 0:
        if time.monotonic() > deadline:
            raise TimeoutError("waited 60 s for every checkpoint's answer")
        await pilot.pause(0.1)
    await settle(app, pilot)
    return "vertex-checkpoints"


SCENES = [vertex_configure, vertex_call, vertex_monitor, vertex_checkpoints]
