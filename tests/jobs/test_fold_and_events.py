"""Folding backend reports into known jobs, and event fan-out to every subscriber."""

from __future__ import annotations

from tui.jobs.events import JobAdded, JobRemoved
from tui.jobs.fold import fold
from tui.jobs.subscription import Broadcaster
from tui.models import TRAIN_LOSS, CurvePoint, Hyperparameters, Job, JobState


def snaps(*steps: int) -> list[CurvePoint]:
    return [CurvePoint(step=s, epoch=1, value=1.0 / s) for s in steps]


def known(**kw) -> Job:
    base = dict(
        name="tunedModels/a",
        state=JobState.CREATING,
        total_steps=10,
        curves={TRAIN_LOSS: snaps(1, 2, 3)},
        completed_steps=3,
        launched_here=True,
        dataset_sha256="ff",
        hyperparameters=Hyperparameters(epoch_count=2),
    )
    return Job(**(base | kw))


def test_only_new_snapshots_are_added_and_none_are_lost():
    fetched = Job(
        name="tunedModels/a", state=JobState.CREATING, curves={TRAIN_LOSS: snaps(2, 3, 5, 4, 5)}, completed_steps=5
    )
    new, added = fold(known(), fetched)
    assert [s.step for s in added[TRAIN_LOSS]] == [4, 5]
    assert [s.step for s in new.loss_curve] == [1, 2, 3, 4, 5]
    forgetful = Job(name="tunedModels/a", state=JobState.CREATING, completed_steps=0)
    again, added = fold(new, forgetful)
    assert added == {} and [s.step for s in again.loss_curve] == [1, 2, 3, 4, 5]
    assert again.completed_steps == 5


def test_local_facts_and_user_cancel_survive():
    fetched = Job(name="tunedModels/a", state=JobState.ACTIVE, hyperparameters=Hyperparameters(epoch_count=9))
    new, _ = fold(known(state=JobState.CANCELLED), fetched)
    assert new.state is JobState.CANCELLED
    assert new.dataset_sha256 == "ff" and new.hyperparameters.epoch_count == 2


def test_a_backend_that_reports_cancels_is_believed():
    """Vertex AI cancels on a best-effort basis: a job cancelled too late still succeeds."""
    cancelling = Job(name="tunedModels/a", state=JobState.CREATING, sub_state="cancelling")
    asked, _ = fold(known(), cancelling, cancelled=True, cancel_sticks=False)
    assert (asked.state, asked.sub_state) == (JobState.CREATING, "cancelling")
    succeeded, _ = fold(asked, Job(name="tunedModels/a", state=JobState.ACTIVE), cancel_sticks=False)
    assert succeeded.state is JobState.ACTIVE
    stopped, _ = fold(asked, Job(name="tunedModels/a", state=JobState.CANCELLED), cancel_sticks=False)
    assert stopped.state is JobState.CANCELLED


def test_finished_job_is_complete_and_failure_reason_kept():
    done, _ = fold(known(), Job(name="tunedModels/a", state=JobState.ACTIVE))
    assert done.completed_steps == 10 and done.progress == 1.0
    fetched = Job(name="tunedModels/a", state=JobState.FAILED, completed_steps=4, total_steps=12, error="diverged")
    failed, _ = fold(known(total_steps=0), fetched)
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
