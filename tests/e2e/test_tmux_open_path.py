"""`tunedeck PATH` in a real terminal opens the app on that file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_tmux_launch import tunedeck_command

pytestmark = pytest.mark.e2e
BROKEN = Path(__file__).resolve().parents[1] / "app" / "data" / "broken.jsonl"


def test_tunedeck_path_shows_the_file_and_its_findings(terminal, tmp_path):
    env = {"TUNEDECK_CONFIG_DIR": str(tmp_path / "config"), "TERM": "xterm-256color",
           "TUNEDECK_LOCAL_URL": "http://127.0.0.1:9"}  # no emulator: the file is what this is about
    term = terminal([*tunedeck_command(tmp_path / "data"), str(BROKEN), "--format", "jsonl"], env)
    screen = term.wait_for("seven")
    assert "missing \"output\"" in screen
    screen = term.wait_for("3 errors")
    assert "24 records · 21 valid" in screen  # 3 of the 24 records are not usable examples
    term.send("f")
    term.wait_for("invalid JSON at column")
    term.send("C-q")
    term.wait_for("tunedeck exited with 0", timeout=15)
