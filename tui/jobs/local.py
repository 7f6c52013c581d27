"""Finding the local emulator again: follow its `server.json`, restart the one tunedeck started.

The app and the CLI use a local emulator in one of three ways, and each says something
different when it stops answering:

- one the user named (`TUNEDECK_LOCAL_URL` or `local_url` in config.json): tunedeck keeps
  asking that address; the hint names the setting the user gave;
- one tunedeck found running for its data dir: it follows the emulator's `server.json`
  to whatever address the next emulator there announces; if the emulator crashed (its
  `server.json` still names its dead process) a new one is started; if it was stopped
  (`tunedeck emulator stop`), the hint says how to start it again;
- one this process started: when it dies, a new one is started (on a free port).

A restart is always said (an event the app shows and the CLI prints on stderr).

`EmulatorLink.locate()` does one round of this. Attached to a job manager, the link
looks every `RECONNECT_EVERY_S` while the emulator does not answer (the manager calls
`lost()` when a request finds nobody there), so the manager is back within a second or
two of an emulator answering again; and with `watch_process()` it notices within
`ALIVE_EVERY_S` that the emulator's process has gone, before any request fails.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.config import Settings

RECONNECT_EVERY_S = 1.0  # how often to look for the emulator while it does not answer
RESTART_EVERY_S = 10.0  # at most one restart this often (an emulator that keeps dying is not restarted in a loop)
ALIVE_EVERY_S = 2.0  # how often an app checks that the emulator's process still runs (no request, no thread)


@dataclass(frozen=True)
class Located:
    """Where the emulator answers now, and what to tell the user about it ("" if nothing changed)."""

    url: str
    news: str = ""


def auto_start_args(settings: Settings) -> list[str]:
    """`tunedeck emulator serve` flags for an emulator tunedeck starts by itself (paced to watch a curve grow)."""
    return ["--step-delay", repr(settings.emulator_step_delay)]


def start_for(settings: Settings):
    """Start a detached emulator for `settings.emulator_dir` on a free port; blocking."""
    from tui.emulator.process import start_emulator

    return start_emulator(
        settings.emulator_dir,
        port=0,
        api_key=settings.local_api_key,
        detached=True,
        extra_args=auto_start_args(settings),
    )


class EmulatorLink:
    """How to reach the local emulator again after it stops answering (see the module docstring)."""

    def __init__(self, settings: Settings, url: str, *, emulator=None, started: bool = False) -> None:
        self.settings = settings
        self.url = url
        self.emulator = emulator  # the RunningEmulator in use (None for a URL the user named)
        self.started = started  # this process started it, so it restarts it
        self.fixed = emulator is None
        self._last_start = 0.0
        self._manager: Any = None  # the JobManager kept connected (see `attach`)
        self._tasks: dict[str, asyncio.Task] = {}

    # -- keeping a job manager connected ---------------------------------------------------

    def attach(self, manager) -> None:
        """Keep `manager` connected: it calls `lost()`; the link calls its `repoint()`."""
        self._manager = manager

    def lost(self) -> None:
        """A request found nobody at the address: look for the emulator until it answers (once at a time)."""
        self._spawn("reconnect", self._reconnect_loop)

    def watch_process(self) -> None:
        """Notice a dead emulator process before a request fails (for an app left open)."""
        if self.emulator is not None:
            self._spawn("alive", self._alive_loop)

    async def close(self) -> None:
        tasks, self._tasks = list(self._tasks.values()), {}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, name: str, loop) -> None:
        task = self._tasks.get(name)
        if self._manager is not None and (task is None or task.done()):
            self._tasks[name] = asyncio.create_task(loop(), name=f"tunedeck-emulator-{name}")

    async def _reconnect_loop(self) -> None:
        while True:
            try:
                located = await self.locate()
            except Exception:  # noqa: BLE001 - looked for again in a second
                located = None
            if located is not None:
                self._manager.emulator = self.emulator
                await self._manager.repoint(located.url, f"local emulator at {located.url}", located.news)
                return
            await asyncio.sleep(RECONNECT_EVERY_S)

    async def _alive_loop(self) -> None:
        while True:
            await asyncio.sleep(ALIVE_EVERY_S)
            emulator = self.emulator
            if emulator is not None and not emulator.alive():
                from tui.jobs.errors import BackendError, ErrorKind
                from tui.jobs.events import BackendFailed

                error = BackendError(
                    ErrorKind.UNREACHABLE, f"the local emulator (pid {emulator.pid}) has stopped", self.hint()
                )
                self._manager.publish(BackendFailed(error))
                self.lost()
                reconnecting = self._tasks.get("reconnect")
                if reconnecting is not None:
                    await asyncio.gather(reconnecting, return_exceptions=True)

    def hint(self) -> str:
        """The next step when the emulator does not answer, naming only what applies."""
        if self.fixed:
            where = "TUNEDECK_LOCAL_URL" if os.environ.get("TUNEDECK_LOCAL_URL") else "local_url in config.json"
            return (
                f"check that the emulator at {self.url} is running ({where} points there), or remove {where} "
                "to let tunedeck start one"
            )
        if self.started or self._crashed():
            return f"tunedeck starts a new emulator; if it keeps stopping, see {self._log()}"
        return (
            "start it again with `tunedeck emulator start`; tunedeck follows it to its new address "
            f"(see {self._log()} for why it stopped)"
        )

    def _crashed(self) -> bool:
        """The emulator in use died without cleaning up: its server.json still names its process."""
        from tui.emulator.process import read_server_info

        info = read_server_info(self.settings.emulator_dir)
        return bool(
            self.emulator is not None and info and info.get("pid") == self.emulator.pid and not self.emulator.alive()
        )

    def _log(self) -> Path:
        return self.settings.emulator_dir / "server.log"

    async def locate(self) -> Located | None:
        """One look for an emulator that answers: the named URL, else server.json, else a restart of ours."""
        if self.fixed:
            return Located(self.url) if await asyncio.to_thread(_answers, self.url) else None
        from tui.emulator.process import find_running

        running = await asyncio.to_thread(find_running, self.settings.emulator_dir, self.settings.local_api_key)
        if running is not None:
            if self.emulator is not None and running.pid == self.emulator.pid:
                return Located(self.url)  # the same process (keep the handle that can reap it)
            where = "now answers at" if running.url != self.url else "answers again at"
            old, self.url, self.emulator = self.emulator, running.url, running
            return Located(
                self.url,
                f"the local emulator {where} {self.url} (pid {running.pid}, was pid {getattr(old, 'pid', '?')}); "
                "reconnected",
            )
        if self.emulator is None or self.emulator.alive() or not (self.started or self._crashed()):
            return None
        if time.monotonic() - self._last_start < RESTART_EVERY_S:
            return None
        self._last_start = time.monotonic()
        old = self.emulator.pid
        try:
            started = await asyncio.to_thread(start_for, self.settings)
            self.started = True
        except Exception:  # noqa: BLE001 - tried again after RESTART_EVERY_S; the hint names the log
            return None
        self.url, self.emulator = started.url, started
        return Located(
            self.url,
            f"the local emulator (pid {old}) stopped; tunedeck started a new one at {self.url} "
            f"(pid {started.pid}); its jobs resume from their last checkpoint",
        )


def _answers(url: str) -> bool:
    """Whether an emulator answers its health check at `url`."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/_emulator/health", timeout=2.0):  # a loopback emulator
            return True
    except (urllib.error.URLError, OSError, ValueError):
        return False
