"""What cancelling a Vertex AI job is said to mean, from the job's own figures; a Gemini API job gets none."""

from __future__ import annotations

from tui.jobs.cancel_notice import cancel_notice, cancel_notice_for, epochs_done
from tui.models import Checkpoint, DataStats, Hyperparameters, Job, JobState

NAME = "projects/p/locations/us-central1/tuningJobs/42"
URI = "gs://b/tunedeck/datasets/abc.jsonl"


def vertex_job(**changes) -> Job:
    values = {"name": NAME, "backend": "vertex", "state": JobState.CREATING, "dataset_uri": URI,
              "hyperparameters": Hyperparameters(epoch_count=4), "total_steps": 40, "completed_steps": 25,
              "data_stats": DataStats(examples=100, billable_tokens=80_000, exact=True)}
    return Job(**{**values, **changes})


def test_the_bill_counts_whole_epochs_of_the_billable_tokens():
    job = vertex_job()
    assert epochs_done(job) == 2
    billing = cancel_notice(job).billing
    assert "80,000 billable tokens cover all 4 epochs (exact, from the job)" in billing
    assert "25 of 40 steps have run, 2 of 4 epochs (about 40,000 of the tokens)" in billing
    priced = cancel_notice(job, price_per_million=5.0).billing
    assert "(exact, from the job; $0.40 at $5.00 / M at your price)" in priced
    early = cancel_notice(vertex_job(completed_steps=3)).billing
    assert "3 of 40 steps have run, 0 of 4 epochs." in early and "of the tokens" not in early
    unknown = cancel_notice(vertex_job(data_stats=None, total_steps=0, completed_steps=0)).billing
    assert "has not reported its billable tokens yet" in unknown and "No training step has run yet" in unknown


def test_what_remains_names_the_record_the_dataset_and_each_checkpoint():
    checkpoints = [Checkpoint(checkpoint_id="1", epoch=1, step=10, endpoint="projects/p/locations/l/endpoints/7"),
                   Checkpoint(checkpoint_id="2", epoch=2, step=20, endpoint="projects/p/locations/l/endpoints/8")]
    notice = cancel_notice(vertex_job(checkpoints=checkpoints, endpoint="projects/p/locations/l/endpoints/8",
                                      validation_examples=20))
    remains = {r.what: r for r in notice.remains}
    assert remains["the tuning job's record"].where == NAME
    assert remains["the uploaded dataset"].where.startswith(URI) and "validation set" in remains[
        "the uploaded dataset"].where
    assert remains["checkpoint 1 (epoch 1)"].where.endswith("/endpoints/7")
    assert remains["checkpoint 2 (epoch 2)"].where.endswith("/endpoints/8")
    assert "the tuned model's endpoint" not in remains  # the same endpoint as the last checkpoint: said once
    assert notice.exported.startswith("2 checkpoints were already exported")
    text = notice.text()
    assert "best-effort" in text and "Cancelling deletes nothing" in text and "fewer epochs" in text
    assert notice.as_json()["remains"][0] == {"what": "the tuning job's record", "where": NAME,
                                              "removal": remains["the tuning job's record"].removal}


def test_a_gemini_api_job_keeps_its_own_warning():
    assert cancel_notice_for(vertex_job(backend="gemini", name="tunedModels/x")) is None
    assert cancel_notice_for(vertex_job(backend="vertex-local")) is not None
