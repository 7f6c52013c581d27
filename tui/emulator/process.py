"""Starting, finding and stopping emulator servers from Python (the app, the CLI, tests).

```python
emu = start_emulator(data_dir, port=0)      # a child process; returns once it listens
emu.url, emu.pid, emu.api_key, emu.data_dir
emu.configure(deny_scopes=True)              # flip test switches at runtime
emu.stop()
find_running(data_dir)                       # RunningEmulator | None
```
`data_dir` is the emulator's own directory (`Settings.emulator_dir`). The API key travels
to the child in an environment variable, never on its command line. The child's stderr
(its log) goes to `<data_dir>/server.log`.
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

from tui.config import LOCAL_API_KEY

KEY_ENV = "TUNEDECK_EMULATOR_API_KEY"
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


def _request(
    url: str, method: str = "GET", body: dict | None = None, api_key: str | None = None, timeout: float = 5.0
) -> Any:
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["x-goog-api-key"] = api_key
    data = orjson.dumps(body) if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as response:
        return orjson.loads(response.read())


@dataclass
class RunningEmulator:
    """A live emulator server."""

    url: str
    pid: int
    api_key: str = field(default=LOCAL_API_KEY, repr=False)
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
    api_key: str = LOCAL_API_KEY,
    detached: bool = False,
    extra_args: Sequence[str] = (),
    host: str = "127.0.0.1",
    timeout: float = 30.0,
) -> RunningEmulator:
    """Start `tunedeck emulator serve` in a child process and wait until it listens.

    detached=False: the server stops when this process exits. detached=True: it runs in
    its own session and outlives the caller (jobs keep training after the app exits).
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / LOG_NAME
    if log_path.exists() and log_path.stat().st_size > _MAX_LOG_BYTES:
        log_path.replace(data_dir / (LOG_NAME + ".1"))
    command = [sys.executable, "-m", "tui", "emulator", "serve", "--data-dir", str(data_dir),
               "--host", host, "--port", str(port), *extra_args]  # fmt: skip
    if not detached:
        command += ["--parent-pid", str(os.getpid())]
    env = dict(os.environ, **{KEY_ENV: api_key})
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, env=env, start_new_session=detached
        )
    stdout = process.stdout
    assert stdout is not None  # Popen was given stdout=PIPE
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
    return RunningEmulator(url=line.removeprefix("listening on "), pid=process.pid, api_key=api_key,
                           data_dir=data_dir, process=process)  # fmt: skip


def read_server_info(data_dir: Path) -> dict | None:
    try:
        info = orjson.loads((Path(data_dir) / "server.json").read_bytes())
        return info if isinstance(info, dict) and "pid" in info and "url" in info else None
    except (OSError, ValueError):
        return None


def find_running(data_dir: Path, api_key: str = LOCAL_API_KEY, timeout: float = 2.0) -> RunningEmulator | None:
    """The emulator serving `data_dir`, if server.json names a live process that answers."""
    info = read_server_info(data_dir)
    if info is None or not _alive(int(info["pid"])):
        return None
    try:
        health = _request(f"{info['url']}/_emulator/health", timeout=timeout)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    if health.get("pid") != info["pid"]:
        return None
    return RunningEmulator(url=info["url"], pid=int(info["pid"]), api_key=api_key, data_dir=Path(data_dir))
