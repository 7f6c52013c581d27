"""Folding backend reports into known jobs, and event fan-out to every subscriber."""

from __future__ import annotations

from tui.jobs.backend import OperationStatus
from tui.jobs.events import JobAdded, JobRemoved
from tui.jobs.fold import fold
from tui.jobs.subscription import Broadcaster
from tui.models import Hyperparameters, Job, JobState, Snapshot


def snaps(*steps: int) -> list[Snapshot]:
    return [Snapshot(step=s, epoch=1, mean_loss=1.0 / s) for s in steps]


def known(**kw) -> Job:
    base = dict(name="tunedModels/a", state=JobState.CREATING, total_steps=10, snapshots=snaps(1, 2, 3), completed_steps=3,
                launched_here=True, dataset_sha256="ff", hyperparameters=Hyperparameters(epoch_count=2))
    return Job(**(base | kw))


def test_only_new_snapshots_are_added_and_none_are_lost():
    fetched = Job(name="tunedModels/a", state=JobState.CREATING, snapshots=snaps(2, 3, 5, 4, 5), completed_steps=5)
    new, added = fold(known(), fetched, None)
    assert [s.step for s in added] == [4, 5]
    assert [s.step for s in new.snapshots] == [1, 2, 3, 4, 5]
    forgetful = Job(name="tunedModels/a", state=JobState.CREATING, snapshots=[], completed_steps=0)
    again, added = fold(new, forgetful, None)
    assert added == [] and [s.step for s in again.snapshots] == [1, 2, 3, 4, 5]
    assert again.completed_steps == 5


def test_local_facts_and_user_cancel_survive():
    fetched = Job(name="tunedModels/a", state=JobState.ACTIVE, hyperparameters=Hyperparameters(epoch_count=9))
    new, _ = fold(known(state=JobState.CANCELLED), fetched, None)
    assert new.state is JobState.CANCELLED
    assert new.dataset_sha256 == "ff" and new.hyperparameters.epoch_count == 2


def test_finished_job_is_complete_and_failure_reason_kept():
    done, _ = fold(known(), Job(name="tunedModels/a", state=JobState.ACTIVE), None)
    assert done.completed_steps == 10 and done.progress == 1.0
    failed, _ = fold(known(total_steps=0), Job(name="tunedModels/a", state=JobState.FAILED),
                     OperationStatus(completed_steps=4, total_steps=12, done=True, error="diverged"))
    assert (failed.total_steps, failed.completed_steps, failed.error) == (12, 4, "diverged")


async def test_every_subscriber_gets_every_event_from_subscribing_on():
    hub = Broadcaster()
    early = hub.subscribe()
    hub.publish(JobRemoved("tunedModels/x"))
    late = hub.subscribe()
    job = Job(name="tunedModels/y")
    hub.publish(JobAdded(job))
    hub.close()
    assert [e async for e in early] == [JobRemoved("tunedModels/x"), JobAdded(job)]
    assert [e async for e in late] == [JobAdded(job)]
