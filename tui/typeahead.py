"""Keys that land where they were typed: one key at a time, and type-ahead that waits.

Textual hands each key to the focused widget's own queue, and runs a key's binding only
once the key has bubbled back up to the app, one queue per ancestor. When several keys
arrive in one read (a laggy SSH link, tmux `send-keys`, a paste of keys), the app has
already handed all of them to the widget that had the focus when they arrived: after a
Tab that crosses a select, the next keys reach the select, and a Backspace runs after the
characters typed behind it. docs/textual-key-bursts.md has the details.

So the app hands over one key at a time: after a key it posts a `KeyHandled` marker to
the same widget. The marker bubbles up behind the key, so it reaches the app once the key
has been handled all the way up (its binding run); the keys that came meanwhile wait
until then, and then go on to whatever has the focus now.

Type-ahead: the app also asks its screen about every key (`key_kind`): "wait" holds the
key itself (the screen is not built yet), "moves-focus" lets it through and holds the keys
after it. The screen calls `release_keys` once the focus has moved; the held keys then go
on in order.
"""

from __future__ import annotations

from time import monotonic
from typing import Literal

from textual import events
from textual.app import App
from textual.driver import Driver
from textual.message import Message
from textual.timer import Timer

KeyKind = Literal["wait", "moves-focus"] | None
# Held keys go on after this long even if the screen never says so (a key that did nothing).
RELEASE_ANYWAY_S = 2.0
# ... or if a key's marker never comes back (its widget was removed on the way).
MARKER_LOST_S = 0.5


class KeyHandled(Message):
    """Follows a key up the widgets that handle it: at the app, the key has been handled."""


class TypeAhead(App[None]):
    """The app's half: one key at a time to the focused widget; hold keys while the screen
    says so; replay held keys in order."""

    def __init__(self) -> None:
        super().__init__()
        self._held_keys: list[events.Key] = []
        self._holding_keys = False  # the screen asked to hold keys (see `key_kind`)
        self._key_on_its_way: KeyHandled | None = None  # the marker behind the key handed over last
        self._watchdog: Timer | None = None
        self._watched: KeyHandled | None = None
        self.last_key_at = 0.0  # `time.monotonic()` when the last key came (work that can wait waits for a pause)

    def get_driver_class(self) -> type[Driver]:
        """On Linux, a driver that reads Esc and the key after it as two keys (tui.key_input)."""
        driver = super().get_driver_class()
        if driver.__module__ == "textual.drivers.linux_driver" and driver.__name__ == "LinuxDriver":
            from tui.key_input import KeysApartDriver

            return KeysApartDriver
        return driver

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            self.last_key_at = monotonic()
            self._held_keys.append(event)
            if self._holding_keys or self._key_on_its_way is not None:
                self._watch()
            else:
                await self._send_held_keys()
            return
        await super().on_event(event)

    async def _dispatch_key(self, event: events.Key) -> None:
        ask = getattr(self.screen, "key_kind", None)
        kind: KeyKind = ask(event) if ask is not None else None
        if kind == "wait":
            self._hold()
            self._held_keys.insert(0, event)
            return
        await super().on_event(event)  # runs a priority binding, or hands the key to the focused widget
        if event.is_forwarded:
            marker = KeyHandled()
            if (self.focused or self.screen).post_message(marker):
                self._key_on_its_way = marker
        if kind == "moves-focus":
            self._hold()

    def on_key_handled(self, message: KeyHandled) -> None:
        message.stop()
        if message is self._key_on_its_way:
            # Its binding may have asked the app for a callback (`Widget.focus` moves the focus
            # on the app's next pass): the next key goes on after that.
            self.call_later(self._arrived, message)

    async def _arrived(self, marker: KeyHandled) -> None:
        if marker is self._key_on_its_way:
            self._key_on_its_way = None
            await self._send_held_keys()

    def _watch(self) -> None:
        """Keys are waiting behind a marker: if it never comes back, let them go on anyway."""
        if self._watchdog is None and self._key_on_its_way is not None:
            self._watched = self._key_on_its_way
            self._watchdog = self.set_timer(MARKER_LOST_S, self._check_marker)

    async def _check_marker(self) -> None:
        self._watchdog = None
        if self._key_on_its_way is not None and self._key_on_its_way is self._watched:
            self._key_on_its_way = None  # lost on the way
            await self._send_held_keys()
        elif self._held_keys:
            self._watch()

    def _hold(self) -> None:
        if not self._holding_keys:
            self._holding_keys = True
            self.set_timer(RELEASE_ANYWAY_S, self.release_keys)

    def release_keys(self) -> None:
        """The focus has moved (or the screen is ready): let the held keys go on, in order."""
        self.call_later(self._release)

    async def _release(self) -> None:
        self._holding_keys = False
        await self._send_held_keys()

    async def _send_held_keys(self) -> None:
        while self._held_keys and not self._holding_keys and self._key_on_its_way is None:
            await self._dispatch_key(self._held_keys.pop(0))
