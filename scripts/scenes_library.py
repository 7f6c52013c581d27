"""Screenshot scenes of the tuned-model library and cancelling on Vertex AI (the local emulator):
Models with each tuned model's endpoints, the delete confirmation that names what goes, and the
cancel confirmation (best effort, the bill so far, what remains).

Runs after scenes_vertex.py on the same emulator, so the Vertex job it launched is in Models.
"""

from __future__ import annotations

import time
from pathlib import Path

from scenes_setup import settle  # scripts/ is on the path when screenshots.py runs

BACKEND = "vertex-local"
SAMPLES = Path(__file__).resolve().parent.parent / "tui" / "samples"


async def wait(pilot, ready, what: str, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        await pilot.pause(0.2)


async def vertex_models(app, pilot) -> str:
    """Models on Vertex AI: display name, base model, endpoints, created, the job it came from."""
    from tui.models import Hyperparameters, JobSpec

    if not any(job.state.finished for job in app.manager.jobs):  # run alone: make a tuned model first
        spec = JobSpec(display_name="support tickets", base_model="gemini-2.5-flash",
                       hyperparameters=Hyperparameters(epoch_count=3))
        job = await app.manager.launch(spec, SAMPLES / "classification.jsonl")
        await wait(pilot, lambda: app.manager.job(job.name).state.finished, "the Vertex job")
    await pilot.press("5")
    await settle(app, pilot)
    table = app.screen.query_one("#models-table")
    await wait(pilot, lambda: table.row_count > 0, "the registry's models")
    await settle(app, pilot)
    return "vertex-models"


async def vertex_delete(app, pilot) -> str:
    """The delete confirmation: the model and the endpoints that go with it, in order. (Shown as `d` shows
    it, without the delete's worker, which would wait for the answer and so keep the app from settling.)"""
    from tui.jobs.library import registry_of
    from tui.screens.monitor_dialogs import DetailsDialog

    model = app.screen.selected_model
    plan = await registry_of(app.manager).plan_delete(model.job or model.name)
    app.push_screen(DetailsDialog(f"Delete {model.display_name or model.id}?", plan.what_goes(),
                                  confirm_label="Delete"))
    await settle(app, pilot)
    return "vertex-delete"


async def vertex_cancel(app, pilot) -> str:
    """The cancel confirmation of a training Vertex job (training slowed so it is still running)."""
    from tui.emulator.process import _request
    from tui.models import Hyperparameters, JobSpec, ValidationChoice

    await pilot.press("n")  # keep the model: answer the delete confirmation
    await settle(app, pilot)
    settings = app.settings
    _request(f"{settings.local_url}/_emulator/config", "POST", {"stepDelay": 0.5}, settings.local_api_key)
    try:
        spec = JobSpec(display_name="tickets, 8 epochs", base_model="gemini-2.5-flash",
                       hyperparameters=Hyperparameters(epoch_count=8), validation=ValidationChoice(split=0.2, seed=1))
        job = await app.manager.launch(spec, SAMPLES / "classification.jsonl")
        await wait(pilot, lambda: (app.manager.job(job.name).completed_steps or 0) > 0, "the first steps")
        await app.open_job(job.name)
        await settle(app, pilot)
        await pilot.press("x")
        await settle(app, pilot)
        return "vertex-cancel"
    finally:
        _request(f"{settings.local_url}/_emulator/config", "POST", {"stepDelay": 0.0}, settings.local_api_key)


SCENES = [vertex_models, vertex_delete, vertex_cancel]
