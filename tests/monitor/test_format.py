"""Words and numbers the monitor shows: ages, durations, ETA, fingerprints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tui.models import Hyperparameters, Job, JobState
from tui.screens.monitor_format import (
    ago,
    ago_changes_in,
    duration,
    elapsed,
    eta,
    fingerprint,
    hyperparameters_text,
    last_heard,
)

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


def test_ago_is_calm_for_fresh_polls_and_counts_up_when_stalled():
    assert ago(None, NOW) == "—"
    assert ago(NOW - timedelta(seconds=9), NOW) == "just now"  # within two polls of the app
    assert ago(NOW - timedelta(seconds=17), NOW) == "15 s ago"
    assert ago(NOW - timedelta(minutes=12, seconds=30), NOW) == "12 min ago"
    assert ago(NOW - timedelta(hours=5), NOW) == "5 h ago"
    assert ago((NOW - timedelta(days=2)).replace(tzinfo=None), NOW) == "2 d ago"  # naive means UTC


def test_ago_says_when_its_label_next_changes():
    assert ago_changes_in(None, NOW) is None
    assert ago_changes_in(NOW - timedelta(seconds=3), NOW) == 7  # "just now" until 10 s
    assert ago_changes_in(NOW - timedelta(seconds=17), NOW) == 3  # "15 s ago" until 20 s
    assert ago_changes_in(NOW - timedelta(minutes=2, seconds=10), NOW) == 50


def test_a_finished_job_ages_from_when_it_ended_not_from_its_last_poll():
    polled = NOW - timedelta(seconds=2)
    running = Job(name="tunedModels/a", state=JobState.CREATING, last_polled=polled, updated=NOW - timedelta(minutes=9))
    assert last_heard(running) == polled
    ended = NOW - timedelta(hours=3)
    done = running.model_copy(update={"state": JobState.ACTIVE, "completed": ended})
    assert last_heard(done) == ended and ago(last_heard(done), NOW) == "3 h ago"


def test_duration_words():
    assert duration(None) == "—"
    assert duration(42) == "42 s"
    assert duration(185) == "3 min 05 s"
    assert duration(2 * 3600 + 7 * 60) == "2 h 07 min"


def test_elapsed_and_eta_follow_the_pace_so_far():
    running = Job(
        name="tunedModels/a",
        state=JobState.CREATING,
        total_steps=100,
        completed_steps=25,
        started=NOW - timedelta(seconds=50),
    )
    assert elapsed(running, NOW) == 50
    assert eta(running, NOW) == 150  # 2 s per step, 75 steps left
    assert eta(running, None) is None  # no clock (test mode): no ETA
    done = running.model_copy(update={"state": JobState.ACTIVE, "completed": NOW - timedelta(seconds=10)})
    assert elapsed(done, None) == 40 and eta(done, NOW) is None


def test_fingerprint_and_settings_text():
    job = Job(name="tunedModels/a", dataset_sha256="ab" * 32, dataset_examples=80, dataset_path="/elsewhere/data.jsonl")
    assert fingerprint(job) == "sha256 abababababab · 80 examples · /elsewhere/data.jsonl"
    assert fingerprint(Job(name="tunedModels/b")) == "unknown (job found on the backend)"
    assert hyperparameters_text(Hyperparameters(epoch_count=3, batch_size=8, learning_rate_multiplier=2)) == (
        "3 epochs · batch size 8 · learning-rate multiplier 2"
    )


def test_the_summary_speaks_of_a_vertex_job_in_words():
    """Sub-state, epoch of epochs, eval loss and the checkpoints with the eval loss at their step."""
    from tui.models import EVAL_LOSS, TRAIN_LOSS, Checkpoint, CurvePoint, Hyperparameters, Job, JobState
    from tui.widgets.monitor_summary import summary_markup

    train = [CurvePoint(step=s, epoch=(s - 1) // 10 + 1, value=1.0 / s) for s in range(1, 26)]
    evals = [CurvePoint(step=10, value=0.41), CurvePoint(step=20, value=0.37)]
    job = Job(
        name="projects/p/locations/l/tuningJobs/1",
        backend="vertex-local",
        state=JobState.CREATING,
        sub_state="tuning",
        hyperparameters=Hyperparameters(epoch_count=3),
        total_steps=30,
        completed_steps=25,
        curves={TRAIN_LOSS: train, EVAL_LOSS: evals},
        checkpoints=[Checkpoint(checkpoint_id="1", epoch=1, step=10), Checkpoint(checkpoint_id="2", epoch=2, step=20)],
    )
    text = summary_markup(job, None, None)
    assert "RUNNING[/] (tuning) · 25/30 steps · epoch 3 of 3 (83%)" in text
    assert "Eval loss" in text and "latest 0.3700 · lowest 0.3700" in text
    assert "epoch 1 · step 10 · eval 0.410; epoch 2 · step 20 · eval 0.370" in text
