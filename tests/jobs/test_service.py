"""open_manager picks the backend: a detached local emulator by default, Gemini with a key."""

from __future__ import annotations

import os

import pytest

from tui.config import BackendKind, Settings
from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.service import open_manager

KEY = "AIzaFAKEKEY000000000000000000000000x9Q2"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_no_credentials_starts_a_detached_emulator_and_reuses_it(tmp_path):
    settings = Settings(data_dir=tmp_path, config_dir=tmp_path / "config")
    first = await open_manager(settings, background=False)
    emulator = first.emulator
    try:
        assert emulator is not None and emulator.data_dir == settings.emulator_dir
        assert first.backend_description == f"local emulator at {emulator.url}"
        assert (await first.check()).reachable
        await first.close()
        assert alive(emulator.pid)  # closing the manager never stops a detached emulator

        second = await open_manager(settings, background=False)
        assert second.emulator.pid == emulator.pid
        await second.close()
    finally:
        emulator.stop()


async def test_gemini_backend_masks_the_key(emulator, tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        config_dir=tmp_path,
        api_key=KEY,
        api_key_source="$GEMINI_API_KEY",
        gemini_base_url=emulator.url,
    )
    assert settings.active_backend is BackendKind.GEMINI
    manager = await open_manager(settings, background=False)
    try:
        assert KEY not in manager.backend_description
        assert "AIza…x9Q2" in manager.backend_description
        health = await manager.check()
        assert not health.reachable and "rejected the API key" in health.message and KEY not in health.message
    finally:
        await manager.close()


async def test_gemini_without_a_key_says_what_to_do(tmp_path):
    settings = Settings(data_dir=tmp_path, config_dir=tmp_path, backend=BackendKind.GEMINI)
    with pytest.raises(BackendError) as missing:
        await open_manager(settings)
    assert missing.value.kind is ErrorKind.BAD_KEY and "GEMINI_API_KEY" in str(missing.value)
