"""After the local emulator stops: follow its server.json to a new address, restart one tunedeck started
(or one that crashed), say so, and name only the hints that apply."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tests.jobs.conftest import FAST, NUMBERS, next_event, spec
from tui.config import Settings
from tui.emulator.process import find_running, start_emulator
from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.events import BackendMoved, BackendRecovered, CurvePointsAdded, JobFinished
from tui.jobs.service import open_manager
from tui.models import JobState


def settings_in(data_dir: Path, **changes) -> Settings:
    base = Settings(data_dir=data_dir, config_dir=data_dir / "config")
    return replace(base, **{"emulator_step_delay": 0.0, **changes})


@pytest.fixture
def emulators_of(tmp_path):
    """Stops whatever emulator serves a data dir when the test ends (tunedeck may have started one)."""
    dirs: list[Path] = []
    yield dirs.append
    for directory in dirs:
        running = find_running(directory)
        if running is not None:
            running.stop()


async def test_an_emulator_started_here_is_restarted_when_it_dies(tmp_path, emulators_of):
    settings = settings_in(tmp_path / "data", emulator_step_delay=0.03)
    emulators_of(settings.emulator_dir)
    manager = await open_manager(settings, policy=FAST)
    try:
        first = manager.emulator
        assert first is not None and manager.link.started
        events = manager.events()
        job = await manager.launch(spec(epochs=3, batch=8), NUMBERS)  # 30 steps, about a second of training
        await next_event(events, CurvePointsAdded)
        first.kill()  # as a crash would

        moved, _ = await next_event(events, BackendMoved, timeout=60)
        assert f"pid {first.pid}) stopped" in moved.message and "started a new one" in moved.message
        assert manager.emulator.pid != first.pid and manager.emulator.url in manager.backend_description
        assert manager.backend.base_url == manager.emulator.url
        finished, _ = await next_event(events, JobFinished, timeout=120, where=lambda e: e.job.name == job.name)
        assert finished.job.state is JobState.ACTIVE
    finally:
        await manager.close()


async def test_a_found_emulator_is_followed_to_its_new_address(tmp_path, emulators_of):
    settings = settings_in(tmp_path / "data")
    emulators_of(settings.emulator_dir)
    first = start_emulator(settings.emulator_dir, port=0)
    manager = await open_manager(settings, policy=FAST, background=False)
    try:
        assert manager.emulator.pid == first.pid and not manager.link.started
        events = manager.events()
        first.stop()  # `tunedeck emulator stop`: not restarted, and the hint says how to start one
        with pytest.raises(BackendError) as failed:
            await manager.refresh()
        hint = failed.value.next_step
        assert failed.value.kind is ErrorKind.UNREACHABLE
        assert "tunedeck emulator start" in hint and "follows it" in hint
        assert "TUNEDECK_LOCAL_URL" not in str(failed.value) and "emulator serve" not in str(failed.value)

        second = start_emulator(settings.emulator_dir, port=0)  # another port, announced in server.json
        assert second.url != first.url
        moved, _ = await next_event(events, BackendMoved, timeout=30)
        assert second.url in moved.message
        await next_event(events, BackendRecovered, timeout=30)
        await manager.refresh()
        assert manager.backend.base_url == second.url
    finally:
        await manager.close()


async def test_a_named_emulator_hint_names_the_setting(tmp_path, emulator, monkeypatch):
    monkeypatch.setenv("TUNEDECK_LOCAL_URL", emulator.url)
    settings = settings_in(tmp_path / "data", local_url=emulator.url, local_api_key=emulator.api_key)
    manager = await open_manager(settings, policy=FAST, background=False)
    try:
        emulator.stop()
        with pytest.raises(BackendError) as failed:
            await manager.refresh()
        assert "TUNEDECK_LOCAL_URL" in failed.value.next_step and emulator.url in failed.value.next_step
        assert "emulator serve" not in str(failed.value)
    finally:
        await manager.close()


def test_jobs_watch_follows_a_crashed_emulator_to_its_restart(tmp_path, emulators_of):
    data = tmp_path / "data"
    settings = settings_in(data)
    emulators_of(settings.emulator_dir)
    first = start_emulator(settings.emulator_dir, port=0, detached=True, extra_args=["--step-delay", "0.05"])
    env = dict(os.environ, TUNEDECK_DATA_DIR=str(data), TUNEDECK_CONFIG_DIR=str(tmp_path / "config"),
               TUNEDECK_EMULATOR_STEP_DELAY="0")
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "TUNEDECK_BACKEND", "TUNEDECK_LOCAL_URL"):
        env.pop(name, None)
    tune = subprocess.run([sys.executable, "-m", "tui", "tune", str(NUMBERS), "--epochs", "4", "--json"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert tune.returncode == 0, tune.stderr
    job_id = __import__("json").loads(tune.stdout)["id"]
    watch = subprocess.Popen([sys.executable, "-m", "tui", "jobs", "watch", job_id], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert "step" in watch.stdout.readline()  # it is following the job
        first.kill()
        out, err = watch.communicate(timeout=120)
    finally:
        if watch.poll() is None:
            watch.kill()
    assert watch.returncode == 0, err
    assert "is ready" in out
    assert f"pid {first.pid}) stopped" in err and "started a new one" in err
    assert "TUNEDECK_LOCAL_URL" not in err and "emulator serve" not in err
    restarted = find_running(settings.emulator_dir)
    assert restarted is not None and restarted.pid != first.pid
