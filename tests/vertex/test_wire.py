"""Vertex wire translation: the request google-genai really sends for a spec, and TuningJobs as Jobs."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime

import pytest
from aiohttp import web
from google.genai import types

from tui.jobs.vertex import wire
from tui.models import Hyperparameters, JobSpec, JobState


async def sent_by_the_sdk(spec: JobSpec, training: str, validation: str | None, labels: dict) -> dict:
    """What google-genai (Vertex mode) puts on the wire for `wire.tune_request`, captured on a loopback server."""
    from google import genai
    from google.oauth2.credentials import Credentials

    seen: list[dict] = []

    async def capture(request: web.Request) -> web.Response:
        seen.append(await request.json())
        return web.json_response({"name": "projects/p/locations/l/tuningJobs/1", "state": "JOB_STATE_PENDING"})

    app = web.Application()
    app.router.add_post("/v1beta1/projects/p/locations/l/tuningJobs", capture)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = genai.Client(vertexai=True, project="p", location="l", credentials=Credentials(token="t"),
                          http_options=types.HttpOptions(base_url=f"http://127.0.0.1:{port}/", api_version="v1beta1"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # google-genai: "tuning is experimental"
            call = client.aio.tunings.tune(**wire.tune_request(spec, training, validation, labels))
        await call
    finally:
        await client.aio.aclose()
        await runner.cleanup()
    return seen[0]


@pytest.mark.parametrize("spec", [
    JobSpec(display_name="tickets", base_model="gemini-2.5-flash", description="d",
            hyperparameters=Hyperparameters(epoch_count=3, learning_rate_multiplier=0.5, adapter_size=8),
            export_last_checkpoint_only=True),
    JobSpec(base_model="projects/p/locations/l/models/42/checkpoints/2",
            hyperparameters=Hyperparameters(epoch_count=1)),
    JobSpec(base_model="gemini-2.5-pro"),
])
async def test_the_previewed_request_is_what_the_sdk_sends(spec):
    labels = wire.labels_for(spec, "ab" * 32, "launch-1")
    validation = "gs://b/v.jsonl" if spec.display_name else None
    sent = await sent_by_the_sdk(spec, "gs://b/t.jsonl", validation, labels)
    assert wire.create_body(spec, "gs://b/t.jsonl", validation, labels) == sent


def test_labels_follow_cloud_label_rules():
    spec = JobSpec(labels={"Team Name": "Blue Sky!", "x" * 70: "y"})
    labels = wire.labels_for(spec, "0123456789abcdef" * 4, "My Launch")
    assert labels["team-name"] == "blue-sky-"
    assert labels["tunedeck-dataset"] == "0123456789abcdef" and labels["tunedeck-launch"] == "my-launch"
    assert all(len(k) <= 63 and len(v) <= 63 for k, v in labels.items())


@pytest.mark.parametrize("state, detail, expected", [
    ("JOB_STATE_PENDING", None, (JobState.CREATING, "waiting to start")),
    ("JOB_STATE_RUNNING", "TUNING_JOB_STATE_WAITING_FOR_QUOTA", (JobState.CREATING, "waiting for quota")),
    ("JOB_STATE_RUNNING", "TUNING_JOB_STATE_PROCESSING_DATASET", (JobState.CREATING, "processing the dataset")),
    ("JOB_STATE_RUNNING", "TUNING_JOB_STATE_TUNING", (JobState.CREATING, "tuning")),
    ("JOB_STATE_RUNNING", "TUNING_JOB_STATE_POST_PROCESSING", (JobState.CREATING, "post-processing")),
    ("JOB_STATE_SUCCEEDED", None, (JobState.ACTIVE, None)),
    ("JOB_STATE_EXPIRED", None, (JobState.FAILED, "expired")),
    ("JOB_STATE_CANCELLED", None, (JobState.CANCELLED, None)),
])
def test_states_and_sub_states_in_words(state, detail, expected):
    assert wire.state_from_sdk(types.JobState(state), types.TuningJobState(detail) if detail else None) == expected


def test_a_tuning_job_as_a_job():
    body = {
        "name": "projects/p/locations/l/tuningJobs/7", "state": "JOB_STATE_FAILED", "baseModel": "gemini-2.5-flash",
        "tunedModelDisplayName": "t", "createTime": "2026-01-01T00:00:00Z",
        "error": {"code": 3, "message": "dataset validation failed"},
        "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t.jsonl",
                                 "hyperParameters": {"epochCount": "4", "adapterSize": "ADAPTER_SIZE_SIXTEEN"}},
        "tuningDataStats": {"supervisedTuningDataStats": {
            "tuningDatasetExampleCount": "100", "totalBillableTokenCount": "52000", "tuningStepCount": "30",
            "totalTruncatedExampleCount": "2", "droppedExampleReasons": ["too long", "too long"]}},
        "tunedModel": {"model": "projects/p/locations/l/models/9@1", "endpoint": "projects/p/locations/l/endpoints/2",
                       "checkpoints": [{"checkpointId": "1", "epoch": "1", "step": "10",
                                        "endpoint": "projects/p/locations/l/endpoints/1"}]},
    }
    tuning_job = types.TuningJob._from_response(response=body, kwargs={})
    job = wire.job_from_sdk(tuning_job, "vertex")
    assert (job.state, job.error) == (JobState.FAILED, "dataset validation failed")
    assert job.hyperparameters == Hyperparameters(epoch_count=4, adapter_size=16)
    assert job.data_stats is not None and job.data_stats.exact
    stats = job.data_stats
    assert (stats.examples, stats.billable_tokens, stats.truncated_examples) == (100, 52000, 2)
    assert job.data_stats.dropped_examples == {"too long": 2}
    assert job.total_steps == 30 and job.dataset_uri == "gs://b/t.jsonl"
    assert job.endpoint == "projects/p/locations/l/endpoints/2"
    assert [(c.checkpoint_id, c.epoch, c.step) for c in job.checkpoints] == [("1", 1, 10)]
    assert job.created == datetime(2026, 1, 1, tzinfo=UTC)
    assert json.dumps(job.model_dump(mode="json"))  # plain data all the way down


def test_curve_points_get_their_epoch_from_the_step():
    points = wire.curve_points([(1, 2.0, None), (10, 1.0, None), (11, 0.9, None)], steps_per_epoch=10.0)
    assert [(p.step, p.epoch) for p in points] == [(1, 1), (10, 1), (11, 2)]
    assert [p.epoch for p in wire.curve_points([(3, 1.0, None)], None)] == [None]
