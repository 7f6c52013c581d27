"""The Vertex backend reads a tuning job over REST and builds google-genai's TuningJob with the SDK's own
mapping: the same object as `tunings.get` gives, at a third of the CPU. These pin that against the real SDK
and the emulator, so a future SDK that maps differently fails here."""

from __future__ import annotations

import asyncio

import pytest
from google.genai import tunings, types

from tests.vertex.test_backend import launch_data, spec
from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.vertex.setup import vertex_local_backend


def same(fast: types.TuningJob, sdk: types.TuningJob) -> bool:
    return fast.model_dump(exclude={"sdk_http_response"}) == sdk.model_dump(exclude={"sdk_http_response"})


async def test_the_fast_read_is_what_the_sdk_reads_while_training_and_when_done(emulator, tmp_path):
    backend = vertex_local_backend(emulator.url, tmp_path / "data", emulator.api_key)
    try:
        job = await backend.create(spec(), launch_data())
        states = set()
        async with asyncio.timeout(120):
            while True:
                fast = await backend._tuning_job(job.name)
                sdk = await backend._client.aio.tunings.get(name=job.name)
                if (fast.state, fast.update_time) == (sdk.state, sdk.update_time):  # it may move on between reads
                    assert same(fast, sdk), (fast, sdk)
                    states.add(sdk.state)
                if sdk.state == types.JobState.JOB_STATE_SUCCEEDED and types.JobState.JOB_STATE_SUCCEEDED in states:
                    break
                await asyncio.sleep(0.2)
        assert types.JobState.JOB_STATE_SUCCEEDED in states
        assert fast.tuned_model and fast.experiment and fast.tuning_data_stats  # the fields a Job is made of
    finally:
        await backend.close()


async def test_an_answer_with_a_field_newer_than_the_sdk_still_reads(emulator, tmp_path, monkeypatch):
    backend = vertex_local_backend(emulator.url, tmp_path / "data", emulator.api_key)
    try:
        job = await backend.create(spec(validation=None), launch_data())
        mapping = tunings._TuningJob_from_vertex

        def with_new_field(body, *args, **kwargs):
            fields = mapping(body, *args, **kwargs)
            fields["supervised_tuning_spec"] = {**fields.get("supervised_tuning_spec", {}), "aFieldFrom2030": 1}
            return fields

        monkeypatch.setattr(tunings, "_TuningJob_from_vertex", with_new_field)
        read = await backend._tuning_job(job.name)  # the fast path refuses it; the SDK's full check drops the field
        assert read.name == job.name and read.supervised_tuning_spec is not None
    finally:
        await backend.close()


async def test_a_missing_job_is_not_found(emulator, tmp_path):
    backend = vertex_local_backend(emulator.url, tmp_path / "data", emulator.api_key)
    try:
        with pytest.raises(BackendError) as missing:
            await backend.get("projects/tunedeck-local/locations/us-central1/tuningJobs/123")
        assert missing.value.kind is ErrorKind.NOT_FOUND
    finally:
        await backend.close()


async def test_the_listing_pages_and_reads_what_the_sdk_lists(emulator, tmp_path, monkeypatch):
    from tui.jobs.vertex import backend as vertex

    backend = vertex_local_backend(emulator.url, tmp_path / "data", emulator.api_key)
    try:
        made = {(await backend.create(spec(validation=None, display_name=f"job {i}"), launch_data())).name
                for i in range(3)}
        monkeypatch.setattr(vertex, "LIST_PAGE_SIZE", 2)  # three jobs: two pages
        fast = await backend._list_sdk()
        sdk = [job async for job in await backend._client.aio.tunings.list(config={"page_size": 100})]
        assert {job.name for job in fast} == made
        by_name = {job.name: job for job in sdk}
        for job in fast:  # the jobs train meanwhile: compare what does not move
            theirs = by_name[job.name]
            assert (job.labels, job.supervised_tuning_spec, job.base_model) == (
                theirs.labels, theirs.supervised_tuning_spec, theirs.base_model)
        assert {job.name for job in await backend.list_jobs()} == made
    finally:
        await backend.close()


async def test_a_poll_that_brings_no_new_step_is_one_request(emulator_factory, tmp_path):
    """Training, same steps as known: the job is read, its curves are not (no TensorBoard request)."""
    slow = emulator_factory(step_delay=1.5)
    backend = vertex_local_backend(slow.url, tmp_path / "data", slow.api_key)
    try:
        job = await backend.create(spec(validation=None), launch_data())
        async with asyncio.timeout(60):
            known = await backend.get(job.name)
            while not known.completed_steps or not known.curves:
                await asyncio.sleep(0.2)
                known = await backend.get(job.name)
            quiet = 0
            while quiet < 3:  # a step may land between two reads: look for polls that found none
                sent = backend.rest.requests_sent
                fetched = await backend.get(job.name, known)
                if fetched.completed_steps == known.completed_steps:
                    assert backend.rest.requests_sent - sent == 1 and fetched.curves == {}
                    quiet += 1
                else:
                    assert fetched.curves  # new steps: their points were read
                    known = known.model_copy(update={"completed_steps": fetched.completed_steps, "curves": {
                        name: [*known.curve(name), *fetched.curve(name)] for name in {*known.curves, *fetched.curves}}})
    finally:
        await backend.close()


def test_a_training_job_read_again_is_validated_only_in_what_moved(monkeypatch):
    from tui.jobs.vertex import sdk_jobs

    body = {"name": "projects/p/locations/us-central1/tuningJobs/7", "state": "JOB_STATE_RUNNING",
            "baseModel": "gemini-2.5-flash", "updateTime": "2026-11-30T10:00:00.5Z",
            "tuningJobMetadata": {"completedEpochCount": "1", "completedStepCount": "10"},
            "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t.jsonl", "hyperParameters": {"epochCount": "5"}}}
    later = {**body, "updateTime": "2026-11-30T10:00:07Z",
             "tuningJobMetadata": {"completedEpochCount": "2", "completedStepCount": "20"}}
    ended = {**later, "state": "JOB_STATE_SUCCEEDED"}
    full = sdk_jobs.validate
    validated = []
    monkeypatch.setattr(sdk_jobs, "validate", lambda fields: validated.append(fields) or full(fields))
    jobs = sdk_jobs.SdkJobs()
    first, second, third = jobs.of(body), jobs.of(later), jobs.of(ended)
    assert len(validated) == 2  # the first read and the state change; not the progress in between
    for read, answer in ((first, body), (second, later), (third, ended)):
        assert same(read, full(tunings._TuningJob_from_vertex(answer)))
    assert first.tuning_job_metadata.completed_step_count == 10
    assert second.tuning_job_metadata.completed_step_count == 20
