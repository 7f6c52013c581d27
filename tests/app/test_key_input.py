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


class Clock:
    """The parser's clock, moved by hand: the escape delay is tested without waiting."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1000.0
        monkeypatch.setattr("textual._parser.get_time", lambda: self.now)
        monkeypatch.setattr("tui.key_input.get_time", lambda: self.now)


def events_of(found) -> list[tuple[str, str | None]]:
    return [(event.key, event.character) for event in found]


def test_a_lone_esc_is_the_escape_key_once_the_escape_delay_is_over(monkeypatch):
    clock = Clock(monkeypatch)
    parser = KeysApartParser(delay=0.025)
    assert list(parser.feed("\x1b")) == []
    assert parser.wait_s() == pytest.approx(0.025)  # the input loop wakes up when the delay is over
    clock.now += 0.024
    assert list(parser.tick()) == []
    assert parser.wait_s() == pytest.approx(0.001)
    clock.now += 0.002
    assert events_of(parser.tick()) == [("escape", "\x1b")]
    assert parser.wait_s() is None  # nothing pending: the loop waits for input (or the app's stop)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("\x1b", "[A", [("up", None)]),
        ("\x1b[", "A", [("up", None)]),
        ("\x1b[1;5", "C", [("ctrl+right", None)]),
        ("\x1bO", "P", [("f1", None)]),
        ("\x1b", "\x7f", [("ctrl+w", None)]),  # Alt+Backspace
        ("x\x1b", "[B", [("x", "x"), ("down", None)]),
    ],
)
def test_an_escape_sequence_split_over_two_reads_within_the_delay_is_one_key(monkeypatch, first, second, expected):
    """As over a slow SSH link: the sequence's first bytes in one read, the rest in the next."""
    clock = Clock(monkeypatch)
    parser = KeysApartParser(delay=0.025)
    found = list(parser.feed(first))
    clock.now += 0.02  # the input loop wakes up in between and finds nothing due
    found += parser.tick()
    found += parser.feed(second)
    clock.now += 1.0
    found += parser.tick()
    assert events_of(found) == expected


def test_each_byte_of_a_sequence_restarts_the_wait(monkeypatch):
    clock = Clock(monkeypatch)
    parser = KeysApartParser(delay=0.025)
    found = list(parser.feed("\x1b"))
    for part in ("[", "1", ";", "5"):
        clock.now += 0.02
        found += parser.tick()
        found += parser.feed(part)
    clock.now += 0.02
    found += parser.tick()
    found += parser.feed("C")
    assert events_of(found) == [("ctrl+right", None)]


def test_esc_then_a_key_in_the_next_read_are_two_keys(monkeypatch):
    """Esc typed, then 2 before the delay is over (Textual alone reads `™`)."""
    Clock(monkeypatch)
    parser = KeysApartParser(delay=0.025)
    found = list(parser.feed("\x1b"))
    found += parser.feed("2")
    found += parser.feed("\x1b")
    found += parser.feed("?")
    assert events_of(found) == [("escape", "\x1b"), ("2", "2"), ("escape", "\x1b"), ("question_mark", "?")]


@pytest.mark.parametrize(
    ("environ", "seconds"),
    [({}, 0.025), ({"ESCDELAY": "100"}, 0.1), ({"ESCDELAY": "10"}, 0.01), ({"ESCDELAY": "0"}, 0.001),
     ({"ESCDELAY": "soon"}, 0.025)],
)
def test_escdelay_sets_the_escape_delay(environ, seconds):
    from tui.key_input import escape_delay

    assert escape_delay(environ) == pytest.approx(seconds)


def test_the_parser_takes_escdelay_from_the_environment(monkeypatch):
    monkeypatch.setenv("ESCDELAY", "80")
    assert KeysApartParser().delay == pytest.approx(0.08)
    monkeypatch.delenv("ESCDELAY")
    assert KeysApartParser().delay == pytest.approx(0.025)


class RecordingDriver:
    """KeysApartDriver's input loop reading a pipe: the messages it sends and how long it waits for input."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, exit_event=None) -> None:
        import os
        import queue
        import selectors
        import threading

        from tui.key_input import ExitEvent, KeysApartDriver

        self.messages: queue.Queue = queue.Queue()
        self.waits: list[float | None] = []
        waits = self.waits

        class Selector(selectors.SelectSelector):
            def select(self, timeout=None):
                waits.append(timeout)
                return super().select(timeout)

        monkeypatch.setattr("tui.key_input.selectors.SelectSelector", Selector)
        read_end, self.write_end = os.pipe()
        self.read_end = read_end
        driver = KeysApartDriver.__new__(KeysApartDriver)  # no terminal: only the input loop runs
        driver.fileno = read_end
        driver._debug = False
        driver.exit_event = ExitEvent() if exit_event is None else exit_event
        driver.process_message = self.messages.put  # type: ignore[method-assign]
        self.driver = driver
        self.thread = threading.Thread(target=driver.run_input_thread, daemon=True)
        self.thread.start()

    def write(self, data: bytes) -> None:
        import os

        os.write(self.write_end, data)

    def next_key(self) -> tuple[str, str | None]:
        event = self.messages.get(timeout=10)
        return event.key, event.character

    def close(self) -> None:
        import os

        self.driver.exit_event.set()
        self.thread.join(timeout=10)
        os.close(self.write_end)
        os.close(self.read_end)
        if hasattr(self.driver.exit_event, "close"):
            self.driver.exit_event.close()


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux driver")
def test_the_driver_reads_a_lone_esc_after_the_escape_delay_not_its_next_turn(monkeypatch):
    monkeypatch.delenv("ESCDELAY", raising=False)
    reader = RecordingDriver(monkeypatch)
    try:
        reader.write(b"\x1b")
        assert reader.next_key() == ("escape", "\x1b")
        # After the Esc, the loop waited at most the escape delay for more input, not its 0.1 s turn.
        after_esc = [wait for wait in reader.waits if wait is not None and wait < 0.1]
        assert after_esc
        assert max(after_esc) <= 0.025
        reader.write(b"q")
        assert reader.next_key() == ("q", "q")
    finally:
        reader.close()


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux driver")
def test_the_driver_reads_a_sequence_written_in_two_parts_as_one_key(monkeypatch):
    import time

    monkeypatch.setenv("ESCDELAY", "2000")  # a gap far shorter than the delay, whatever the machine's load
    reader = RecordingDriver(monkeypatch)
    try:
        reader.write(b"\x1b[1;5")
        time.sleep(0.01)  # the loop reads the first part on its own
        reader.write(b"C")
        assert reader.next_key() == ("ctrl+right", None)
        reader.write(b"\x1b")
        time.sleep(0.01)
        reader.write(b"2")
        assert reader.next_key() == ("escape", "\x1b")
        assert reader.next_key() == ("2", "2")
    finally:
        reader.close()


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux driver")
def test_the_input_loop_sleeps_until_a_key_or_the_stop_and_stops_at_once(monkeypatch):
    """At rest the loop waits for input without a timeout (no wake-ups ten times a second), and
    setting the exit event wakes it: the thread ends without waiting for a key."""
    reader = RecordingDriver(monkeypatch)
    reader.write(b"q")
    assert reader.next_key() == ("q", "q")
    assert reader.waits and all(wait is None for wait in reader.waits)
    reader.driver.exit_event.set()
    reader.thread.join(timeout=10)
    assert not reader.thread.is_alive()  # woken by the event, not by a key that never comes
    reader.driver.exit_event.clear()  # as Textual's disable_input does: a resumed loop sleeps again
    assert not reader.driver.exit_event.is_set()
    reader.close()


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux driver")
def test_a_stop_flag_that_cannot_wake_the_loop_is_looked_at_every_turn(monkeypatch):
    import threading

    from tui.key_input import TURN_S

    reader = RecordingDriver(monkeypatch, exit_event=threading.Event())
    try:
        reader.write(b"q")
        assert reader.next_key() == ("q", "q")
        assert reader.waits and all(wait == TURN_S for wait in reader.waits)
    finally:
        reader.close()
