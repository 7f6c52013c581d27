"""The form fields: text fields that keep the cursor where typing goes on, and choices whose
state shows without colour too.

Keys that arrive together keep their order because the app hands them over one at a time
(tui/typeahead.py, docs/textual-key-bursts.md), for these fields and every other control.
"""

from __future__ import annotations

from textual.widgets import Checkbox, Input, RadioButton, TextArea


class FieldInput(Input):
    """A one-line field: the cursor goes to the end on focus, nothing is selected."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def put(self, text: str) -> None:
        """Set the text with the cursor after it."""
        self.value = text
        self.cursor_position = len(text)


class PromptArea(TextArea):
    """The Playground's multi-line prompt."""


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
