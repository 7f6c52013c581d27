"""Dialogs for job and tuned-model actions beyond a one-line yes/no: renaming a tuned model, and
confirming an action whose consequences take several paragraphs (a Vertex AI cancel, a delete
that takes endpoints with it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui.jobs.library import MAX_DISPLAY_NAME, display_name_problem
from tui.screens.dialogs import ConfirmDialog


class RenameDialog(ModalScreen[str | None]):
    """Ask for a new display name; dismisses with it, or None when cancelled.

    The field takes every key (nothing is swallowed at the limit); a counter shows the
    length against the limit, and a name that does not fit is marked and not accepted.
    """

    CSS_PATH = "monitor_dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="rename.cancel")]

    def __init__(self, current: str, name_of_model: str, limit: int = MAX_DISPLAY_NAME) -> None:
        super().__init__()
        self._current = current
        self._model = name_of_model
        self._limit = limit

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Rename {self._model}", classes="dialog-title", markup=False)
            yield Input(self._current, placeholder="display name", id="rename-input")
            yield Static("", id="rename-error", classes="muted", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Rename (enter)", id="rename-ok", variant="primary")
                yield Button("Cancel (esc)", id="rename-cancel")

    def on_mount(self) -> None:
        self._show(self._current, insist=False)
        self.query_one("#rename-input", Input).focus()

    def _show(self, value: str, insist: bool) -> str | None:
        """Update the counter line; returns the problem with `value` (an empty name is marked only on submit)."""
        problem = display_name_problem(value, self._limit)
        marked = problem is not None and (insist or len(value) > self._limit)
        line = self.query_one("#rename-error", Static)
        count = f"{len(value)}/{self._limit} characters"
        line.update(f"{problem} ({count})" if marked else f"{count} (at most {self._limit} fit).")
        line.set_class(marked, "error-text")
        self.query_one("#rename-input", Input).set_class(marked, "-invalid")
        return problem

    @on(Input.Changed, "#rename-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._show(event.value, insist=False)

    @on(Input.Submitted, "#rename-input")
    @on(Button.Pressed, "#rename-ok")
    def _submit(self, event) -> None:
        event.stop()
        value = self.query_one("#rename-input", Input).value.strip()
        if self._show(value, insist=True) is None:
            self.dismiss(value)

    @on(Button.Pressed, "#rename-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


FRAME_ROWS = 10  # the details dialog's title, buttons, padding and border


class DetailsDialog(ConfirmDialog):
    """A yes/no question whose consequences are several paragraphs (scrolled when tall);
    dismisses with True when confirmed. Answers "No" unless the user chooses otherwise."""

    CSS_PATH = "monitor_dialogs.tcss"

    def __init__(self, question: str, paragraphs: Sequence[str], *, confirm_label: str = "Yes") -> None:
        super().__init__(question, confirm_label=confirm_label, danger=True)
        self._paragraphs = list(paragraphs)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog details-dialog"):
            yield Static(self._question, classes="dialog-title", markup=False)
            with VerticalScroll(classes="details-body"):
                for paragraph in self._paragraphs:
                    yield Static(paragraph, classes="details-paragraph", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self._confirm_label} (y)", id="confirm-yes", variant="error")
                yield Button("No (n)", id="confirm-no")

    def on_resize(self) -> None:
        """The body takes what the screen leaves: 90% of its height less the title, buttons and frame."""
        body = self.query_one(".details-body", VerticalScroll)
        body.styles.max_height = max(3, int(self.size.height * 0.9) - FRAME_ROWS)
