"""Running the emulator in the foreground: lock the data dir, listen, announce, stop cleanly.

The first stdout line is exactly `listening on http://HOST:PORT` (flushed); nothing else is
ever written to stdout, so a parent may stop reading it. Logs go to stderr, or to a capped
`log_file`. While serving, `<data dir>/server.json` holds {"pid", "url"} (never the key); a
clean exit removes it. Without a fixed key the server takes the data directory's own
(`tui.emulator.keyfile`). A damaged state database ends the start with exit status 2.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import sqlite3
import sys
from pathlib import Path

import orjson

from tui.emulator import guard
from tui.emulator.busy import is_transient
from tui.emulator.datadir import (
    STATE_NAME,
    DamagedState,
    check_state,
    damaged_message,
    make_private,
    remove_temporaries,
    setup_logging,
)
from tui.emulator.keyfile import KeyFileError, ensure_key
from tui.emulator.protocol import HEADER_TIMEOUT, EmulatorRunner
from tui.emulator.server import STATE_KEY, EmulatorConfig, make_app

log = logging.getLogger("tunedeck.emulator")


class RequestLog:
    """One line per request: method, path (never the query: it may hold `?key=`), status, time."""

    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        self.logger = logger

    def log(self, request, response, elapsed: float) -> None:
        self.logger.info("%s %s -> %s in %.1f ms", request.method, request.path, response.status, elapsed * 1000)

    @property
    def enabled(self) -> bool:
        return True


class AlreadyServing(Exception):
    """Another emulator holds the data directory."""


class StateLocked(Exception):
    """Another process kept the state database locked through the start."""


def _lock(root: Path):
    handle = open(root / "server.lock", "a+")  # noqa: SIM115 - held for the life of the process
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        running = ""
        try:
            info = orjson.loads((root / "server.json").read_bytes())
            running = f" at {info['url']} (pid {info['pid']})"
        except (OSError, ValueError, KeyError):
            pass
        raise AlreadyServing(
            f"another emulator is already serving {root}{running}; "
            "stop it with `tunedeck emulator stop` or pick another --data-dir"
        ) from None
    return handle


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def _serve(root: Path, host: str, port: int, api_key: str, config: EmulatorConfig, trainers: int | None,
                 parent_pid: int | None, log_requests: bool, header_timeout: float) -> None:  # fmt: skip
    from aiohttp import web
    from aiohttp.abc import AbstractAccessLogger

    app = make_app(root, api_key, config, trainers)
    guard.install(app)
    if log_requests:
        access = type("EmulatorAccessLog", (RequestLog, AbstractAccessLogger), {})
        runner = EmulatorRunner(app, header_timeout, access_log=log, access_log_class=access, handle_signals=False)
    else:
        runner = EmulatorRunner(app, header_timeout, access_log=None, handle_signals=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # before announcing: a stop right away is clean
        loop.add_signal_handler(sig, stop.set)
    try:
        await runner.setup()
    except sqlite3.DatabaseError as exc:  # damage the start-up check did not see, or a lock held too long
        await runner.cleanup()
        if is_transient(exc):
            raise StateLocked(f"{root / STATE_NAME} is locked by another process ({exc}); "
                              "close whatever holds it and start again") from None
        raise DamagedState(damaged_message(root / STATE_NAME, str(exc))) from None
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    bound = runner.addresses[0][1]
    guard.allow_hosts(app, host, bound)
    app[STATE_KEY].resume_interrupted()
    url = _url(host, bound)
    info = root / "server.json"
    tmp = root / "server.json.tmp"
    tmp.write_bytes(orjson.dumps({"pid": os.getpid(), "url": url}))  # 0600: the server runs with umask 077
    tmp.replace(info)
    print(f"listening on {url}", flush=True)
    devnull = os.open(os.devnull, os.O_WRONLY)  # the parent may stop reading our stdout now
    os.dup2(devnull, sys.stdout.fileno())
    log.info("serving %s from %s", url, root)


    async def watch_parent() -> None:
        while not stop.is_set():
            await asyncio.sleep(0.5)
            if os.getppid() != parent_pid:
                log.info("the process that started the emulator is gone; stopping")
                stop.set()

    watcher = asyncio.create_task(watch_parent()) if parent_pid else None
    try:
        await stop.wait()
    finally:
        if watcher:
            watcher.cancel()
        log.info("stopping: checkpointing running jobs")
        await runner.cleanup()
        try:
            if orjson.loads(info.read_bytes()).get("pid") == os.getpid():
                info.unlink()
        except (OSError, ValueError):
            pass


def serve(
    root: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    api_key: str = "",
    config: EmulatorConfig | None = None,
    trainers: int | None = None,
    parent_pid: int | None = None,
    log_requests: bool = False,
    log_file: Path | None = None,
    header_timeout: float = HEADER_TIMEOUT,
) -> int:
    """Serve until SIGINT/SIGTERM, or until process `parent_pid` is no longer our parent.

    Exit status: 0 after a clean stop, 1 if the server cannot start (port taken, another
    server on the directory), 2 if the data directory's state is damaged.
    """
    make_private(root)
    setup_logging(log_file)
    try:
        lock = _lock(root)
    except AlreadyServing as exc:
        print(f"tunedeck emulator: {exc}", file=sys.stderr)
        return 1
    try:
        key = ensure_key(root)  # every data directory gets its own key, even when a fixed one is used now
        check_state(root)
        for leftover in remove_temporaries(root):  # no other server runs here (we hold the lock)
            log.info("removed %s, left half-written by an earlier server", leftover.name)
    except (KeyFileError, DamagedState) as exc:
        lock.close()
        print(f"tunedeck emulator: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(root, host, port, api_key or key, config or EmulatorConfig(), trainers, parent_pid,
                           log_requests, header_timeout))  # fmt: skip
    except DamagedState as exc:
        print(f"tunedeck emulator: {exc}", file=sys.stderr)
        return 2
    except StateLocked as exc:
        print(f"tunedeck emulator: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"tunedeck emulator: cannot listen on {_url(host, port)}: {exc.strerror or exc}; "
              "pick another --port (0 picks a free one)", file=sys.stderr)  # fmt: skip
        return 1
    finally:
        lock.close()
    return 0
