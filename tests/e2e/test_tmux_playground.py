"""The checkpoint comparison in a real 80×24 terminal: a Vertex AI job tuned from the CLI on the local
emulator (started for the user), then the app in tmux sends one prompt to every checkpoint and the
answers show under their epoch, step and eval loss, one above the other."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.e2e.test_tmux_launch import tunedeck_command
from tui.samples import sample_paths

pytestmark = pytest.mark.e2e

CLASSIFICATION = str(next(p for p in sample_paths() if p.name == "classification.jsonl"))


def test_compare_checkpoints_at_80x24(terminal, tmp_path):
    from tui.emulator.process import find_running

    data_dir = tmp_path / "data"
    env = {"TUNEDECK_CONFIG_DIR": str(tmp_path / "config"), "TUNEDECK_BACKEND": "vertex-local"}
    clean = {k: v for k, v in os.environ.items()
             if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "TUNEDECK_LOCAL_URL", "TUNEDECK_DATA_DIR",
                          "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "GOOGLE_GENAI_USE_VERTEXAI")}
    try:
        tuned = subprocess.run(
            [*tunedeck_command(data_dir), "tune", CLASSIFICATION, "--epochs", "2", "--validation-split", "0.2",
             "--system-instruction", "--display-name", "tickets", "--watch"],
            env={**clean, **env}, capture_output=True, text=True, timeout=300,
        )
        assert tuned.returncode == 0, tuned.stdout + tuned.stderr

        term = terminal(tunedeck_command(data_dir), {**env, "TERM": "xterm-256color"})
        subprocess.run([*term.tmux, "resize-window", "-t", term.session, "-x", "80", "-y", "24"], check=True)
        term.wait_for("● reachable")
        term.send("4")
        screen = term.wait_for("Checkpoints")
        assert "epoch 1 · step" in screen and "Tuned model" in screen
        term.wait_for("system instruction")  # the line saying the preamble goes with every prompt

        term.send("C-t")  # the prompt takes the focus; the text typed right after follows it there
        term.type("ticket: I was charged twice for the same order.")
        term.wait_for("│ ticket: I was charged twice")  # in the prompt
        term.send("C-r")
        screen = term.wait_for("[to 2 checkpoints]", timeout=60)
        screen = term.wait_for("  epoch 2 · step", timeout=60)
        deadline = time.monotonic() + 60
        while "waiting for the checkpoint" in screen and time.monotonic() < deadline:
            time.sleep(0.1)
            screen = term.screen()
        assert "waiting for the checkpoint" not in screen and "No answer" not in screen
        lines = screen.splitlines()
        first = next(i for i, line in enumerate(lines) if "  epoch 1 · step" in line and "▕" in line)
        second = next(i for i, line in enumerate(lines) if "  epoch 2 · step" in line and "▕" in line)
        assert second > first + 1  # stacked: the first answer sits between the two labels
        assert lines[first + 1].split("▕", 1)[1].strip()

        term.send("C-q")
        term.wait_for("tunedeck exited with 0", timeout=15)
    finally:
        emulator = find_running(data_dir / "emulator")
        if emulator is not None:
            emulator.stop()
