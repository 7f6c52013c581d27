"""`tunedeck` in a real terminal from launch to delete: the job's curve grows live in the
monitor, the job turns ACTIVE, the tuned model answers in the playground, and the model is
deleted from the library. The emulator runs with slowed steps so the curve can be seen
growing; the app reaches it through TUNEDECK_LOCAL_URL."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def tunedeck_command(data_dir: Path) -> list[str]:
    script = Path(sys.executable).with_name("tunedeck")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "tui"]
    return [*base, "--data-dir", str(data_dir)]


def progress_of(screen: str, name: str) -> int | None:
    """The Done % in the job list row of `name`, if the row is on screen."""
    for line in screen.splitlines():
        if name in line:
            found = re.search(r"(\d+)%", line)
            if found:
                return int(found.group(1))
    return None


def test_launch_watch_try_delete_in_tmux(terminal, tmp_path):
    from tui.emulator.process import start_emulator

    emulator = start_emulator(tmp_path / "emulator", port=0, extra_args=["--step-delay", "0.08"])
    try:
        env = {
            "TUNEDECK_CONFIG_DIR": str(tmp_path / "config"),
            "TUNEDECK_LOCAL_URL": emulator.url,
            "TUNEDECK_EMULATOR_API_KEY": emulator.api_key,
            "TERM": "xterm-256color",
        }
        term = terminal(tunedeck_command(tmp_path / "data"), env)
        term.wait_for("number-increment.jsonl")
        term.wait_for("● reachable")

        # Launch a job on the first sample (the form's defaults: 5 epochs, batch size 4).
        term.send("Enter")
        term.wait_for("Ready to tune")
        term.send("c")
        term.wait_for("Tuning job")
        term.type("e2e-live")
        term.send("Escape")
        term.wait_for("Ready to launch")
        term.send("C-l")

        # The monitor opens on the job; the curve grows while it trains.
        term.wait_for("loss per step", timeout=30)
        seen: list[int] = []
        deadline = time.monotonic() + 90
        screen = term.screen()
        while "ACTIVE" not in screen:
            assert time.monotonic() < deadline, f"the job did not finish; the screen was:\n{screen}"
            done = progress_of(screen, "e2e-live")
            if done is not None and (not seen or done != seen[-1]):
                seen.append(done)
            time.sleep(0.2)
            screen = term.screen()
        assert any(0 < p < 100 for p in seen), f"never saw the job part-way: {seen}"
        assert seen == sorted(seen), f"progress went backwards: {seen}"
        term.wait_for("100/100 steps")
        term.wait_for("epoch boundary")  # a notification may cover it for a few seconds

        # Try the tuned model.
        term.send("t")
        term.wait_for("Prompt (ctrl+s sends)")
        term.wait_for("Ready.")
        term.type("41")
        term.send("C-s")
        term.wait_for("› 41", timeout=15)
        deadline = time.monotonic() + 30
        while "waiting for the model" in term.screen():
            assert time.monotonic() < deadline, "no answer arrived"
            time.sleep(0.2)
        lines = term.screen().splitlines()
        asked = next(i for i, line in enumerate(lines) if "› 41" in line)
        assert lines[asked + 1].strip(" │"), "the answer line is empty"
        assert "No answer" not in "\n".join(lines)

        # Delete it from the library.
        term.send("Escape")
        time.sleep(0.5)  # Esc and a key sent together read as one Alt+key sequence
        term.send("5")
        term.wait_for("Launched here")
        term.wait_for("e2e-live")
        term.send("d")
        term.wait_for("Delete e2e-live?")
        term.send("y")
        term.wait_for("No tuned models on this backend yet", timeout=20)

        term.send("C-q")
        term.wait_for("tunedeck exited with 0", timeout=15)
    finally:
        emulator.stop()
