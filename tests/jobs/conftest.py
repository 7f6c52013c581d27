"""Fixtures for job-manager tests: managers on a real emulator, event collection, datasets."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from tui.config import Settings
from tui.emulator.process import RunningEmulator
from tui.jobs.polling import PollPolicy
from tui.jobs.service import open_manager
from tui.models import Hyperparameters, JobSpec

FAST = PollPolicy(fast=0.05, slow=0.3, growth=1.5, backoff_base=0.05, backoff_max=0.4, discover_every=0.5)
SAMPLES = Path(__file__).resolve().parents[2] / "tui" / "samples"
NUMBERS = SAMPLES / "number-increment.jsonl"


def spec(epochs: int = 2, batch: int = 8, name: str = "numbers") -> JobSpec:
    return JobSpec(display_name=name, hyperparameters=Hyperparameters(epoch_count=epochs, batch_size=batch))


def settings_for(url: str, data_dir: Path, api_key: str | None) -> Settings:
    return replace(Settings(data_dir=data_dir, config_dir=data_dir / "config"), local_url=url, local_api_key=api_key)


@pytest.fixture
async def make_manager(tmp_path):
    """`await make_manager(emulator_or_url, data_dir=None, background=True)`; all are closed afterwards.

    Given a RunningEmulator, the manager uses its URL and key; given a URL, `api_key`."""
    managers = []

    async def make(target: RunningEmulator | str, data_dir: Path | None = None, background: bool = True,
                   policy: PollPolicy = FAST, api_key: str | None = None):  # fmt: skip
        url, key = (target, api_key) if isinstance(target, str) else (target.url, target.api_key)
        manager = await open_manager(
            settings_for(url, data_dir or tmp_path / "data", key), policy=policy, background=background
        )
        managers.append(manager)
        return manager

    yield make
    for manager in managers:
        await manager.close()


async def next_event(subscription, kinds, timeout: float = 30.0, where=None):
    """Read events until one of `kinds` (optionally matching `where`) arrives; returns (it, all read)."""
    seen = []

    async def read():
        async for event in subscription:
            seen.append(event)
            if isinstance(event, kinds) and (where is None or where(event)):
                return event
        raise AssertionError(f"subscription ended before {kinds}")

    try:
        return await asyncio.wait_for(read(), timeout), seen
    except TimeoutError:
        raise AssertionError(f"no {kinds} within {timeout} s; saw {[type(e).__name__ for e in seen]}") from None


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path
