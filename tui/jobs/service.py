"""Open a job manager for the active settings: Gemini with a key, else the local emulator.

With no credentials (or `--backend local`) the manager talks to a local emulator: the one
at `settings.local_url` if given, else one already running for `settings.emulator_dir`,
else a new detached one on a free loopback port, so jobs keep training after the app
exits and are there when it comes back. The emulator's key is `settings.local_api_key`
($TUNEDECK_EMULATOR_API_KEY) if set, else the one stored in `settings.emulator_dir`.
"""

from __future__ import annotations

import asyncio

from tui.config import BackendKind, Settings
from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.gemini import GeminiBackend
from tui.jobs.history import History
from tui.jobs.manager import JobManager
from tui.jobs.polling import PollPolicy
from tui.jobs.translate import KEY_HELP

LOCAL_UNREACHABLE = (
    "start it with `tunedeck emulator serve` or run without TUNEDECK_LOCAL_URL to let tunedeck start one"
)
LOCAL_KEY_HELP = "set TUNEDECK_EMULATOR_API_KEY to its key (`tunedeck emulator env` prints it)"


def gemini_backend(settings: Settings) -> GeminiBackend:
    if not settings.api_key:
        raise BackendError(ErrorKind.BAD_KEY, "the Gemini backend was chosen but no API key was found", KEY_HELP)
    where = f" at {settings.gemini_base_url}" if settings.gemini_base_url else ""
    return GeminiBackend(
        settings.api_key,
        base_url=settings.gemini_base_url,
        name=BackendKind.GEMINI.value,
        description=f"Gemini API{where} (key {settings.masked_key}, from {settings.api_key_source or 'settings'})",
    )


def local_key(settings: Settings) -> str:
    """The key for the emulator the settings name: the fixed one, else the one stored in its data dir."""
    from tui.emulator.keyfile import KeyFileError, read_key

    if settings.local_api_key:
        return settings.local_api_key
    try:
        key = read_key(settings.emulator_dir)
    except KeyFileError as exc:
        raise BackendError(ErrorKind.BAD_KEY, str(exc), LOCAL_KEY_HELP) from None
    if key is None:
        raise BackendError(ErrorKind.BAD_KEY, f"no key for the emulator at {settings.local_url}", LOCAL_KEY_HELP)
    return key


def local_backend(url: str, api_key: str) -> GeminiBackend:
    return GeminiBackend(
        api_key,
        base_url=url,
        name=BackendKind.LOCAL.value,
        description=f"local emulator at {url}",
        unreachable_hint=LOCAL_UNREACHABLE,
    )


async def ensure_emulator(settings: Settings):
    """The emulator serving `settings.emulator_dir`: reused if running, else started detached."""
    from tui.emulator.process import find_running, start_emulator

    running = await asyncio.to_thread(find_running, settings.emulator_dir, settings.local_api_key)
    if running is not None:
        return running
    try:
        return await asyncio.to_thread(
            start_emulator, settings.emulator_dir, port=0, api_key=settings.local_api_key, detached=True
        )
    except Exception as exc:  # any start failure is shown the same way
        raise BackendError(
            ErrorKind.UNREACHABLE,
            f"could not start the local emulator under {settings.emulator_dir} ({exc})",
            "run `tunedeck emulator serve` to see why, or set TUNEDECK_LOCAL_URL to a running one",
        ) from exc


async def open_manager(settings: Settings, *, policy: PollPolicy | None = None, background: bool = True) -> JobManager:
    """A started JobManager on the backend the settings choose (see `JobManager.start`)."""
    emulator = None
    if settings.active_backend is BackendKind.GEMINI:
        backend = gemini_backend(settings)
    elif settings.local_url:
        backend = local_backend(settings.local_url.rstrip("/"), local_key(settings))
    else:
        emulator = await ensure_emulator(settings)
        backend = local_backend(emulator.url.rstrip("/"), emulator.api_key)
    manager = JobManager(settings, backend, History(settings.history_path), policy=policy)
    manager.emulator = emulator
    await manager.start(background=background)
    return manager
