"""Modal dialogs any screen may use: confirm an action, show an error with the next step,
pick a dataset file."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Static, TextArea


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True when confirmed."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, detail: str = "", *, confirm_label: str = "Yes", danger: bool = False) -> None:
        super().__init__()
        self._question = question
        self._detail = detail
        self._confirm_label = confirm_label
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._question, classes="dialog-title")
            if self._detail:
                yield Static(self._detail, classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    f"{self._confirm_label} (y)", id="confirm-yes", variant="error" if self._danger else "primary"
                )
                yield Button("No (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ErrorDialog(ModalScreen[None]):
    """Show what went wrong, where, and what to do next."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter", "close", "Close", id="error.close")]

    def __init__(self, title: str, message: str, next_step: str = "") -> None:
        super().__init__()
        self._title = title
        self._message = message
        self._next_step = next_step

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -error"):
            yield Static(self._title, classes="dialog-title")
            with VerticalScroll(classes="dialog-scroll"):
                yield Static(self._message, classes="dialog-body", markup=False)
                if self._next_step:
                    yield Static(f"Next: {self._next_step}", classes="dialog-next", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close (Esc)", id="error-close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#error-close", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


DATASET_SUFFIXES = {".jsonl", ".json", ".csv", ".tsv", ".ndjson"}


class OpenFileDialog(ModalScreen["Path | None"]):
    """Pick a dataset file in a directory tree; dismisses with the path or None."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="open-file.cancel"),
        Binding("backspace", "parent", "Parent folder", id="open-file.parent"),
    ]

    def __init__(self, start: Path) -> None:
        super().__init__()
        self._start = start if start.is_dir() else Path.cwd()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -browser"):
            yield Static("Open a dataset", classes="dialog-title")
            yield Static(str(self._start.resolve()), id="browser-root", classes="muted", markup=False)
            yield DatasetTree(self._start, id="browser-tree")
            yield Static("Enter opens · Backspace goes up · Esc cancels", classes="muted")

    def on_mount(self) -> None:
        self.query_one(DatasetTree).focus()

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(Path(event.path))

    def action_parent(self) -> None:
        tree = self.query_one(DatasetTree)
        parent = Path(tree.path).resolve().parent
        tree.path = parent
        self.query_one("#browser-root", Static).update(str(parent))

    def action_cancel(self) -> None:
        self.dismiss(None)


class DatasetTree(DirectoryTree):
    """A directory tree showing folders and dataset files only."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [
            path
            for path in paths
            if not path.name.startswith(".") and (path.is_dir() or path.suffix.lower() in DATASET_SUFFIXES)
        ]


class TextDialog(ModalScreen[None]):
    """Show a long read-only text (e.g. a request body) that can be scrolled and copied.

    With `expand` (a function giving the whole text), `e` replaces a shortened text with it.
    """

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="text.close"),
        Binding("e", "expand", "Show all", tooltip="Show the text in full", id="text.expand"),
    ]

    def __init__(
        self, title: str, text: str, language: str | None = None, expand: Callable[[], str] | None = None
    ) -> None:
        super().__init__()
        self._title = title
        self._text = text
        self._language = language
        self._expand = expand

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -text"):
            yield Static(self._title, classes="dialog-title")
            yield TextArea(
                self._text, read_only=True, language=self._language, id="dialog-text", show_line_numbers=False
            )
            keys = "Esc closes · e shows it all · " if self._expand is not None else "Esc closes · "
            yield Static(keys + "select text and ctrl+c copies", classes="muted", id="dialog-keys")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self._expand is not None if action == "expand" else True

    def action_expand(self) -> None:
        if self._expand is None:
            return
        text, self._expand = self._expand(), None
        self.query_one(TextArea).load_text(text)
        self.query_one("#dialog-keys", Static).update("Esc closes · select text and ctrl+c copies")
        self.refresh_bindings()

    def action_close(self) -> None:
        self.dismiss(None)
