"""`tunedeck` in a real terminal: no credentials and a fresh data dir, so it starts the
local emulator; keys go in through tmux (open a sample, configure, launch) and the
screen is read back as text."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def tunedeck_command(data_dir: Path) -> list[str]:
    script = Path(sys.executable).with_name("tunedeck")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "tui"]
    return [*base, "--data-dir", str(data_dir)]


def test_open_sample_configure_launch_in_tmux(terminal, tmp_path):
    from tui.emulator.process import find_running

    data_dir = tmp_path / "data"
    env = {"TUNEDECK_CONFIG_DIR": str(tmp_path / "config"), "TERM": "xterm-256color"}
    term = terminal(tunedeck_command(data_dir), env)
    try:
        screen = term.wait_for("number-increment.jsonl")
        assert "tunedeck" in screen
        term.wait_for("● reachable")  # the emulator was started for us and answers
        assert "local emulator" in term.screen()

        term.send("Enter")  # the first sample is highlighted
        screen = term.wait_for("Ready to tune")
        assert "0 errors" in screen

        term.send("c")
        term.wait_for("Tuning job")
        term.type("e2e-job")
        term.send("Escape")
        term.wait_for("Ready to launch")
        term.send("C-l")
        screen = term.wait_for("e2e-job", timeout=30)
        term.wait_for("Launched", timeout=30)

        term.send("C-q")
        term.wait_for("tunedeck exited with 0", timeout=15)
        # Quitting leaves the emulator started for the user running, with its jobs.
        emulator = find_running(data_dir / "emulator")
        assert emulator is not None and emulator.alive()
    finally:
        emulator = find_running(data_dir / "emulator")
        if emulator is not None:
            emulator.stop()
