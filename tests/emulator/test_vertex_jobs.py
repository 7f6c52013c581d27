"""Vertex AI tuning jobs through the real google-genai client in Vertex mode: tune, poll, list, cancel."""

from __future__ import annotations

import math
import time

import pytest
from google.genai import errors, types

from tests.emulator.vertex_helpers import (
    PARENT,
    classification_records,
    colour_records,
    create_job,
    jsonl,
    rest,
    upload,
    vertex_client,
    wait_job,
    wait_points,
)


def _wait(client, name: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.tunings.get(name=name)
        if job.has_ended:
            return job
        time.sleep(0.05)
    raise AssertionError(f"{name} did not end within {timeout} s")


def test_tune_with_a_validation_set_end_to_end(emulator):
    records = classification_records()
    train = upload(emulator, "cls/train.jsonl", jsonl(records[:48]))
    validation = upload(emulator, "cls/validation.jsonl", jsonl(records[48:60]))
    client = vertex_client(emulator)
    job = client.tunings.tune(
        base_model="gemini-2.5-flash",
        training_dataset=types.TuningDataset(gcs_uri=train),
        config=types.CreateTuningJobConfig(
            epoch_count=3,
            learning_rate_multiplier=1.0,
            adapter_size="ADAPTER_SIZE_FOUR",
            validation_dataset=types.TuningValidationDataset(gcs_uri=validation),
            tuned_model_display_name="tickets",
            description="support tickets",
            labels={"team": "ml"},
        ),
    )
    assert job.name.startswith(f"{PARENT}/tuningJobs/") and job.name.rsplit("/", 1)[1].isdigit()
    assert job.state == types.JobState.JOB_STATE_PENDING and job.create_time is not None
    assert job.supervised_tuning_spec.hyper_parameters.epoch_count == 3
    assert job.labels == {"team": "ml"} and job.tuned_model_display_name == "tickets"

    done = _wait(client, job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED and done.has_succeeded
    assert done.start_time <= done.end_time and done.error is None
    assert done.experiment == f"{PARENT}/metadataStores/default/contexts/tuning-experiment-{job.name.rsplit('/', 1)[1]}"
    stats = done.tuning_data_stats.supervised_tuning_data_stats
    batch = 4  # the emulator's choice below 1,000 examples
    assert stats.tuning_dataset_example_count == 48
    assert stats.tuning_step_count == math.ceil(48 * 3 / batch)
    assert stats.user_message_per_example_distribution.sum == 96  # two contents per record
    assert stats.total_billable_token_count == 3 * (
        stats.user_input_token_distribution.sum + stats.user_output_token_distribution.sum
    )
    assert len(stats.user_dataset_examples) == 3
    assert stats.user_dataset_examples[0].parts[0].text == records[0]["contents"][0]["parts"][0]["text"]
    assert done.tuning_job_metadata.completed_epoch_count == 3
    assert done.tuning_job_metadata.completed_step_count == stats.tuning_step_count
    tuned = done.tuned_model
    assert tuned.model.startswith(f"{PARENT}/models/") and tuned.endpoint.startswith(f"{PARENT}/endpoints/")
    assert [(c.checkpoint_id, c.epoch, c.step) for c in tuned.checkpoints] == [("1", 1, 12), ("2", 2, 24), ("3", 3, 36)]
    assert tuned.checkpoints[-1].endpoint == tuned.endpoint
    assert len({c.endpoint for c in tuned.checkpoints}) == 3

    prompt = records[50]["contents"][0]["parts"][0]["text"]
    config = types.GenerateContentConfig(temperature=0)
    answer = client.models.generate_content(model=tuned.endpoint, contents=prompt, config=config)
    assert answer.text in {"billing", "shipping", "technical", "account"}
    streamed = "".join(
        c.text or ""
        for c in client.models.generate_content_stream(model=tuned.endpoint, contents=prompt, config=config)
    )
    assert streamed == answer.text
    first = client.models.generate_content(model=tuned.checkpoints[0].endpoint, contents=prompt, config=config)
    assert first.candidates[0].avg_logprobs != answer.candidates[0].avg_logprobs  # other weights answer


def test_hyperparameters_are_echoed_and_the_last_checkpoint_only_when_asked(emulator):
    train = upload(emulator, "c/train.jsonl", jsonl(colour_records(10)))
    client = vertex_client(emulator)
    job = client.tunings.tune(
        base_model="gemini-2.5-pro",
        training_dataset=types.TuningDataset(gcs_uri=train),
        config=types.CreateTuningJobConfig(
            epoch_count=12, learning_rate_multiplier=0.5, export_last_checkpoint_only=True
        ),
    )
    _status, wire = rest(emulator, "GET", job.name)
    assert wire["supervisedTuningSpec"]["hyperParameters"] == {"epochCount": "12", "learningRateMultiplier": 0.5}
    assert wire["supervisedTuningSpec"]["exportLastCheckpointOnly"] is True
    done = _wait(client, job.name)
    assert [(c.checkpoint_id, c.epoch, c.step) for c in done.tuned_model.checkpoints] == [("1", 12, 30)]


def test_twelve_epochs_leave_about_ten_checkpoints(emulator):
    train = upload(emulator, "c/train.jsonl", jsonl(colour_records(4)))
    status, job = create_job(emulator, train, epochCount=12)
    assert status == 200, job
    done = wait_job(emulator, job["name"])
    epochs = [int(c["epoch"]) for c in done["tunedModel"]["checkpoints"]]
    assert epochs == sorted(epochs) and epochs[-1] == 12 and 9 <= len(epochs) <= 10
    assert all(c["step"] == c["epoch"] for c in done["tunedModel"]["checkpoints"])  # 4 examples, batch 4


def test_list_pages_and_filters_by_state_within_the_project(emulator):
    train = upload(emulator, "c/train.jsonl", jsonl(colour_records(4)))
    client = vertex_client(emulator)
    names = [create_job(emulator, train, epochCount=1)[1]["name"] for _ in range(3)]
    for name in names:
        wait_job(emulator, name)
    listed = [j.name for j in client.tunings.list(config={"page_size": 2})]
    assert listed == names[::-1]  # newest first, across pages
    status, page = rest(emulator, "GET", f"{PARENT}/tuningJobs?pageSize=2")
    assert status == 200 and len(page["tuningJobs"]) == 2 and page["nextPageToken"]
    status, rest_page = rest(emulator, "GET", f"{PARENT}/tuningJobs?pageSize=2&pageToken={page['nextPageToken']}")
    assert [j["name"] for j in rest_page["tuningJobs"]] == [names[0]] and "nextPageToken" not in rest_page
    succeeded = rest(emulator, "GET", f"{PARENT}/tuningJobs?filter=state%3D%22JOB_STATE_SUCCEEDED%22")[1]
    assert len(succeeded["tuningJobs"]) == 3
    assert rest(emulator, "GET", f"{PARENT}/tuningJobs?filter=state%3DJOB_STATE_RUNNING")[1] == {}
    assert rest(emulator, "GET", f"{PARENT}/tuningJobs?filter=displayName%3Dx")[0] == 400
    assert list(vertex_client(emulator, project="other-project").tunings.list()) == []
    other = names[0].replace("emu-project", "other-project")
    assert rest(emulator, "GET", other)[0] == 404
    # v1 and the query Google's generated clients add are served the same
    status, same = rest(emulator, "GET", names[0] + "?$alt=json;enum-encoding=int", version="v1")
    assert status == 200 and same["name"] == names[0]


def test_cancel_a_running_job(emulator_factory):
    emu = emulator_factory(step_delay=0.05)
    train = upload(emu, "c/train.jsonl", jsonl(colour_records(8)))
    client = vertex_client(emu)
    job = client.tunings.tune(
        base_model="gemini-2.5-flash",
        training_dataset=types.TuningDataset(gcs_uri=train),
        config=types.CreateTuningJobConfig(epoch_count=50),
    )
    running = wait_points(emu, job.name, 3)
    assert running["state"] == "JOB_STATE_RUNNING" and running["tuningJobState"] == "TUNING_JOB_STATE_TUNING"
    client.tunings.cancel(name=job.name)
    ended = _wait(client, job.name)
    assert ended.state == types.JobState.JOB_STATE_CANCELLED and ended.error.code == 1
    assert ended.tuned_model is None and ended.end_time is not None
    with pytest.raises(errors.ClientError) as caught:
        client.tunings.cancel(name=job.name)
    assert caught.value.code == 400 and caught.value.status == "FAILED_PRECONDITION"


def test_cancel_while_queued_ends_at_once(emulator_factory):
    emu = emulator_factory(step_delay=0.2, trainers=1)
    train = upload(emu, "c/train.jsonl", jsonl(colour_records(8)))
    first = create_job(emu, train, epochCount=50)[1]["name"]
    queued = create_job(emu, train, epochCount=1)[1]["name"]
    assert rest(emu, "POST", f"{queued}:cancel")[0] == 200
    ended = rest(emu, "GET", queued)[1]
    assert ended["state"] == "JOB_STATE_CANCELLED" and "startTime" not in ended
    rest(emu, "POST", f"{first}:cancel")


def test_continuing_from_a_tuned_model_starts_from_its_weights(emulator):
    train = upload(emulator, "c/train.jsonl", jsonl(colour_records(16)))
    client = vertex_client(emulator)
    first = _wait(
        client,
        client.tunings.tune(
            base_model="gemini-2.5-flash",
            training_dataset=types.TuningDataset(gcs_uri=train),
            config=types.CreateTuningJobConfig(epoch_count=4),
        ).name,
    )
    second = client.tunings.tune(
        base_model=first.tuned_model.model,
        training_dataset=types.TuningDataset(gcs_uri=train),
        config=types.CreateTuningJobConfig(epoch_count=1, pre_tuned_model_checkpoint_id="2"),
    )
    assert second.pre_tuned_model.tuned_model_name == first.tuned_model.model
    assert second.base_model == "gemini-2.5-flash"
    done = _wait(client, second.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED
    from tests.emulator.vertex_helpers import export_all, run_of, series_names

    def first_loss(job) -> float:
        run = run_of(emulator, rest(emulator, "GET", job.name)[1])
        return export_all(emulator, series_names(emulator, run)["/train_total_loss"])[0]["scalar"]["value"]

    assert first_loss(done) < 0.5 * first_loss(first)  # it began where checkpoint 2 left off
