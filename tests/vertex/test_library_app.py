"""The app on Vertex AI (Pilot, a real job manager, the emulator's Vertex routes): the Monitor's cancel
confirmation says what cancelling means there; relaunch fills the form with the eval curve's epochs; Models
lists the registry's tuned models with their endpoints, renames them and deletes them with their endpoints.
The emulator's state is read back through its API."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import Button, DataTable, Input, Static

from tests.jobs.conftest import FAST
from tests.monitor.conftest import wait_for
from tests.ui_fixtures import SIZE, settle, steady_app
from tests.vertex.test_library import get
from tui.app import make_app
from tui.config import Settings
from tui.jobs.curve import suggest_epochs
from tui.jobs.history import History
from tui.jobs.manager import JobManager
from tui.jobs.service import vertex_local_backend
from tui.models import EVAL_LOSS, Hyperparameters, JobSpec, JobState, ValidationChoice
from tui.samples import sample_paths
from tui.screens.configure import ConfigureScreen
from tui.screens.models import ModelsScreen
from tui.screens.monitor_dialogs import DetailsDialog, RenameDialog

__all__ = ["steady_app"]
CLASSIFICATION = next(p for p in sample_paths() if p.name == "classification.jsonl")


@pytest.fixture
async def slow(emulator_factory):
    return emulator_factory(step_delay=0.3)


async def vertex_manager(emulator, data_dir) -> tuple[Settings, JobManager]:
    settings = replace(Settings(data_dir=data_dir, config_dir=data_dir / "config"), local_url=emulator.url,
                       local_api_key=emulator.api_key)
    manager = JobManager(settings, vertex_local_backend(settings, emulator.url, emulator.api_key),
                         History(settings.history_path), policy=FAST)
    await manager.start(background=True)
    return settings, manager


def spec(epochs: int, validation: bool = False) -> JobSpec:
    return JobSpec(display_name="tickets", base_model="gemini-2.5-flash",
                   hyperparameters=Hyperparameters(epoch_count=epochs),
                   validation=ValidationChoice(split=0.2, seed=3) if validation else None)


def paragraphs(dialog: DetailsDialog) -> str:
    return "\n".join(str(s.render()) for s in dialog.query(".details-paragraph").results(Static))


async def test_cancel_confirmation_on_vertex_says_best_effort_the_bill_and_what_remains(slow, tmp_path):
    settings, manager = await vertex_manager(slow, tmp_path / "data")
    try:
        job = await manager.launch(spec(epochs=3), CLASSIFICATION)
        app = make_app(settings, manager)
        async with app.run_test(size=SIZE) as pilot:
            await app.open_job(job.name)
            await settle(app, pilot)
            await pilot.press("x")
            await settle(app, pilot)
            dialog = app.screen
            assert isinstance(dialog, DetailsDialog)
            said = paragraphs(dialog)
            for button in dialog.query(Button):  # the whole notice fits: nothing hides the buttons
                assert button.region.height and button.region.bottom <= SIZE[1]
            assert "best-effort basis: the job may still finish," in said
            assert "Billing: tuning is billed by training tokens" in said
            assert job.name in said and "no call to delete a tuning job" in said
            assert job.dataset_uri is not None and job.dataset_uri in said and "Cloud Storage" in said
            assert "relaunch with fewer epochs" in said
            await pilot.press("n")  # nothing happens
            await settle(app, pilot)
            assert get(slow, job.name)[1]["state"] not in ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED")

            await pilot.press("x")
            await settle(app, pilot)
            await pilot.press("y")
            await wait_for(pilot, lambda: get(slow, job.name)[1]["state"] in ("JOB_STATE_CANCELLING",
                                                                               "JOB_STATE_CANCELLED"),
                           what="the cancel on the emulator")
    finally:
        await manager.close()


async def test_relaunch_fills_the_form_with_the_eval_curves_epochs(emulator, tmp_path):
    settings, manager = await vertex_manager(emulator, tmp_path / "data")
    try:
        launched = await manager.launch(spec(epochs=4, validation=True), CLASSIFICATION)
        app = make_app(settings, manager)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: manager.job(launched.name).state.finished, timeout=120, what="the job")
            job = manager.job(launched.name)
            assert job.state is JobState.ACTIVE and job.curve(EVAL_LOSS)
            advice = suggest_epochs(job.loss_curve, job.hyperparameters.epoch_count, job.curve(EVAL_LOSS))
            assert advice.epochs is not None and "Eval loss" in advice.reason  # the eval curve's advice
            await app.open_job(job.name)
            await settle(app, pilot)
            await pilot.press("r")
            await settle(app, pilot)
            assert isinstance(app.screen, ConfigureScreen)
            await wait_for(pilot, lambda: app.screen.query_one("#epochs", Input).value == str(advice.epochs),
                           what=f"{advice.epochs} epochs in the form")
            await settle(app, pilot)
            assert app.screen.query_one("#epochs", Input).value == str(advice.epochs)  # not reset after loading
            # the same validation set, so the relaunch's eval curve compares with this one
            assert job.validation is not None and job.validation.split is not None
            assert app.screen.query_one("#validation", Input).value == f"{job.validation.split:g}"
    finally:
        await manager.close()


async def test_models_lists_endpoints_renames_and_deletes_them_with_the_model(emulator, tmp_path):
    settings, manager = await vertex_manager(emulator, tmp_path / "data")
    try:
        launched = await manager.launch(spec(epochs=2), CLASSIFICATION)
        app = make_app(settings, manager)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: manager.job(launched.name).state.finished, timeout=120, what="the job")
            job = manager.job(launched.name)
            endpoints = [c.endpoint for c in job.checkpoints]
            await pilot.press("5")
            await settle(app, pilot)
            screen = app.screen
            assert isinstance(screen, ModelsScreen)
            table = screen.query_one("#models-table", DataTable)
            await wait_for(pilot, lambda: table.row_count == 1, what="the registry's model")
            model = screen.selected_model
            assert model is not None and model.job == job.name
            row = [str(cell) for cell in table.get_row(model.name)]
            assert row[0] == "tickets" and row[1] == "gemini-2.5-flash" and row[4] == job.id and row[5] == model.id
            assert row[2] == ", ".join(f"…{e[-4:]}" for e in endpoints)  # in full on the line below
            detail = str(screen.query_one("#models-detail", Static).render())
            assert all(f"Endpoint {e}" in detail for e in endpoints) and f"From job {job.name}" in detail

            await pilot.press("n")
            await settle(app, pilot)
            assert isinstance(app.screen, RenameDialog)
            field = app.screen.query_one("#rename-input", Input)
            field.value = ""
            await pilot.press(*("x" * 41))
            await settle(app, pilot)
            assert field.value == "x" * 41  # every key arrives: nothing is swallowed at the limit
            error = str(app.screen.query_one("#rename-error", Static).render())
            assert "Display name is 41 characters; at most 40 fit" in error and "41/40" in error
            await pilot.press("enter")  # refused while too long
            await settle(app, pilot)
            assert isinstance(app.screen, RenameDialog)
            field.value = "tickets v2"
            await pilot.press("enter")
            await wait_for(pilot, lambda: get(emulator, model.name)[1]["displayName"] == "tickets v2",
                           what="the rename on the emulator")
            await wait_for(pilot, lambda: "tickets v2" in str(table.get_row_at(0)[0]), what="the renamed row")

            await pilot.press("d")
            await wait_for(pilot, lambda: isinstance(app.screen, DetailsDialog), what="the delete confirmation")
            said = paragraphs(app.screen)
            assert model.name in said and all(e in said for e in endpoints) and "tickets v2" in said
            assert "In order: undeploy it from 2 endpoints, then delete those endpoints, then delete the model" in said
            await pilot.press("y")
            await wait_for(pilot, lambda: get(emulator, model.name)[0] == 404, what="the model deleted")
            assert all(get(emulator, e)[0] == 404 for e in endpoints)
            assert get(emulator, job.name)[0] == 200  # the job's record stays
            await wait_for(pilot, lambda: table.row_count == 0, what="the emptied table")
            status = str(screen.query_one("#models-status", Static).render())
            assert status == "Deleted tickets v2 and 2 endpoints."
    finally:
        await manager.close()
