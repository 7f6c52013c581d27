"""The tuned-model library on Vertex AI against the emulator: the registry's models with their endpoints and
jobs, rename by updateMask, a delete planned and done in order (undeploy, endpoints, model), and a step that
fails mid-way reported with what was done and what is left. State is checked through the emulator's API."""

from __future__ import annotations

import pytest

from tests.emulator.storage_http import call
from tests.vertex.test_backend import launch_data, spec, watch
from tui.jobs.errors import ErrorKind
from tui.jobs.library import DeletionFailed, find
from tui.jobs.vertex.setup import vertex_local_backend
from tui.models import Hyperparameters


def get(emulator, resource: str) -> tuple[int, dict]:
    reply = call(emulator.url, "GET", f"/v1beta1/{resource}", token=emulator.api_key)
    return reply.status, reply.json()


async def tuned(backend, name: str = "tickets", epochs: int = 2):
    job = await backend.create(spec(validation=None, display_name=name,
                                    hyperparameters=Hyperparameters(epoch_count=epochs)), launch_data())
    done, _polls = await watch(backend, job)
    return done


@pytest.fixture
async def backend(emulator, tmp_path):
    made = vertex_local_backend(emulator.url, tmp_path / "data", emulator.api_key)
    yield made
    await made.close()


async def test_list_shows_each_model_with_its_endpoints_and_job(backend, emulator):
    first = await tuned(backend, "first", epochs=1)
    second = await tuned(backend, "second", epochs=2)
    models = await backend.models.list()
    assert [m.display_name for m in models] == ["second", "first"]  # newest first
    newest = models[0]
    assert newest.job == second.name and newest.base_model == "gemini-2.5-flash" and newest.created is not None
    assert set(newest.endpoints) == {c.endpoint for c in second.checkpoints} and len(newest.endpoints) == 2
    assert second.endpoint in newest.endpoints
    assert find(models, first.id).job == first.name  # a job's id finds its model
    assert find(models, models[1].name + "@1").name == models[1].name


async def test_rename_changes_the_registry_display_name_only(backend, emulator):
    done = await tuned(backend)
    model = (await backend.models.list())[0]
    renamed = await backend.models.rename(model.name, "tickets v2")
    assert renamed.display_name == "tickets v2" and renamed.name == model.name
    assert get(emulator, model.name)[1]["displayName"] == "tickets v2"
    assert get(emulator, done.name)[1]["tunedModelDisplayName"] == "tickets"  # the job keeps its launch name
    assert (await backend.models.list())[0].display_name == "tickets v2"


async def test_delete_undeploys_deletes_the_endpoints_then_the_model(backend, emulator):
    done = await tuned(backend, epochs=2)
    plan = await backend.models.plan_delete(done.name)
    endpoints = [c.endpoint for c in done.checkpoints]
    assert [(s.action, s.resource) for s in plan.steps] == [
        ("undeploy", endpoints[0]), ("delete-endpoint", endpoints[0]),
        ("undeploy", endpoints[1]), ("delete-endpoint", endpoints[1]),
        ("delete-model", plan.model)]
    words = " ".join(plan.what_goes())
    assert plan.model in words and all(e in words for e in endpoints) and "record" in words
    seen = []
    await backend.models.delete(plan, seen.append)
    assert seen == list(plan.steps)
    assert get(emulator, plan.model)[0] == 404
    assert all(get(emulator, e)[0] == 404 for e in endpoints)
    assert get(emulator, done.name)[0] == 200  # the job's record stays
    assert await backend.models.list() == []


async def test_a_failed_step_says_what_was_done_and_a_second_delete_finishes(emulator_factory, tmp_path):
    emulator = emulator_factory()
    backend = vertex_local_backend(emulator.url, tmp_path / "data", emulator.api_key)
    try:
        done = await tuned(backend, epochs=2)
        plan = await backend.models.plan_delete(done.name)
        first = plan.steps[0]

        def server_dies(step) -> None:  # the emulator stops right after the first undeploy
            if step == first:
                emulator.stop()

        with pytest.raises(DeletionFailed) as caught:
            await backend.models.delete(plan, server_dies)
        failed = caught.value
        assert failed.progress.done == [first] and failed.failed == plan.steps[1]
        assert failed.kind is ErrorKind.UNREACHABLE
        message = str(failed)
        assert f"step 2 of {len(plan.steps)}" in message and f"undeploy the model from endpoint {first.resource}" \
            in message and f"Not done: delete endpoint {first.resource}" in message and plan.model in message
        assert "run the delete again" in message
        assert failed.as_json()["not_done"][-1] == {"action": "delete-model", "resource": plan.model}

        again = emulator_factory(data_dir=emulator.data_dir, api_key=emulator.api_key)
        await backend.retarget(again.url, "local emulator")
        assert get(again, first.resource)[1]["deployedModels"] == []  # the undeploy happened
        assert get(again, plan.model)[0] == 200  # the rest did not
        rest_of_it = await backend.models.plan_delete(done.name)
        # the endpoint left empty is found through the job (the registry no longer lists it) and deleted too
        assert [(s.action, s.resource) for s in rest_of_it.steps] == [
            ("undeploy", plan.steps[2].resource), ("delete-endpoint", plan.steps[2].resource),
            ("delete-endpoint", first.resource), ("delete-model", plan.model)]
        await backend.models.delete(rest_of_it)
        assert get(again, plan.model)[0] == 404
    finally:
        await backend.close()
