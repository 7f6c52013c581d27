"""Fixtures for the monitor, compare, playground and models tests.

Live tests run the real app on a real job manager against the real emulator (training
slowed so a curve can be watched growing), with the shared UI fixtures of
tests/ui_fixtures.py. Snapshot tests use a history database seeded with finished jobs whose
curves are deterministic, so SVGs are stable; the manager still talks to a real (empty)
emulator.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.monitor.curves import falling_curve
from tests.ui_fixtures import REPO, SIZE, manager, settings, settle, steady_app, ui_emulator
from tui.models import TRAIN_LOSS, Hyperparameters, Job, JobSpec, JobState

__all__ = ["SIZE", "manager", "settings", "settle", "steady_app", "ui_emulator"]

SAMPLES = REPO / "tui" / "samples"
T0 = datetime(2026, 3, 14, 15, 0, tzinfo=UTC)


async def launch(manager, name: str, sample: str = "number-increment.jsonl", epochs: int = 3, batch: int = 4) -> Job:
    spec = JobSpec(display_name=name, hyperparameters=Hyperparameters(epoch_count=epochs, batch_size=batch))
    return await manager.launch(spec, SAMPLES / sample)


async def wait_for(pilot, predicate, timeout: float = 30.0, what: str = "condition") -> None:
    """Let the app run until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await pilot.pause(0.05)


async def finished(manager, name: str, timeout: float = 60.0) -> Job:
    """Wait (without an app) until the manager sees the job finish."""
    deadline = time.monotonic() + timeout
    while not manager.job(name).state.finished:
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} did not finish within {timeout:.0f} s")
        await asyncio.sleep(0.05)
    return manager.job(name)


# -- deterministic history for SVG snapshots -----------------------------------------------


def seeded_jobs() -> list[Job]:
    """Three finished jobs with fixed curves, times and fingerprints."""
    sample = "tui/samples/number-increment.jsonl"

    def job(
        ident: str, title: str, epochs: int, batch: int, rate: float, floor: float, start: datetime, **extra
    ) -> Job:
        snapshots = falling_curve(epochs=epochs, steps_per_epoch=20, floor=floor)
        return Job(
            name=f"tunedModels/{ident}",
            display_name=title,
            state=extra.pop("state", JobState.ACTIVE),
            hyperparameters=Hyperparameters(epoch_count=epochs, batch_size=batch, learning_rate=rate),
            total_steps=len(snapshots),
            completed_steps=len(snapshots),
            curves={TRAIN_LOSS: snapshots},
            dataset_path=sample,
            dataset_sha256="faed1d70bca6" + "0" * 52,
            dataset_examples=79,
            launched_here=True,
            created=start,
            updated=start + timedelta(minutes=3),
            started=start,
            completed=start + timedelta(minutes=2, seconds=41),
            **extra,
        )

    return [
        job("increment-a1b2c3", "increment lr 0.001", 6, 4, 0.001, 0.05, T0),
        job("increment-d4e5f6", "increment lr 0.003", 6, 4, 0.003, 0.12, T0 + timedelta(hours=1)),
        job("increment-g7h8i9", "increment 4 epochs", 4, 8, 0.001, 0.3, T0 + timedelta(hours=2)),
    ]


@pytest.fixture
def seeded_settings(settings):
    """Settings whose history already holds `seeded_jobs()` (the app opens the manager itself)."""
    from tui.jobs.history import History

    history = History(settings.history_path)
    for job in seeded_jobs():
        history.save(job)
        history.add_points(job.backend, job.name, job.curves)
    history.close()
    return settings


async def app_ready(app, pilot) -> None:
    """Wait until the app has opened its manager and loaded the history."""
    await wait_for(pilot, lambda: app.manager is not None, what="the job manager")
    await settle(app, pilot)
