"""The job manager against the real emulator: launch to ready, refusals, cancel, delete, rename, resume."""

from __future__ import annotations

import asyncio
import math

import pytest

from tests.jobs.conftest import NUMBERS, next_event, spec, write_jsonl
from tui.jobs.errors import BackendError, ErrorKind, LaunchRefused
from tui.jobs.events import (
    CurvePointsAdded,
    JobAdded,
    JobFinished,
    JobProgress,
    JobRemoved,
    JobStateChanged,
    JobUpdated,
)
from tui.jobs.history import History
from tui.models import JobState


def contiguous(job) -> bool:
    return [s.step for s in job.loss_curve] == list(range(1, job.total_steps + 1))


async def test_launch_trains_to_ready_and_records_everything(emulator, make_manager, tmp_path):
    manager = await make_manager(emulator)
    events = manager.events()
    job = await manager.launch(spec(epochs=2, batch=8), NUMBERS)
    examples = sum(1 for line in NUMBERS.read_text().splitlines() if line.strip())
    assert job.launched_here and job.dataset_sha256 and job.dataset_examples == examples
    assert job.total_steps == math.ceil(examples * 2 / 8) and job.state is JobState.CREATING

    finished, seen = await next_event(events, JobFinished)
    done = finished.job
    assert done.state is JobState.ACTIVE and done.progress == 1.0
    assert contiguous(done)
    assert isinstance(seen[0], JobAdded)
    assert any(isinstance(e, JobProgress) for e in seen)
    assert [(e.old, e.new) for e in seen if isinstance(e, JobStateChanged)] == [(JobState.CREATING, JobState.ACTIVE)]
    streamed = [s for e in seen if isinstance(e, CurvePointsAdded) for s in e.loss]
    assert streamed == done.loss_curve  # each snapshot published exactly once

    stored = History(tmp_path / "data" / "history.sqlite3").get("local", job.name)
    assert stored.loss_curve == done.loss_curve
    assert (stored.state, stored.dataset_sha256, stored.hyperparameters) == (
        JobState.ACTIVE,
        job.dataset_sha256,
        job.hyperparameters,
    )
    assert (await manager.generate(job.name, "41")).strip()


async def test_bad_dataset_is_refused_before_submitting(emulator, make_manager, tmp_path):
    rows = [{"text_input": str(i), "output": str(i + 1)} for i in range(25)] + [{"text_input": "no output here"}]
    bad = write_jsonl(tmp_path / "bad.jsonl", rows)
    manager = await make_manager(emulator, background=False)
    with pytest.raises(LaunchRefused) as refused:
        await manager.launch(spec(), bad)
    assert refused.value.report.has_errors
    assert "bad.jsonl:26" in str(refused.value)
    assert await manager.backend.list_jobs() == []

    forced = await manager.launch(spec(), bad, force=True)
    assert forced.dataset_examples == 25


async def test_cancel_sticks(emulator_factory, make_manager, tmp_path):
    emulator = emulator_factory(step_delay=0.05)
    manager = await make_manager(emulator)
    events = manager.events()
    job = await manager.launch(spec(epochs=5, batch=4), NUMBERS)
    await next_event(events, CurvePointsAdded)
    cancelled = await manager.cancel(job.name)
    assert cancelled.state is JobState.CANCELLED
    finished, _ = await next_event(events, JobFinished)
    assert finished.job.state is JobState.CANCELLED
    await manager.refresh(job.name)
    assert manager.job(job.name).state is JobState.CANCELLED
    with pytest.raises(BackendError, match="already finished"):
        await manager.cancel(job.name)
    await manager.close()

    again = await make_manager(emulator, background=False)
    assert again.job(job.name).state is JobState.CANCELLED


async def test_delete_and_rename(emulator, make_manager):
    manager = await make_manager(emulator)
    events = manager.events()
    job = await manager.launch(spec(epochs=1), NUMBERS)
    await next_event(events, JobFinished)

    renamed = await manager.rename(job.id, "numbers v2")
    assert renamed.display_name == "numbers v2"
    assert (await manager.backend.get(job.name)).display_name == "numbers v2"
    await next_event(events, JobUpdated)
    with pytest.raises(BackendError, match="at most 40"):
        await manager.rename(job.name, "x" * 41)

    await manager.delete(job.name)
    await next_event(events, JobRemoved, where=lambda e: e.name == job.name)
    assert manager.job(job.name) is None
    with pytest.raises(BackendError) as gone:
        await manager.backend.get(job.name)
    assert gone.value.kind is ErrorKind.NOT_FOUND and gone.value.status == 404
    with pytest.raises(BackendError) as missing:
        await manager.delete("tunedModels/never-existed")
    assert missing.value.kind is ErrorKind.NOT_FOUND


async def test_resume_after_manager_restart(emulator_factory, make_manager, tmp_path):
    emulator = emulator_factory(step_delay=0.03)
    first = await make_manager(emulator)
    events = first.events()
    job = await first.launch(spec(epochs=2, batch=4), NUMBERS)  # 40 steps
    await next_event(events, CurvePointsAdded)
    await first.close()

    second = await make_manager(emulator)
    resumed = second.job(job.name)
    assert resumed is not None and resumed.launched_here and resumed.dataset_sha256 == job.dataset_sha256
    events = second.events()
    finished, _ = await next_event(events, JobFinished, where=lambda e: e.job.name == job.name)
    assert finished.job.state is JobState.ACTIVE
    assert contiguous(finished.job)


async def test_jobs_made_elsewhere_are_found(emulator, make_manager, tmp_path):
    other = await make_manager(emulator, data_dir=tmp_path / "elsewhere", background=False)
    made = await other.launch(spec(epochs=1, name="elsewhere"), NUMBERS)

    manager = await make_manager(emulator)
    events = manager.events()
    added, _ = await next_event(events, JobAdded, where=lambda e: e.job.name == made.name)
    assert not added.job.launched_here
    await manager.refresh()
    await manager.refresh(made.name)
    found = manager.job(made.name)
    assert found.display_name == "elsewhere"
    assert found.operation == made.operation  # looked up on the backend
    assert found.total_steps == made.total_steps
    assert [j.name for j in manager.jobs] == [made.name]


async def test_polling_slows_when_idle_and_stops_when_finished(emulator_factory, make_manager):
    from tui.jobs.polling import PollPolicy

    emulator = emulator_factory(step_delay=30)  # the first step takes 30 s: nothing changes meanwhile
    policy = PollPolicy(fast=0.05, slow=0.4, growth=2.0, discover_every=600)
    manager = await make_manager(emulator, policy=policy)
    events = manager.events()
    await manager.launch(spec(epochs=1), NUMBERS)
    await next_event(events, CurvePointsAdded)  # step 1; step 2 is 30 s away
    await asyncio.sleep(1.0)  # intervals 0.05, 0.1, 0.2, 0.4: the watcher has slowed down
    before = manager.requests_sent
    await asyncio.sleep(2.0)
    idle = manager.requests_sent - before
    assert 2 <= idle <= 8  # about one poll every 0.4 s; polling every 0.05 s would be 40

    emulator.configure(step_delay=0)
    await next_event(events, JobFinished, timeout=60)
    done = manager.requests_sent
    await asyncio.sleep(1.0)
    assert manager.requests_sent == done  # a finished job is not polled
