"""Restart safety for Vertex jobs: stop or kill -9 mid-training, restart on the same data dir, nothing lost.

The long test runs a 10,000-step job (the smallest adapter, no step delay) through a clean
stop and a kill -9: the pool's messages never grow with the job, so it resumes at any length.
"""

from __future__ import annotations

from tests.emulator.vertex_helpers import (
    colour_records,
    create_job,
    export_all,
    jsonl,
    rest,
    run_of,
    series_names,
    upload,
    wait_job,
    wait_points,
    wait_trainers_gone,
)


def _loss(emu, job: dict) -> list[dict]:
    return export_all(emu, series_names(emu, run_of(emu, job))["/train_total_loss"], page_size=10_000)


def test_a_10000_step_job_resumes_through_stop_and_kill(emulator_factory):
    emu = emulator_factory()
    records = colour_records(400)
    train = upload(emu, "long/train.jsonl", jsonl(records))
    validation = upload(emu, "long/val.jsonl", jsonl(records[:8]))
    status, job = create_job(emu, train, validation, epochCount=100, adapterSize="ADAPTER_SIZE_ONE")
    assert status == 200, job
    name = job["name"]
    wait_points(emu, name, 800, timeout=120)
    emu.stop()  # clean stop: the trainer checkpoints and the job stays RUNNING
    wait_trainers_gone(emu.data_dir)

    emu = emulator_factory(data_dir=emu.data_dir)
    stopped = rest(emu, "GET", name)[1]
    assert stopped["state"] == "JOB_STATE_RUNNING"
    before_stop = _loss(emu, stopped)
    assert len(before_stop) >= 800
    wait_points(emu, name, len(before_stop) + 2200, timeout=180)
    emu.kill()  # the orphaned trainer sees its server gone and checkpoints with the unacknowledged points
    wait_trainers_gone(emu.data_dir)

    emu = emulator_factory(data_dir=emu.data_dir)
    done = wait_job(emu, name, timeout=300)
    assert done["state"] == "JOB_STATE_SUCCEEDED"
    stats = done["tuningDataStats"]["supervisedTuningDataStats"]
    assert stats["tuningStepCount"] == "10000" and done["tuningJobMetadata"]["completedStepCount"] == "10000"
    loss = _loss(emu, done)
    assert [int(p["step"]) for p in loss] == list(range(1, 10_001))
    assert loss[: len(before_stop)] == before_stop  # resumed, not retrained: same values, same times
    eval_steps = [int(p["step"]) for p in export_all(emu, series_names(emu, run_of(emu, done))["/eval_total_loss"])]
    assert eval_steps == list(range(100, 10_001, 100))  # each epoch's end (every 100 steps here), none twice
    assert len(done["tunedModel"]["checkpoints"]) == 10


def test_finished_jobs_keep_their_curves_and_endpoints_across_a_restart(emulator_factory):
    emu = emulator_factory()
    train = upload(emu, "c/train.jsonl", jsonl(colour_records(8)))
    job = wait_job(emu, create_job(emu, train, epochCount=3)[1]["name"])
    curve = _loss(emu, job)
    prompt = {
        "contents": [{"role": "user", "parts": [{"text": "colour of item 3: gold"}]}],
        "generationConfig": {"temperature": 0},
    }
    answer = rest(emu, "POST", f"{job['tunedModel']['checkpoints'][0]['endpoint']}:generateContent", prompt)[1]
    emu.kill()

    emu = emulator_factory(data_dir=emu.data_dir)
    assert rest(emu, "GET", job["name"])[1] == job
    assert _loss(emu, job) == curve
    again = rest(emu, "POST", f"{job['tunedModel']['checkpoints'][0]['endpoint']}:generateContent", prompt)[1]
    assert again["candidates"] == answer["candidates"]


def test_a_pending_job_starts_after_a_restart(emulator_factory):
    emu = emulator_factory(step_delay=0.2, trainers=1)
    train = upload(emu, "c/train.jsonl", jsonl(colour_records(8)))
    first = create_job(emu, train, epochCount=50)[1]["name"]
    queued = create_job(emu, train, epochCount=1)[1]["name"]
    assert rest(emu, "GET", queued)[1]["state"] == "JOB_STATE_PENDING"
    rest(emu, "POST", f"{first}:cancel")
    emu.kill()
    wait_trainers_gone(emu.data_dir)
    emu = emulator_factory(data_dir=emu.data_dir)
    assert wait_job(emu, queued)["state"] == "JOB_STATE_SUCCEEDED"
    assert wait_job(emu, first)["state"] == "JOB_STATE_CANCELLED"
