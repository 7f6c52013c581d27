"""The Vertex backend against the emulator's Vertex AI and Cloud Storage: the real google-genai client in
Vertex mode and real HTTP for uploads, TensorBoard curves and tuned models."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.emulator.storage_http import call
from tui.datasets import open_dataset
from tui.jobs.backend import LaunchData
from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.vertex.backend import VertexBackend
from tui.jobs.vertex.setup import LOCAL_BUCKET, vertex_local_backend
from tui.jobs.vertex.storage import object_name
from tui.models import (
    EVAL_ACCURACY,
    EVAL_LOSS,
    TRAIN_ACCURACY,
    TRAIN_LOSS,
    Hyperparameters,
    Job,
    JobSpec,
    JobState,
    ValidationChoice,
)
from tui.samples import sample_paths

CLASSIFICATION = next(p for p in sample_paths() if p.name == "classification.jsonl")


def launch_data(path: Path = CLASSIFICATION, job_id: str | None = None, retry: bool = False) -> LaunchData:
    return LaunchData(path=path, dataset=open_dataset(path).dataset, examples=(), job_id=job_id, retry=retry)


def spec(**changes) -> JobSpec:
    values = {"display_name": "tickets", "base_model": "gemini-2.5-flash",
              "hyperparameters": Hyperparameters(epoch_count=2, learning_rate_multiplier=1.0, adapter_size=4),
              "validation": ValidationChoice(split=0.2, seed=7), "system_instruction_from_preamble": True}
    return JobSpec(**{**values, **changes})


@pytest.fixture
async def backend(emulator, tmp_path):
    made = vertex_local_backend(emulator.url, tmp_path / "data", emulator.api_key)
    yield made
    await made.close()


def merge(known: Job | None, fetched: Job) -> Job:
    """What the job manager does with each poll: append the new points of each curve."""
    if known is None:
        return fetched
    curves = {name: [*known.curve(name), *fetched.curve(name)] for name in {*known.curves, *fetched.curves}}
    return fetched.model_copy(update={"curves": curves})


async def watch(backend: VertexBackend, job: Job, timeout: float = 120.0) -> tuple[Job, list[Job]]:
    """Poll until the job ends, like the manager: each get passes the job known so far."""
    known, polls = job, []
    async with asyncio.timeout(timeout):
        while not known.state.finished:
            fetched = await backend.get(job.name, known)
            polls.append(fetched)
            known = merge(known, fetched)
            await asyncio.sleep(0.05)
    return known, polls


async def test_launch_uploads_tunes_and_reads_curves_incrementally(backend, emulator):
    progress: list[tuple[int, int]] = []
    job = await backend.create(spec(), launch_data(job_id="tickets-1"), progress=lambda *p: progress.append(p))
    assert job.name.startswith("projects/tunedeck-local/locations/us-central1/tuningJobs/")
    assert job.state is JobState.CREATING and job.backend == "vertex-local"
    assert job.dataset_uri is not None and job.dataset_uri.startswith(f"gs://{LOCAL_BUCKET}/tunedeck/datasets/")
    assert (job.dataset_examples, job.validation_examples) == (160, 40)
    assert job.data_stats is not None and not job.data_stats.exact and job.data_stats.billable_tokens
    assert progress[-1][0] == progress[-1][1] > 0

    done, polls = await watch(backend, job)
    assert done.state is JobState.ACTIVE and done.error is None
    assert done.hyperparameters.epoch_count == 2 and done.hyperparameters.adapter_size == 4
    assert done.data_stats is not None and done.data_stats.exact and done.data_stats.examples == 160
    assert done.total_steps > 0 and done.completed_steps == done.total_steps
    steps = [p.step for p in done.curve(TRAIN_LOSS)]
    assert steps == list(range(1, done.total_steps + 1))  # every step once: each poll read only new points
    assert {p.epoch for p in done.curve(TRAIN_LOSS)} == {1, 2}
    assert done.curve(EVAL_LOSS) and done.curve(TRAIN_ACCURACY) and done.curve(EVAL_ACCURACY)
    assert sum(len(p.curve(TRAIN_LOSS)) for p in polls) == len(steps)
    assert [(c.epoch, c.step) for c in done.checkpoints] == [(1, done.total_steps // 2), (2, done.total_steps)]
    assert done.endpoint == done.checkpoints[-1].endpoint

    again = await backend.get(done.name, done)  # finished and known: no curve requests, no points
    assert again.curves == {}

    answer = await backend.generate(done.endpoint, "ticket: I was charged twice for my order", temperature=0)
    assert answer.strip()  # what a two-epoch model says is the emulator's business; that it answers is ours
    first = done.checkpoints[0].endpoint
    assert first is not None and (await backend.generate(first, "ticket: where is my parcel?")).strip()


async def test_relaunching_the_same_data_uploads_nothing(backend, emulator):
    first = await backend.create(spec(validation=None), launch_data())
    name = first.dataset_uri.removeprefix(f"gs://{LOCAL_BUCKET}/")
    before = call(emulator.url, "GET", f"/storage/v1/b/{LOCAL_BUCKET}/o/{name.replace('/', '%2F')}",
                  token=emulator.api_key).json()
    second = await backend.create(spec(validation=None, display_name="again"), launch_data())
    after = call(emulator.url, "GET", f"/storage/v1/b/{LOCAL_BUCKET}/o/{name.replace('/', '%2F')}",
                 token=emulator.api_key).json()
    assert second.dataset_uri == first.dataset_uri and second.name != first.name
    assert after["generation"] == before["generation"]  # the object was not written again
    assert name == object_name(name.rsplit("/", 1)[1].removesuffix(".jsonl"))


async def test_a_retried_launch_finds_the_job_it_already_made(backend):
    first = await backend.create(spec(validation=None), launch_data(job_id="retry-me"))
    retried = await backend.create(spec(validation=None), launch_data(job_id="retry-me", retry=True))
    assert retried.name == first.name
    assert [j.name for j in await backend.list_jobs()] == [first.name]


async def test_cancel_a_training_job(emulator_factory, tmp_path):
    emulator = emulator_factory(step_delay=0.2)
    backend = vertex_local_backend(emulator.url, tmp_path, emulator.api_key)
    try:
        job = await backend.create(spec(validation=None), launch_data())
        cancelled = await backend.cancel(job)
        assert cancelled.state in (JobState.CANCELLED, JobState.CREATING)
        done, _polls = await watch(backend, cancelled)
        assert done.state is JobState.CANCELLED and done.error is None
        with pytest.raises(BackendError) as again:
            await backend.cancel(done)
        assert again.value.kind in (ErrorKind.FAILED_PRECONDITION, ErrorKind.INVALID)
    finally:
        await backend.close()


async def test_an_adapter_size_the_model_refuses_names_the_field(backend):
    pro = spec(base_model="gemini-2.5-pro", validation=None,
               hyperparameters=Hyperparameters(epoch_count=1, adapter_size=16))
    with pytest.raises(BackendError) as caught:
        await backend.create(pro, launch_data())
    assert caught.value.kind is ErrorKind.INVALID and caught.value.status == 400
    assert "adapter size" in caught.value.message.lower() and "adapterSize" in caught.value.next_step


async def test_unknown_job_is_not_found(backend):
    with pytest.raises(BackendError) as caught:
        await backend.get("projects/tunedeck-local/locations/us-central1/tuningJobs/123456789")
    assert caught.value.kind is ErrorKind.NOT_FOUND


async def test_rename_and_delete_the_tuned_model(backend, emulator):
    job = await backend.create(spec(validation=None, hyperparameters=Hyperparameters(epoch_count=1)), launch_data())
    done, _polls = await watch(backend, job)
    renamed = await backend.rename(done.name, "tickets v2")
    assert renamed.display_name == "tickets v2"
    model = await backend.models.model_of(done.name)
    status, body = (lambda r: (r.status, r.json()))(
        call(emulator.url, "GET", f"/v1beta1/{model.split('@')[0]}", token=emulator.api_key))
    assert status == 200 and body["displayName"] == "tickets v2"
    await backend.delete(done.name)
    with pytest.raises(BackendError) as gone:
        await backend.generate(done.endpoint, "hello")
    assert gone.value.kind is ErrorKind.NOT_FOUND


def test_capabilities_say_what_the_form_shows():
    capabilities = VertexBackend.capabilities
    assert capabilities.protocol == "vertex" and capabilities.uploads_dataset and not capabilities.inline_examples
    assert capabilities.hyperparameters == {"epoch_count", "learning_rate_multiplier", "adapter_size"}
    assert capabilities.adapter_sizes["gemini-2.5-pro"] == (1, 2, 4, 8)
    assert 16 in capabilities.adapter_sizes["gemini-2.5-flash"]
    assert capabilities.curves == (TRAIN_LOSS, EVAL_LOSS, TRAIN_ACCURACY, EVAL_ACCURACY)
