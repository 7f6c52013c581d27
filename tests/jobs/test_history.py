"""History store: jobs and snapshots survive a reopen; a user cancel sticks."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from tui.jobs.history import History
from tui.models import Hyperparameters, Job, JobState, Snapshot


def make_job(name: str, created: datetime, **kw) -> Job:
    return Job(
        name=name,
        backend="local",
        display_name="numbers",
        base_model="models/gemini-1.5-flash-001-tuning",
        state=JobState.CREATING,
        hyperparameters=Hyperparameters(epoch_count=3, batch_size=2, learning_rate_multiplier=0.5),
        total_steps=30,
        dataset_path="/data/numbers.jsonl",
        dataset_sha256="ab" * 32,
        dataset_examples=20,
        launched_here=True,
        created=created,
        **kw,
    )


def test_jobs_and_snapshots_round_trip(tmp_path):
    path = tmp_path / "h" / "history.sqlite3"
    history = History(path)
    old = make_job("tunedModels/a", datetime(2026, 1, 1, tzinfo=UTC))
    new = make_job("tunedModels/b", datetime(2026, 2, 1, tzinfo=UTC))
    history.save(old)
    history.save(new)
    snaps = [Snapshot(step=i, epoch=1 + i // 10, mean_loss=1.0 / i) for i in range(1, 6)]
    history.add_snapshots("local", "tunedModels/a", snaps[:3])
    history.add_snapshots("local", "tunedModels/a", snaps)  # overlapping batch: no duplicates
    history.close()

    reopened = History(path)
    jobs = reopened.load("local")
    assert [j.name for j in jobs] == ["tunedModels/b", "tunedModels/a"]
    a = jobs[1]
    assert a.snapshots == snaps
    assert a.hyperparameters == old.hyperparameters
    assert (a.dataset_sha256, a.dataset_examples, a.created) == (old.dataset_sha256, 20, old.created)
    assert reopened.load("gemini") == []
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    reopened.close()


def test_user_cancel_sticks_whatever_the_backend_says(tmp_path):
    history = History(tmp_path / "history.sqlite3")
    job = make_job("tunedModels/a", datetime(2026, 1, 1, tzinfo=UTC))
    history.save(job)
    history.mark_cancelled("local", job.name)
    history.save(job.model_copy(update={"state": JobState.ACTIVE}))
    assert history.get("local", job.name).state is JobState.CANCELLED
    assert history.was_cancelled("local", job.name)


def test_deleted_jobs_are_hidden_unless_asked(tmp_path):
    history = History(tmp_path / "history.sqlite3")
    job = make_job("tunedModels/a", datetime(2026, 1, 1, tzinfo=UTC))
    history.save(job.model_copy(update={"state": JobState.DELETED}))
    assert history.load("local") == []
    assert [j.state for j in history.load("local", include_deleted=True)] == [JobState.DELETED]
