"""The job on screen between two whole reads: only its new loss points are fetched (one TensorBoard export,
no read of the job, no accuracy curve) and written to history with the next whole read; its end is still read
whole and announced."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from tests.jobs.conftest import NUMBERS, next_event
from tui.config import Settings
from tui.jobs.events import JobFinished
from tui.jobs.history import History
from tui.jobs.manager import JobManager
from tui.jobs.polling import PollPolicy
from tui.jobs.service import vertex_local_backend
from tui.models import EVAL_LOSS, TRAIN_LOSS, Hyperparameters, JobSpec, JobState, ValidationChoice

# Whole reads once an hour: after the first one, every poll of the focused job is an in-between read.
FOCUS_ONLY = PollPolicy(fast=3600, slow=3600, focus=0.05, discover_every=3600)


# Whole reads as often as the in-between ones: a job is read whole every 0.05 s.
EVERY_READ_WHOLE = PollPolicy(fast=0.05, slow=0.05, focus=0.05, discover_every=3600)


async def start_manager(emulator_factory, tmp_path, policy: PollPolicy, *, step_delay: float = 0.05,
                        background: bool = True):
    """A started manager on a Vertex emulator whose steps take `step_delay`: (settings, backend, manager)."""
    emulator = emulator_factory(step_delay=step_delay)
    settings = replace(Settings(data_dir=tmp_path, config_dir=tmp_path / "config"), local_url=emulator.url)
    backend = vertex_local_backend(settings, emulator.url, emulator.api_key)
    manager = JobManager(settings, backend, History(settings.history_path), policy=policy)
    await manager.start(background=background)
    return settings, backend, manager


async def wait_until(condition, what: str, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_in_between_reads_fetch_only_new_loss_points_and_the_end_is_read_whole(emulator_factory, tmp_path):
    settings, backend, manager = await start_manager(emulator_factory, tmp_path, FOCUS_ONLY)
    events = manager.events()
    try:
        spec = JobSpec(display_name="watched", base_model="gemini-2.5-flash",
                       hyperparameters=Hyperparameters(epoch_count=8, adapter_size=4))
        job = await manager.launch(spec, NUMBERS)
        manager.focus(job.name)
        await wait_until(lambda: len(manager.job(job.name).curve(TRAIN_LOSS)) >= 2, "the first points")
        accuracy = len(manager.job(job.name).curve("train_accuracy"))
        polls, requests = manager.requests_sent, backend.rest.requests_sent
        loss = len(manager.job(job.name).curve(TRAIN_LOSS))
        await wait_until(lambda: len(manager.job(job.name).curve(TRAIN_LOSS)) >= loss + 5, "more loss points")
        watched = manager.job(job.name)
        assert manager.requests_sent - polls >= 2
        if not (watched.total_steps and watched.completed_steps >= watched.total_steps):  # not yet at its end
            # One request per read: the train loss export (no validation set: no eval curve).
            assert backend.rest.requests_sent - requests == manager.requests_sent - polls
            assert len(watched.curve("train_accuracy")) == accuracy
            # History is written at the whole reads' pace: the in-between reads' points wait for the next one.
            stored = History(settings.history_path).get(backend.name, job.name)
            assert stored is not None and len(stored.curve(TRAIN_LOSS)) < len(watched.curve(TRAIN_LOSS))
        assert watched.completed_steps >= watched.curve(TRAIN_LOSS)[-1].step
        finished, _seen = await next_event(events, JobFinished, timeout=120, where=lambda e: e.job.name == job.name)
        done = manager.job(job.name)
        assert finished.job.state is JobState.ACTIVE and done.state is JobState.ACTIVE
        assert [p.step for p in done.curve(TRAIN_LOSS)] == list(range(1, done.total_steps + 1))
        assert len(done.curve("train_accuracy")) == done.total_steps  # the whole reads brought the rest
        stored = History(settings.history_path).get(backend.name, job.name)
        assert stored is not None and stored.curve(TRAIN_LOSS) == done.curve(TRAIN_LOSS)
    finally:
        await manager.close()


async def test_a_job_in_the_background_is_read_for_its_loss_and_the_rest_comes_when_it_is_on_screen(
        emulator_factory, tmp_path):
    _settings, _backend, manager = await start_manager(emulator_factory, tmp_path, EVERY_READ_WHOLE)
    events = manager.events()
    try:
        spec = JobSpec(display_name="behind", base_model="gemini-2.5-flash",
                       hyperparameters=Hyperparameters(epoch_count=12, adapter_size=4),
                       validation=ValidationChoice(split=0.25, seed=1))
        job = await manager.launch(spec, NUMBERS)
        # Into its second epoch: the first epoch's end has an eval point on the server.
        await wait_until(lambda: (manager.job(job.name).current_epoch or 0) >= 2, "the job's second epoch")
        behind = manager.job(job.name)
        if not (behind.total_steps and behind.completed_steps >= behind.total_steps):  # still training
            # The list shows the last training loss: neither accuracy nor the eval loss was read.
            assert behind.curve("train_accuracy") == [] and behind.curve(EVAL_LOSS) == []
        manager.focus(job.name)
        await wait_until(lambda: len(manager.job(job.name).curve("train_accuracy")) >= 5, "the accuracy points")
        shown = manager.job(job.name)
        assert [p.step for p in shown.curve("train_accuracy")][:5] == [1, 2, 3, 4, 5]  # from the first step on
        assert shown.curve(EVAL_LOSS)  # and the eval loss, from the first epoch's end on
        manager.focus(None)
        await next_event(events, JobFinished, timeout=120, where=lambda e: e.job.name == job.name)
        done = manager.job(job.name)
        assert [p.step for p in done.curve("train_accuracy")] == list(range(1, done.total_steps + 1))
    finally:
        await manager.close()


async def test_a_finished_job_is_read_with_every_curve_even_when_only_some_are_asked_for(emulator_factory, tmp_path):
    _settings, backend, manager = await start_manager(emulator_factory, tmp_path, FOCUS_ONLY, step_delay=0,
                                                      background=False)
    try:
        spec = JobSpec(display_name="ended", base_model="gemini-2.5-flash",
                       hyperparameters=Hyperparameters(epoch_count=2, adapter_size=4))
        job = await manager.launch(spec, NUMBERS)
        deadline = asyncio.get_running_loop().time() + 60
        while not (done := await backend.get(job.name, curves=(TRAIN_LOSS,))).state.finished:
            assert asyncio.get_running_loop().time() < deadline, "the job did not finish"
            await asyncio.sleep(0.1)
        assert len(done.curve("train_accuracy")) == len(done.curve(TRAIN_LOSS)) == done.total_steps
    finally:
        await manager.close()


async def test_a_job_followed_on_its_own_is_read_with_every_curve_while_it_trains(emulator_factory, tmp_path):
    # Not in the background, as `tunedeck jobs watch` runs it.
    _settings, _backend, manager = await start_manager(emulator_factory, tmp_path, EVERY_READ_WHOLE, background=False)
    try:
        spec = JobSpec(display_name="followed", base_model="gemini-2.5-flash",
                       hyperparameters=Hyperparameters(epoch_count=12, adapter_size=4))
        job = await manager.launch(spec, NUMBERS)
        manager.watch(job.name)
        await wait_until(lambda: len(manager.job(job.name).curve("train_accuracy")) >= 5
                         or manager.job(job.name).state.finished, "accuracy points or the end")
        followed = manager.job(job.name)
        assert not followed.state.finished, "the job ended before the test saw it train"
        assert len(followed.curve("train_accuracy")) >= 5  # read as it trains, not only at its end
    finally:
        await manager.close()


# Only the listing sees jobs move: a job's own watcher reads it once, then not for an hour.
LISTING_ONLY = PollPolicy(fast=3600, slow=3600, focus=3600, discover_every=0.2)


async def test_a_job_the_listing_sees_end_is_read_whole_with_every_curve(emulator_factory, tmp_path):
    """A Vertex listing carries no curves: the end it reports is read whole, as the watcher
    would have read it, so the finished job has its eval loss and accuracy."""
    _settings, _backend, manager = await start_manager(emulator_factory, tmp_path, LISTING_ONLY)
    events = manager.events()
    try:
        spec = JobSpec(display_name="listed", base_model="gemini-2.5-flash",
                       hyperparameters=Hyperparameters(epoch_count=2, adapter_size=4),
                       validation=ValidationChoice(split=0.25, seed=1))
        job = await manager.launch(spec, NUMBERS)
        finished, _seen = await next_event(events, JobFinished, timeout=120, where=lambda e: e.job.name == job.name)
        done = manager.job(job.name)
        assert finished.job.curve(EVAL_LOSS) and done.curve(EVAL_LOSS)
        assert [p.step for p in done.curve(TRAIN_LOSS)] == list(range(1, done.total_steps + 1))
        assert len(done.curve("train_accuracy")) == done.total_steps
    finally:
        await manager.close()
