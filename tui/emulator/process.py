"""Starting, finding and stopping emulator servers from Python (the app, the CLI, tests).

```python
emu = start_emulator(data_dir, port=0)      # a child process; returns once it listens
emu.url, emu.pid, emu.api_key, emu.data_dir
emu.configure(deny_scopes=True)              # flip test switches at runtime
emu.stop()
find_running(data_dir)                       # RunningEmulator | None
```
`data_dir` is the emulator's own directory (`Settings.emulator_dir`). Without `api_key` the
server uses the data directory's own random key (`tui.emulator.keyfile`); a fixed key
travels to the child in an environment variable, never on its command line. The child's
stderr and log go to `<data_dir>/server.log` (mode 0600, capped in size).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tui.emulator.keyfile import KEY_ENV, client_key, ensure_key, make_private_dir

LOG_NAME = "server.log"
_MAX_LOG_BYTES = 5 * 1024 * 1024


class EmulatorError(Exception):
    """The emulator could not be started or reached; the message says why and what to do."""


def _alive(pid: int) -> bool:
    """True while the process runs (a zombie, exited but not yet reaped by its parent, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc here: trust the signal check
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _request(url: str, method: str = "GET", body: dict | None = None, api_key: str | None = None,
             timeout: float = 5.0) -> Any:  # fmt: skip
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["x-goog-api-key"] = api_key
    data = orjson.dumps(body) if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as response:  # a loopback URL we started
        return orjson.loads(response.read())


@dataclass
class RunningEmulator:
    """A live emulator server."""

    url: str
    pid: int
    api_key: str = field(default="", repr=False)
    data_dir: Path = Path(".")
    process: subprocess.Popen | None = field(default=None, repr=False, compare=False)

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return _alive(self.pid)

    def configure(self, **switches: Any) -> dict:
        """Change test switches: deny_scopes, fault_rate, fault_codes, fault_seed, step_delay."""
        names = {"deny_scopes": "denyScopes", "fault_rate": "faultRate", "fault_codes": "faultCodes",
                 "fault_seed": "faultSeed", "step_delay": "stepDelay"}  # fmt: skip
        unknown = set(switches) - set(names)
        if unknown:
            raise ValueError(f"unknown emulator switch(es): {', '.join(sorted(unknown))}")
        body = {names[k]: (list(v) if isinstance(v, tuple) else v) for k, v in switches.items()}
        return _request(f"{self.url}/_emulator/config", "POST", body, self.api_key)

    def client(self, **http_options: Any):
        """A google-genai client pointed at this server (api_version v1beta)."""
        from google import genai
        from google.genai import types

        options = types.HttpOptions(base_url=self.url, api_version="v1beta", **http_options)
        return genai.Client(api_key=self.api_key, http_options=options)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (running jobs checkpoint and resume on the next start), then SIGKILL if needed."""
        if not self.alive():
            if self.process is not None:
                self.process.wait()
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None:
                try:
                    self.process.wait(timeout=0.05)
                    return
                except subprocess.TimeoutExpired:
                    continue
            if not _alive(self.pid):
                return
            time.sleep(0.05)
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        if self.process is not None:
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL, as a crash would (for restart tests)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait()


def _log_tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def start_emulator(
    data_dir: Path,
    port: int = 0,
    api_key: str | None = None,
    detached: bool = False,
    extra_args: Sequence[str] = (),
    host: str = "127.0.0.1",
    timeout: float = 30.0,
) -> RunningEmulator:
    """Start `tunedeck emulator serve` in a child process and wait until it listens.

    detached=False: the server stops when this process exits. detached=True: it runs in
    its own session and outlives the caller (jobs keep training after the app exits).
    api_key=None: `$TUNEDECK_EMULATOR_API_KEY` if set, else the data directory's own key.
    """
    data_dir = make_private_dir(Path(data_dir))
    env = dict(os.environ)
    if api_key:
        env[KEY_ENV] = api_key
    key = env.get(KEY_ENV, "").strip() or ensure_key(data_dir)
    log_path = data_dir / LOG_NAME
    if log_path.exists() and log_path.stat().st_size > _MAX_LOG_BYTES:
        log_path.replace(data_dir / (LOG_NAME + ".1"))
    command = [sys.executable, "-m", "tui", "emulator", "serve", "--data-dir", str(data_dir),
               "--host", host, "--port", str(port), "--log-file", str(log_path), *extra_args]  # fmt: skip
    if not detached:
        command += ["--parent-pid", str(os.getpid())]
    log_fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.fchmod(log_fd, 0o600)
    with open(log_fd, "ab") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, env=env, start_new_session=detached
        )
    stdout = process.stdout
    assert stdout is not None  # stdout=PIPE
    first: list[bytes] = []
    reader = threading.Thread(target=lambda: first.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    line = first[0].decode("utf-8", "replace").strip() if first else ""
    stdout.close()
    if not line.startswith("listening on "):
        if process.poll() is None:
            process.kill()
        process.wait()
        why = _log_tail(log_path) or f"no answer within {timeout:.0f} s"
        raise EmulatorError(f"the local emulator did not start (log: {log_path}):\n{why}")
    return RunningEmulator(url=line.removeprefix("listening on "), pid=process.pid, api_key=key,
                           data_dir=data_dir, process=process)  # fmt: skip


def read_server_info(data_dir: Path) -> dict | None:
    try:
        info = orjson.loads((Path(data_dir) / "server.json").read_bytes())
        return info if isinstance(info, dict) and "pid" in info and "url" in info else None
    except (OSError, ValueError):
        return None


def find_running(data_dir: Path, api_key: str | None = None, timeout: float = 2.0) -> RunningEmulator | None:
    """The emulator serving `data_dir`, if server.json names a live process that answers.

    api_key=None: `$TUNEDECK_EMULATOR_API_KEY` if set, else the data directory's key. With
    the right key the server's pid is checked (`/_emulator/info`); a server started with
    another fixed key is still found (status and stop work), and its API calls are refused.
    """
    info = read_server_info(data_dir)
    if info is None or not _alive(int(info["pid"])):
        return None
    url = str(info["url"])
    try:
        health = _request(f"{url}/_emulator/health", timeout=timeout)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    if not isinstance(health, dict) or health.get("status") != "ok":
        return None
    key = api_key or client_key(data_dir) or ""
    try:
        details = _request(f"{url}/_emulator/info", api_key=key, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code not in (400, 401, 403):  # anything but "not your key": not our server
            return None
    except (urllib.error.URLError, OSError, ValueError):
        return None
    else:
        if not isinstance(details, dict) or details.get("pid") != info["pid"]:
            return None
    return RunningEmulator(url=url, pid=int(info["pid"]), api_key=key, data_dir=Path(data_dir))
