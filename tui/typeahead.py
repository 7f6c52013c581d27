"""Type-ahead that lands: keys typed before the screen is ready, or right after a key that
moves the focus, wait until the focus has moved, then go where they would have gone.

Textual hands each key to the focused widget's own queue; a key bound to "focus the path
field" runs a moment later, so the next keys of a burst (`o` + a path + Enter typed at
once) would still reach the old focus — the `b` in the path would open Browse. The app
asks its screen about every key (`key_kind`): "wait" holds the key itself (the screen is
not built yet), "moves-focus" lets it through and holds the keys after it. The screen
calls `release_keys` once the focus has moved; the held keys then go on in order.
"""

from __future__ import annotations

from typing import Literal

from textual import events
from textual.app import App

KeyKind = Literal["wait", "moves-focus"] | None
# Held keys go on after this long even if the screen never says so (a key that did nothing).
RELEASE_ANYWAY_S = 2.0


class TypeAhead(App[None]):
    """The app's half: hold keys while the screen says so, replay them in order when released."""

    def __init__(self) -> None:
        super().__init__()
        self._held_keys: list[events.Key] = []
        self._holding_keys = False

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._holding_keys:
                self._held_keys.append(event)
                return
            await self._dispatch_key(event)
            return
        await super().on_event(event)

    async def _dispatch_key(self, event: events.Key) -> None:
        ask = getattr(self.screen, "key_kind", None)
        kind: KeyKind = ask(event) if ask is not None else None
        if kind == "wait":
            self._hold()
            self._held_keys.append(event)
            return
        await super().on_event(event)
        if kind == "moves-focus":
            self._hold()

    def _hold(self) -> None:
        if not self._holding_keys:
            self._holding_keys = True
            self.set_timer(RELEASE_ANYWAY_S, self.release_keys)

    def release_keys(self) -> None:
        """The focus has moved (or the screen is ready): let the held keys go on, in order."""
        self.call_later(self._release)

    async def _release(self) -> None:
        self._holding_keys = False
        while self._held_keys and not self._holding_keys:
            await self._dispatch_key(self._held_keys.pop(0))
