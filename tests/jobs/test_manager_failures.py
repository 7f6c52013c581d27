"""The manager under failure: injected 429/503, refused connections, emulator restart, bad credentials."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from tests.jobs.conftest import NUMBERS, next_event, spec
from tui.emulator.process import start_emulator
from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.events import BackendFailed, BackendRecovered, CurvePointsAdded, JobFinished
from tui.jobs.gemini import GeminiBackend
from tui.models import JobState


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def contiguous(job) -> bool:
    return [s.step for s in job.loss_curve] == list(range(1, job.total_steps + 1))


async def test_injected_503s_lose_no_snapshot(emulator_factory, make_manager):
    emulator = emulator_factory(step_delay=0.02)
    manager = await make_manager(emulator)
    events = manager.events()
    job = await manager.launch(spec(epochs=2, batch=4), NUMBERS)
    emulator.configure(fault_rate=0.4, fault_codes=[503], fault_seed=3)
    finished, seen = await next_event(events, JobFinished, timeout=60)
    emulator.configure(fault_rate=0.0)
    assert finished.job.state is JobState.ACTIVE
    assert contiguous(finished.job)
    failures = [e for e in seen if isinstance(e, BackendFailed)]
    assert failures and all(e.error.kind is ErrorKind.SERVER and e.error.status == 503 for e in failures)
    assert any(e.job_name == job.name for e in failures)
    assert any(isinstance(e, BackendRecovered) and e.job_name == job.name for e in seen)


async def test_429_retry_after_holds_every_request(emulator, make_manager):
    manager = await make_manager(emulator, background=False)
    job = await manager.launch(spec(epochs=1), NUMBERS)
    emulator.configure(fault_rate=1.0, fault_codes=[429])
    with pytest.raises(BackendError) as limited:
        await manager.refresh(job.name)
    assert limited.value.kind is ErrorKind.RATE_LIMITED and limited.value.retry_after == 1.0
    emulator.configure(fault_rate=0.0)
    started = time.monotonic()
    await manager.refresh(job.name)  # waits out the server's Retry-After before sending
    assert time.monotonic() - started >= 0.9


async def test_launch_retries_transient_failures(emulator, make_manager):
    manager = await make_manager(emulator, background=False)
    events = manager.events()
    emulator.configure(fault_rate=0.5, fault_codes=[503], fault_seed=11)
    try:
        job = await manager.launch(spec(epochs=1), NUMBERS)
    finally:
        emulator.configure(fault_rate=0.0)
    assert [j.name for j in await manager.backend.list_jobs()] == [job.name]  # created once
    assert events.pending() >= 1


async def test_refused_connection_is_reported_not_raised_from_polling(make_manager, tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    manager = await make_manager(url, api_key="any-key")
    health = await manager.check()
    assert not health.reachable
    assert "cannot reach the local emulator" in health.message and f"the emulator at {url} is running" in health.message
    with pytest.raises(BackendError) as refused:
        await manager.launch(spec(), NUMBERS)
    assert refused.value.kind is ErrorKind.UNREACHABLE


async def test_emulator_restart_mid_training(tmp_path, make_manager):
    port = free_port()
    emulator = start_emulator(tmp_path / "emu", port=port, extra_args=("--step-delay", "0.03"))
    try:
        manager = await make_manager(emulator)
        events = manager.events()
        job = await manager.launch(spec(epochs=2, batch=4), NUMBERS)
        await next_event(events, CurvePointsAdded)
        emulator.stop()
        failed, _ = await next_event(events, BackendFailed)
        assert failed.error.kind is ErrorKind.UNREACHABLE
        before = list(manager.job(job.name).loss_curve)

        await asyncio.sleep(0.3)
        emulator = await asyncio.to_thread(
            start_emulator, tmp_path / "emu", port=port, extra_args=("--step-delay", "0.03")
        )
        await next_event(events, BackendRecovered, timeout=30, where=lambda e: e.job_name == job.name)
        finished, _ = await next_event(events, JobFinished, timeout=60)
        assert finished.job.loss_curve[: len(before)] == before
        assert finished.job.state is JobState.ACTIVE
        assert contiguous(finished.job)
    finally:
        emulator.stop()


async def test_bad_key_and_missing_scopes_are_explained(emulator_factory, make_manager):
    emulator = emulator_factory(deny_scopes=True)
    backend = GeminiBackend("not-the-key", base_url=emulator.url, name="local")
    try:
        with pytest.raises(BackendError) as bad:
            await backend.base_models()
    finally:
        await backend.close()
    assert bad.value.kind is ErrorKind.BAD_KEY and bad.value.status == 400
    assert "GEMINI_API_KEY" in str(bad.value) and "not-the-key" not in str(bad.value)

    manager = await make_manager(emulator, background=False)
    with pytest.raises(BackendError) as scopes:
        await manager.launch(spec(), NUMBERS)
    assert scopes.value.kind is ErrorKind.SCOPES and scopes.value.status == 403
    assert "OAuth" in str(scopes.value) and "generative-language.tuning" in str(scopes.value)
    assert emulator.api_key not in str(scopes.value)
