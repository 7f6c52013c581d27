"""Type-ahead lands: `o` + a path + Enter, written in one burst the moment the first frame
is on screen, opens that file — the `b` in the path does not open Browse."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_tmux_launch import tunedeck_command

pytestmark = pytest.mark.e2e
SAMPLE = Path(__file__).resolve().parents[2] / "tui" / "samples" / "number-increment.jsonl"


def test_a_burst_typed_at_first_paint_opens_the_file(terminal, tmp_path):
    folder = tmp_path / "bursts-b"
    folder.mkdir()
    path = folder / "bob.jsonl"
    shutil.copy(SAMPLE, path)
    env = {"TUNEDECK_CONFIG_DIR": str(tmp_path / "config"), "TERM": "xterm-256color",
           "TUNEDECK_LOCAL_URL": "http://127.0.0.1:9"}  # no emulator: the keys are what this is about
    term = terminal(tunedeck_command(tmp_path / "data"), env)
    term.wait_for("number-increment.jsonl")  # the first frame
    # One write, as a fast typist or a paste over SSH delivers it.
    subprocess.run([*term.tmux, "send-keys", "-t", term.session, "-l", f"o{path}\r"], check=True)
    screen = term.wait_for("Ready to tune")
    assert "bob.jsonl" in screen
    assert "Open a dataset" not in screen  # the Browse dialog's title
    term.send("C-q")
    term.wait_for("tunedeck exited with 0", timeout=15)
