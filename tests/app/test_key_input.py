"""Esc and the key typed after it, arriving in one read, are read as two keys (tui.key_input):
the bytes are those tmux writes for `send-keys Escape 2` and the like."""

from __future__ import annotations

import hashlib
import inspect
import sys

import pytest

from tui.key_input import KeysApartParser


def keys(*reads: str) -> list[tuple[str, str | None]]:
    """The keys (and pasted texts) the parser reads from these reads, Esc timeouts included."""
    parser = KeysApartParser()
    found = []
    for data in reads:
        found += list(parser.feed(data))
    found += list(parser.feed(""))  # the end of input: a lone Esc at the end is the escape key
    return [(event.key, event.character) if hasattr(event, "key") else ("paste", event.text) for event in found]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("\x1b2", [("escape", None), ("2", "2")]),  # Textual alone: ™ (macOS WezTerm's Option+2)
        ("\x1b?", [("escape", None), ("question_mark", "?")]),  # Textual alone: `?`, the Esc lost
        ("\x1bq", [("escape", None), ("q", "q")]),  # Textual alone: Alt+q, typed as q in a field
        (
            "\x1b4\x14hi\x1b2",  # Esc 4 ctrl+t h i Esc 2: Textual alone starts with ^ for the first Esc
            [("escape", None), ("4", "4"), ("ctrl+t", "\x14"), ("h", "h"), ("i", "i"), ("escape", None), ("2", "2")],
        ),
        ("a\x1b 3", [("a", "a"), ("escape", None), ("space", " "), ("3", "3")]),
    ],
)
def test_esc_then_a_key_in_one_read_are_two_keys(data, expected):
    assert keys(data) == expected


@pytest.mark.parametrize(
    ("reads", "expected"),
    [
        (["\x1b[A\x1b[1;5C"], [("up", None), ("ctrl+right", None)]),  # CSI sequences
        (["\x1bOP"], [("f1", None)]),  # SS3
        (["\x1b\x7f"], [("ctrl+w", None)]),  # Alt+Backspace: delete the word
        (["\x1b"], [("escape", "\x1b")]),  # Esc alone: after the usual wait
        (["\x1b\x1b"], [("escape", "\x1b"), ("escape", "\x1b")]),
        (["\x1b[200~a\x1b[201~", "\x1b[200~b", "c\x1b[201~x"], [("paste", "a"), ("paste", "bc"), ("x", "x")]),
    ],
)
def test_escape_sequences_and_pastes_are_left_alone(reads, expected):
    assert keys(*reads) == expected


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux driver")
def test_the_app_reads_keys_with_the_keys_apart_driver(tmp_path, monkeypatch):
    from tui.app import make_app
    from tui.config import load_settings
    from tui.key_input import KeysApartDriver

    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    settings = load_settings(env={}, data_dir=tmp_path / "data", config_dir=tmp_path / "config", backend="local")
    assert make_app(settings, None).driver_class is KeysApartDriver


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux driver")
def test_textuals_input_loop_is_the_one_the_driver_copies():
    """KeysApartDriver.run_input_thread is Textual 8.2.8's loop with another parser. If this
    fails, Textual's loop changed: bring the copy in line (or drop it if Textual now reads
    Esc and a key in one read as two keys) and update the hash."""
    from textual.drivers.linux_driver import LinuxDriver

    source = inspect.getsource(LinuxDriver.run_input_thread)
    assert "parser = XTermParser(self._debug)" in source
    digest = hashlib.sha256(source.encode()).hexdigest()
    assert digest == "d796af6d69db337d6fa6bd463984f7d17188d991dbb22f60efb92a8a9619507c"
