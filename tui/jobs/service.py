"""Open a job manager for the active settings: Gemini with a key, else the local emulator.

With no credentials (or `--backend local`) the manager talks to a local emulator: the one
at `settings.local_url` if given, else one already running for `settings.emulator_dir`,
else a new detached one on a free loopback port (paced by `settings.emulator_step_delay`),
so jobs keep training after the app exits and are there when it comes back. When the
emulator stops answering, the manager finds it again through an `EmulatorLink`. The
emulator's key is `settings.local_api_key` ($TUNEDECK_EMULATOR_API_KEY) if set, else the
one stored in `settings.emulator_dir` (tui/emulator/keyfile.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING

from tui.config import BackendKind, Settings
from tui.jobs.backend import TuningBackend
from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.gemini import GeminiBackend
from tui.jobs.history import History, HistoryError
from tui.jobs.local import EmulatorLink, start_for
from tui.jobs.manager import JobManager
from tui.jobs.polling import PollPolicy
from tui.jobs.translate import KEY_HELP

if TYPE_CHECKING:
    from tui.jobs.vertex.backend import VertexBackend

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


def local_backend(url: str, api_key: str, link: EmulatorLink | None = None) -> GeminiBackend:
    return GeminiBackend(
        api_key,
        base_url=url,
        name=BackendKind.LOCAL.value,
        description=local_description(url),
        unreachable_hint=link.hint if link is not None else "start it with `tunedeck emulator start`",
    )


def vertex_backend(settings: Settings, env: Mapping[str, str] | None = None) -> VertexBackend:
    """Vertex AI on Google with Application Default Credentials (never the metadata server).

    Project, location, bucket and quota project come from the settings (flags, config) over
    what google-auth's environment variables and files say. Blocking (reads credentials files,
    imports google-auth and google-genai): call it in a thread. Raises BackendError when no
    credentials file is found or no project is set.
    """
    from tui.jobs.vertex.setup import vertex_backend as make

    return make(settings.data_dir, env, project=settings.google_project, location=settings.google_location,
                bucket=settings.bucket, quota_project=settings.quota_project)


def vertex_local_backend(settings: Settings, url: str, api_key: str,
                         link: EmulatorLink | None = None) -> VertexBackend:
    """Vertex AI as the local emulator at `url` speaks it (its key as the Bearer token); blocking."""
    from tui.jobs.vertex.setup import vertex_local_backend as make

    backend = make(url, settings.data_dir, api_key)
    if link is not None:
        backend.unreachable_hint = link.hint
    return backend


def local_description(url: str) -> str:
    return f"local emulator at {url}"


async def ensure_emulator(settings: Settings):
    """The emulator serving `settings.emulator_dir` and whether it was started now: reused if running,
    else started detached."""
    from tui.emulator.process import find_running

    running = await asyncio.to_thread(find_running, settings.emulator_dir, settings.local_api_key)
    if running is not None:
        return running, False
    try:
        return await asyncio.to_thread(start_for, settings), True
    except Exception as exc:  # any start failure is shown the same way
        raise BackendError(
            ErrorKind.UNREACHABLE,
            f"could not start the local emulator under {settings.emulator_dir} ({exc})",
            f"run `tunedeck emulator serve --data-dir {settings.emulator_dir}` to see why it does not start",
        ) from exc


async def open_manager(settings: Settings, *, policy: PollPolicy | None = None, background: bool = True) -> JobManager:
    """A started JobManager on the backend the settings choose (see `JobManager.start`)."""
    emulator, link = None, None
    kind = settings.active_backend
    backend: TuningBackend
    if kind is BackendKind.GEMINI:
        backend = gemini_backend(settings)
    elif kind is BackendKind.VERTEX:
        vertex = await asyncio.to_thread(vertex_backend, settings)
        policy = policy or vertex.poll_policy
        backend = vertex
    else:
        if settings.local_url:
            url = settings.local_url.rstrip("/")
            link = EmulatorLink(settings, url)
            key = local_key(settings)
        else:
            emulator, started = await ensure_emulator(settings)
            url = emulator.url.rstrip("/")
            link = EmulatorLink(settings, url, emulator=emulator, started=started)
            key = emulator.api_key
        if kind is BackendKind.VERTEX_LOCAL:
            backend = await asyncio.to_thread(vertex_local_backend, settings, url, key, link)
        else:
            backend = local_backend(url, key, link)
    try:
        history, problem = History(settings.history_path), None
    except HistoryError as exc:  # the backend's jobs can still be listed and watched
        history, problem = History.in_memory(), exc
    manager = JobManager(settings, backend, history, policy=policy)
    manager.emulator = emulator
    manager.link = link
    manager.history_problem = problem
    if link is not None:
        link.attach(manager)
        if background:
            link.watch_process()
    await manager.start(background=background)
    return manager
