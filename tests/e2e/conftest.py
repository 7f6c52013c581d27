"""A real terminal for end-to-end tests: a tmux session driven by keys and read as text."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
import uuid

import pytest

# A tmux server keeps the environment it was started with: settings from the developer's
# shell must not reach the app under test. COLUMNS and LINES too: readline, loaded inside
# pytest, exports 80×24 to child processes, and a Textual app takes its size from them.
UNSET = " ".join(
    f"-u {name}"
    for name in (
        "COLUMNS",
        "LINES",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "TUNEDECK_BACKEND",
        "TUNEDECK_CONFIG_DIR",
        "TUNEDECK_DATA_DIR",
        "TUNEDECK_LOCAL_URL",
    )
)


class Terminal:
    """One tmux session running one command, 120×40, on a tmux server of its own: a shared
    server exits when its last session ends, and a session started in that moment fails."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.session = f"tunedeck-e2e-{uuid.uuid4().hex[:8]}"
        self.tmux = ["tmux", "-L", self.session]
        env = {"TUNEDECK_BACKEND": "local", **env}  # these tests drive the Gemini protocol on the emulator
        env_prefix = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
        shell = f"env {UNSET} {env_prefix} {shlex.join(command)}; echo tunedeck exited with $?; sleep 30"
        size = ["-x", "120", "-y", "40"]
        subprocess.run([*self.tmux, "new-session", "-d", "-s", self.session, *size, shell], check=True)
        # Some tmux setups size new windows to the last client; pin 120×40.
        subprocess.run([*self.tmux, "resize-window", "-t", self.session, *size], capture_output=True)

    def screen(self) -> str:
        return subprocess.run(
            [*self.tmux, "capture-pane", "-p", "-t", self.session], capture_output=True, text=True, check=True
        ).stdout

    def send(self, *keys: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.session, *keys], check=True)

    def type(self, text: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.session, "-l", text], check=True)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        """Wait until `text` is on screen; fail with the screen if it never shows."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} did not appear within {timeout}s; the screen was:\n{screen}")

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)


@pytest.fixture
def terminal():
    """Start programs in tmux; sessions are killed at the end of the test."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (scripts/test.sh installs it)")
    started: list[Terminal] = []

    def start(command: list[str], env: dict[str, str]) -> Terminal:
        term = Terminal(command, env)
        started.append(term)
        return term

    yield start
    for term in started:
        term.close()
