"""Esc and the key typed after it stay two keys when they reach the program in one read.

A terminal sends Alt+q as Esc q, so Esc followed by a key in the same read (a laggy SSH
link, tmux `send-keys Escape 2`, a quick Esc then 2) is ambiguous. Textual 8.2.8 reads it
as one key, and not even Alt+key every time: Esc 2 becomes `™` (a table for Option+digit
on macOS WezTerm), Esc ? becomes a bare `?`, Esc q becomes Alt+q, and when another Esc
follows in the same read the first one becomes `^`. In a field, Esc 2 ("leave the field,
go to Configure") typed `™` into it.

tunedeck reads Esc followed by a printable key as two keys, as readline and prompt_toolkit
read Alt: the input is rewritten before Textual's parser sees it, the Esc into the escape
key's unambiguous form (`CSI 27 u`, the kitty keyboard protocol's). Escape sequences (Esc [,
Esc O, …), Esc Backspace (Alt+Backspace: delete a word) and pasted text are left alone.
Esc then a key arriving in two reads, Esc at the end of the first, is read the same way.
docs/textual-key-bursts.md has the upstream reproduction.

A lone Esc byte is the escape key only once nothing has followed it for a while (the escape
delay): the start of an escape sequence looks the same. Textual waits 100 ms, then up to
another 100 ms for its input loop's next turn; tunedeck waits 25 ms and wakes up when that
time is up. The user's `ESCDELAY` (milliseconds, as in curses) still decides.
docs/configuration.md says when to raise it.

Textual's input loop also wakes ten times a second to see whether the app is stopping. Here
the loop sleeps until a key comes, an escape delay ends or the app stops (`ExitEvent` wakes
it): an app at rest costs nothing between keys.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import threading
from codecs import getincrementaldecoder
from collections.abc import Iterator, Mapping
from typing import Any

from textual import constants
from textual._loop import loop_last
from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

ESCAPE_KEY = "\x1b[27u"  # the escape key, CSI u form
# Esc followed by a printable character that does not open an escape sequence (CSI, SS3, OSC,
# DCS, APC, PM, SOS): a key typed after Esc, or the same bytes as Alt and that key.
ESC_THEN_KEY = re.compile(r"\x1b(?=[^\x00-\x1f\x7f\[O\]P_^X])")
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
# How long a lone Esc waits for the rest of an escape sequence before it is the escape key:
# a terminal writes a key's sequence at once, and tmux and SSH pass it on in one piece, so
# the rest comes within a few milliseconds (Neovim's ttimeoutlen is 50 ms, tmux's escape-time 10).
ESCAPE_DELAY_MS = 25
# How often the loop looks at a stop flag that cannot wake it (a plain `threading.Event`): Textual's turn.
TURN_S = 0.1


class ExitEvent(threading.Event):
    """The input loop's stop flag (the driver's `exit_event`), which also wakes the loop: setting
    it writes a byte to a pipe the loop waits on beside the terminal."""

    def __init__(self) -> None:
        super().__init__()
        self._pipe: tuple[int, int] | None = None
        self.open()

    def open(self) -> None:
        """Make the pipe, if it is not open (the driver closes it when the app suspends)."""
        if self._pipe is None:
            self._pipe = os.pipe()
            for end in self._pipe:
                os.set_blocking(end, False)

    def fileno(self) -> int:
        self.open()
        assert self._pipe is not None
        return self._pipe[0]

    def set(self) -> None:
        super().set()
        if self._pipe is not None:
            with contextlib.suppress(OSError):  # the pipe is full: the loop is woken already
                os.write(self._pipe[1], b"\0")

    def clear(self) -> None:
        super().clear()
        if self._pipe is None:
            return
        try:
            while os.read(self._pipe[0], 512):
                pass
        except OSError:  # drained
            pass

    def close(self) -> None:
        pipe, self._pipe = self._pipe, None
        for end in pipe or ():
            with contextlib.suppress(OSError):
                os.close(end)


def escape_delay(environ: Mapping[str, str] = os.environ) -> float:
    """Seconds a lone Esc waits for the rest of an escape sequence: `ESCDELAY` (milliseconds,
    at least 1, as Textual and curses read it) when it is set to a number, else ESCAPE_DELAY_MS."""
    try:
        milliseconds = int(environ["ESCDELAY"])
    except (KeyError, ValueError):
        milliseconds = ESCAPE_DELAY_MS
    return max(milliseconds, 1) / 1000


class KeysApartParser(XTermParser):
    """Textual's parser, fed input in which Esc followed by a key is the escape key and the key,
    and whose lone Esc waits `delay` seconds (default: `escape_delay()`) for what may follow.

    It sets the deadline of Textual's parser (`Parser._timeout_time`, which `tick` checks);
    tests/app/test_key_input.py fails if a Textual release changes how that works.
    """

    def __init__(self, debug: bool = False, delay: float | None = None) -> None:
        super().__init__(debug)
        self.delay = escape_delay() if delay is None else delay
        self._pasting = False
        self._lone_esc = False  # the last read ended with an Esc that may start a sequence

    def feed(self, data: str) -> Iterator[Message]:
        apart = not constants.DISABLE_KITTY_KEY
        waiting = self._lone_esc and self._timeout_time is not None  # not yet the escape key
        if apart and waiting and data and not self._pasting and ESC_THEN_KEY.match("\x1b" + data[0]):
            # Esc ended the last read and a key starts this one: the Esc was the escape key.
            self._timeout_time = 0.0
            yield from self.tick()
        rewritten = self.keys_apart(data)
        yield from super().feed(rewritten)
        waiting = self._timeout_time is not None
        self._lone_esc = waiting and rewritten.endswith("\x1b")
        if waiting:  # in an escape sequence: it ends, or is given up, `delay` after its last byte
            self._timeout_time = get_time() + self.delay

    def wait_s(self) -> float | None:
        """How long the input loop may wait for input before `tick` has something to do (None: as
        long as it takes)."""
        if self._timeout_time is None:
            return None
        return max(0.0, self._timeout_time - get_time())

    def keys_apart(self, data: str) -> str:
        if "\x1b" not in data or constants.DISABLE_KITTY_KEY:  # without CSI u, Textual reads the old way
            return data
        parts: list[str] = []
        while data:
            marker = PASTE_END if self._pasting else PASTE_START
            before, found, data = data.partition(marker)
            parts.append(before if self._pasting else ESC_THEN_KEY.sub(ESCAPE_KEY, before))
            if not found:
                break
            parts.append(found)
            self._pasting = not self._pasting
        return "".join(parts)


class KeysApartDriver(LinuxDriver):
    """The Linux driver, reading keys through `KeysApartParser`, and waking up when a lone Esc's
    wait is over or the app stops, rather than every 0.1 s."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exit_event = ExitEvent()

    def close(self) -> None:
        super().close()
        if isinstance(self.exit_event, ExitEvent):
            self.exit_event.close()

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events (Textual 8.2.8's loop, with the parser above, and
        without a timeout while nothing is pending: `ExitEvent` wakes it)."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        exit_event = self.exit_event
        waking = isinstance(exit_event, ExitEvent)
        if isinstance(exit_event, ExitEvent):
            selector.register(exit_event.fileno(), selectors.EVENT_READ)
        parser = KeysApartParser(self._debug)
        feed, tick = parser.feed, parser.tick

        def wait_s() -> float | None:
            wait = parser.wait_s()
            return wait if waking or (wait is not None and wait < TURN_S) else TURN_S  # a plain Event: Textual's turn
        decode = getincrementaldecoder("utf-8")().decode

        def process_selector_events(
            selector_events: list[tuple[selectors.SelectorKey, int]], final: bool = False
        ) -> None:
            for last, (selector_key, mask) in loop_last(selector_events):
                if mask & selectors.EVENT_READ and selector_key.fd == fileno:
                    unicode_data = decode(os.read(fileno, 1024 * 4), final=final and last)
                    if not unicode_data:
                        break  # piped stdin at its end
                    for event in feed(unicode_data):
                        self.process_message(event)
            for event in tick():
                self.process_message(event)

        try:
            while not exit_event.is_set():
                process_selector_events(selector.select(wait_s()))
            selector.unregister(self.fileno)
            process_selector_events(selector.select(0.1), final=True)
        finally:
            selector.close()
            try:
                for _event in feed(""):
                    pass
            except (EOFError, ParseError):
                pass
