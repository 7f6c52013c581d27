"""Keys that reach the app in one write (as over a laggy SSH link) keep their order, and the
chosen radio button shows without colour: the real program in tmux, keys sent in one call."""

from __future__ import annotations

import pytest

from tests.e2e.test_tmux_launch import tunedeck_command

pytestmark = pytest.mark.e2e

NAME = "abcdefghij" * 4  # 40 characters, the most a display name takes


def open_form(terminal, tmp_path, term_env: dict[str, str]):
    from tui.emulator.process import find_running

    env = {"TUNEDECK_CONFIG_DIR": str(tmp_path / "config"), **term_env}
    term = terminal([*tunedeck_command(tmp_path / "data"), "tui/samples/number-increment.jsonl"], env)
    term.wait_for("Ready to tune")
    term.send("c")
    term.wait_for("Tuning job")
    term.wait_for("Ready to launch")
    return term, lambda: find_running(tmp_path / "data" / "emulator")


def test_a_burst_with_backspace_keeps_every_key(terminal, tmp_path):
    term, emulator = open_form(terminal, tmp_path, {"TERM": "xterm-256color"})
    try:
        term.type(NAME)
        term.wait_for(NAME)
        term.send("BSpace", "B", "C")  # one write: the keys arrive together
        screen = term.wait_for("41 characters")
        assert NAME[:39] + "BC" in screen
        assert "Ready to launch" not in screen

        term.send("C-u")  # clear the field
        term.wait_for("e.g. ticket-router-v2")
        term.type("0")
        term.wait_for("Display name    0 ")
        term.send("BSpace", "4", "2")  # one write: "0" becomes "42", not "04"
        screen = term.wait_for("Display name    42 ")
        assert "Ready to launch" in screen
    finally:
        found = emulator()
        if found is not None:
            found.stop()


def test_the_chosen_radio_button_shows_without_colour(terminal, tmp_path):
    term, emulator = open_form(terminal, tmp_path, {"TERM": "xterm", "NO_COLOR": "1"})
    try:
        screen = term.wait_for("learning rate")
        line = next(row for row in screen.splitlines() if "Rate given as" in row)
        assert line.index("●") < line.index("learning rate") < line.index("○") < line.index("multiplier")
    finally:
        found = emulator()
        if found is not None:
            found.stop()


def test_a_burst_crosses_the_select_and_leaves_a_field_for_a_screen_key(terminal, tmp_path):
    from tests.e2e.test_tmux_vertex import field_value, wait_until

    term, emulator = open_form(terminal, tmp_path, {"TERM": "xterm-256color"})
    try:
        wait_until(term, lambda s: field_value(s, "Epochs") == "5", "the backend's fields")
        term.type("run-a")
        term.wait_for("Display name    run-a ")
        # One write: over the base-model select to Epochs, clear it, type 8.
        term.send("Tab", "Tab", "C-u", "8")
        screen = wait_until(term, lambda s: field_value(s, "Epochs") not in ("", "5"), "Epochs to change")
        assert field_value(screen, "Epochs") == "8", screen
        # One write: back over the select to the name, one more letter.
        term.send("BTab", "BTab", "x")
        screen = term.wait_for("Display name    run-ax ")
        assert field_value(screen, "Epochs") == "8", screen

        # One write: Esc out of the name, then `?` (the keys), as a terminal sends Alt+?.
        term.send("Escape", "?")
        screen = term.wait_for("Keys — Configure")
        assert field_value(screen, "Display name") == "run-ax", screen
        term.send("Escape")
        wait_until(term, lambda s: "Keys — Configure" not in s, "the keys to close")

        # One write: to the Playground, into the prompt (ctrl+t), type, Esc out of it, back to Configure.
        term.send("4", "C-t", "h", "i", "Escape", "2")
        screen = wait_until(term, lambda s: "[2 Configure]" in s and "Display name" in s, "back on Configure")
        assert field_value(screen, "Display name") == "run-ax", screen
        term.send("4")
        screen = term.wait_for("[4 Playground]")
        assert "│ hi " in screen, screen
    finally:
        found = emulator()
        if found is not None:
            found.stop()
