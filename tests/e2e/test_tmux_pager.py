"""An example read in $PAGER: the app steps aside, then comes back whole and answering keys."""

from __future__ import annotations

import pytest

from tests.e2e.test_tmux_launch import tunedeck_command
from tui.datasets import sample_paths

pytestmark = pytest.mark.e2e


def test_the_app_comes_back_from_the_pager_and_reads_keys(terminal, tmp_path):
    sample = next(path for path in sample_paths() if path.name == "number-increment.jsonl")
    env = {"TUNEDECK_CONFIG_DIR": str(tmp_path / "config"), "TERM": "xterm-256color", "PAGER": "less",
           "TUNEDECK_LOCAL_URL": "http://127.0.0.1:9"}  # no emulator: the file is what this is about
    term = terminal([*tunedeck_command(tmp_path / "data"), str(sample)], env)
    term.wait_for("Ready to tune")
    for row in (2, 3):  # twice: the second suspend must work as the first did
        term.send("j")
        term.wait_for(f"number-increment.jsonl:{row}")
        term.send("v")
        term.wait_for("output (")  # less shows the example
        term.send("q")
        screen = term.wait_for(f"number-increment.jsonl:{row}")  # the whole screen is drawn again
        assert "Ready to tune" in screen and "1 Datasets" in screen, screen
    term.send("C-q")
    term.wait_for("tunedeck exited with 0", timeout=15)
