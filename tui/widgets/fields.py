"""Text fields whose keys take effect in the order they were typed.

Textual inserts a printable key in the field's own key handler, but runs a bound key
(Backspace, arrows, Enter, Esc …) only once the key event has bubbled up to the app,
one message queue per ancestor. When several keys arrive in one read (a laggy SSH link,
a paste of keys, tmux `send-keys`), the characters typed after a Backspace are inserted
before the Backspace runs: "0" + Backspace 4 2 gives "04". The same holds for keys that
move the focus: after Esc in the same read, the next keys were already routed to the
field. docs/textual-key-bursts.md has the details and the upstream reproduction.

`InOrderKeys` runs the binding for a non-printable key at once, in the field, and sends
a key that arrives after the focus has moved on to where it belongs now.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Checkbox, Input, RadioButton, TextArea


class InOrderKeys:
    """Mixin for a focusable text widget (before the widget class in the bases)."""

    # Keys the widget inserts itself in its key handler (besides printable characters).
    INSERTED_KEYS: frozenset[str] = frozenset()

    async def _on_key(self, event: events.Key) -> None:
        app = self.app  # type: ignore[attr-defined]
        if app.focused is not self:
            # Routed here before an earlier key of the same burst moved the focus: route it again.
            event.stop()
            event.prevent_default()
            app.post_message(events.Key(event.key, event.character))
            return
        if not event.is_printable and event.key not in self.INSERTED_KEYS:
            active = self.screen.active_bindings.get(event.key)
            if active is not None and active.enabled and not active.binding.priority:
                event.stop()
                event.prevent_default()
                await app.run_action(active.binding.action, active.node)
                return
        await super()._on_key(event)  # type: ignore[misc]


class FieldInput(InOrderKeys, Input):
    """A one-line field: keys in order; the cursor goes to the end on focus, nothing is selected."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def put(self, text: str) -> None:
        """Set the text with the cursor after it."""
        self.value = text
        self.cursor_position = len(text)


class PromptArea(InOrderKeys, TextArea):
    """A multi-line field: keys in order (Enter and Tab are text here, as in TextArea)."""

    INSERTED_KEYS = frozenset({"enter"})


class ChoiceButton(RadioButton):
    """A radio button whose choice shows without colour too (NO_COLOR): ● chosen, ○ not."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # the name Textual reads
        return "●" if self.value else "○"


class TickBox(Checkbox):
    """A check box whose state shows without colour too (NO_COLOR): ✓ ticked, blank not."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # the name Textual reads
        return "✓" if self.value else " "
