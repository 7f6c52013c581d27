"""Dialogs for job and tuned-model actions beyond yes/no: renaming a tuned model."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import Length
from textual.widgets import Button, Input, Static

MAX_DISPLAY_NAME = 40  # the API's limit on a tuned model's display name


class RenameDialog(ModalScreen[str | None]):
    """Ask for a new display name; dismisses with it, or None when cancelled."""

    CSS_PATH = "monitor_dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="rename.cancel")]

    def __init__(self, current: str, name_of_model: str) -> None:
        super().__init__()
        self._current = current
        self._model = name_of_model

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Rename {self._model}", classes="dialog-title", markup=False)
            yield Input(
                self._current,
                placeholder="display name",
                max_length=MAX_DISPLAY_NAME,
                validators=[Length(minimum=1, failure_description="A display name cannot be empty.")],
                id="rename-input",
            )
            yield Static(f"At most {MAX_DISPLAY_NAME} characters.", id="rename-error", classes="muted")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Rename (enter)", id="rename-ok", variant="primary")
                yield Button("Cancel (esc)", id="rename-cancel")

    def on_mount(self) -> None:
        field = self.query_one("#rename-input", Input)
        field.focus()

    @on(Input.Submitted, "#rename-input")
    @on(Button.Pressed, "#rename-ok")
    def _submit(self, event) -> None:
        event.stop()
        value = self.query_one("#rename-input", Input).value.strip()
        if not value:
            error = self.query_one("#rename-error", Static)
            error.update("A display name cannot be empty.")
            error.set_class(True, "error-text")
            return
        self.dismiss(value)

    @on(Button.Pressed, "#rename-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
