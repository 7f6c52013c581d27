"""History store: jobs and snapshots survive a reopen; a user cancel sticks."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from tui.jobs.history import History, HistoryError
from tui.models import TRAIN_LOSS, CurvePoint, Hyperparameters, Job, JobState


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
    snaps = [CurvePoint(step=i, epoch=1 + i // 10, value=1.0 / i) for i in range(1, 6)]
    history.add_points("local", "tunedModels/a", {TRAIN_LOSS: snaps[:3]})
    history.add_points("local", "tunedModels/a", {TRAIN_LOSS: snaps})  # overlapping batch: no duplicates
    history.close()

    reopened = History(path)
    jobs = reopened.load("local")
    assert [j.name for j in jobs] == ["tunedModels/b", "tunedModels/a"]
    a = jobs[1]
    assert a.loss_curve == snaps
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


def test_a_database_from_before_named_curves_keeps_its_loss_points(tmp_path):
    import sqlite3

    path = tmp_path / "history.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE jobs (backend TEXT NOT NULL, name TEXT NOT NULL, display_name TEXT NOT NULL DEFAULT '',
            base_model TEXT NOT NULL DEFAULT '', state TEXT NOT NULL, operation TEXT, hyperparameters TEXT NOT NULL,
            total_steps INTEGER NOT NULL DEFAULT 0, completed_steps INTEGER NOT NULL DEFAULT 0, error TEXT,
            dataset_path TEXT, dataset_sha256 TEXT, dataset_examples INTEGER, launched_here INTEGER NOT NULL DEFAULT 0,
            user_cancelled INTEGER NOT NULL DEFAULT 0, created TEXT, updated TEXT, started TEXT, completed TEXT,
            last_polled TEXT, PRIMARY KEY (backend, name));
        CREATE TABLE snapshots (backend TEXT NOT NULL, name TEXT NOT NULL, step INTEGER NOT NULL,
            epoch INTEGER NOT NULL, mean_loss REAL NOT NULL, compute_time TEXT, PRIMARY KEY (backend, name, step));
        INSERT INTO jobs (backend, name, state, hyperparameters, total_steps, completed_steps)
            VALUES ('local', 'tunedModels/old', 'ACTIVE',
                    '{"epoch_count": 2, "batch_size": 4, "learning_rate": 0.001}', 2, 2);
        INSERT INTO snapshots VALUES ('local', 'tunedModels/old', 1, 1, 0.9, '2026-01-01T00:00:00+00:00');
        INSERT INTO snapshots VALUES ('local', 'tunedModels/old', 2, 2, 0.4, NULL);
        """
    )
    old.commit()
    old.close()

    history = History(path)
    (job,) = history.load("local")
    assert [(p.step, p.epoch, p.value) for p in job.curve(TRAIN_LOSS)] == [(1, 1, 0.9), (2, 2, 0.4)]
    assert job.loss_curve[0].time is not None and job.hyperparameters.epoch_count == 2
    assert job.endpoint is None and job.checkpoints == []
    history.close()
    again = History(path)  # a second open finds nothing left to migrate
    assert again.load("local")[0].loss_curve == job.loss_curve
    again.close()


def test_a_record_writes_the_job_and_its_new_points_together_or_not_at_all(tmp_path):
    path = tmp_path / "history.sqlite3"
    history = History(path)
    job = make_job("tunedModels/r", datetime(2026, 3, 1, tzinfo=UTC))
    points = [CurvePoint(step=i, epoch=1, value=1.0 / i) for i in range(1, 4)]
    history.record(job, {TRAIN_LOSS: points})
    history.record(job.model_copy(update={"completed_steps": 3}))  # no new points: the row alone
    assert [(j.completed_steps, j.loss_curve) for j in History(path).load("local")] == [(3, points)]

    # A point the file refuses rolls the job row back with it.
    later = job.model_copy(update={"completed_steps": 9})
    blocker = sqlite3.connect(path)
    blocker.execute("CREATE TRIGGER refuse BEFORE INSERT ON curve_points WHEN NEW.step = 9 "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    blocker.commit()
    blocker.close()
    with pytest.raises(HistoryError):
        history.record(later, {TRAIN_LOSS: [CurvePoint(step=9, epoch=2, value=0.1)]})
    assert [j.completed_steps for j in History(path).load("local")] == [3]  # the job row was not written either
    history.close()
