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
docs/textual-key-bursts.md has the upstream reproduction.
"""

from __future__ import annotations

import os
import re
import selectors
from codecs import getincrementaldecoder
from collections.abc import Iterable

from textual import constants
from textual._loop import loop_last
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

ESCAPE_KEY = "\x1b[27u"  # the escape key, CSI u form
# Esc followed by a printable character that does not open an escape sequence (CSI, SS3, OSC,
# DCS, APC, PM, SOS): a key typed after Esc, or the same bytes as Alt and that key.
ESC_THEN_KEY = re.compile(r"\x1b(?=[^\x00-\x1f\x7f\[O\]P_^X])")
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"


class KeysApartParser(XTermParser):
    """Textual's parser, fed input in which Esc followed by a key is the escape key and the key."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self._pasting = False

    def feed(self, data: str) -> Iterable[Message]:
        return super().feed(self.keys_apart(data))

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
    """The Linux driver, reading keys through `KeysApartParser`."""

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events (Textual 8.2.8's loop, with the parser above)."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        parser = KeysApartParser(self._debug)
        feed, tick = parser.feed, parser.tick
        decode = getincrementaldecoder("utf-8")().decode

        def process_selector_events(
            selector_events: list[tuple[selectors.SelectorKey, int]], final: bool = False
        ) -> None:
            for last, (_selector_key, mask) in loop_last(selector_events):
                if mask & selectors.EVENT_READ:
                    unicode_data = decode(os.read(fileno, 1024 * 4), final=final and last)
                    if not unicode_data:
                        break  # piped stdin at its end
                    for event in feed(unicode_data):
                        self.process_message(event)
            for event in tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                process_selector_events(selector.select(0.1))
            selector.unregister(self.fileno)
            process_selector_events(selector.select(0.1), final=True)
        finally:
            selector.close()
            try:
                for _event in feed(""):
                    pass
            except (EOFError, ParseError):
                pass
