"""One prompt's answers from every checkpoint, side by side.

A cell per checkpoint, labelled with its epoch, step and eval loss: as many columns as
fit (one per checkpoint on a wide terminal), stacked one above the other on a narrow one.
A cell waits, then shows the checkpoint's answer or the error that stopped it; one
failing checkpoint does not hide the others' answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.events import Resize
from textual.widgets import Static

MIN_COLUMN_WIDTH = 26  # a column is at least this wide
STACK_BELOW = 60  # a comparison narrower than this stacks its cells (the Playground at 80×24)
WAITING = "waiting for the checkpoint…"


class ComparisonCell(Vertical):
    """One checkpoint's label and answer (or error)."""

    def __init__(self, label: str, answer: str | None = None, failed: bool = False) -> None:
        super().__init__(classes="cell")
        self.label = label
        self.answer, self.failed = answer, failed

    def compose(self) -> ComposeResult:
        yield Static(self.label, classes="cell-label", markup=False)
        if self.answer is None:
            yield Static(WAITING, classes="cell-answer pending", markup=False)
        else:
            classes = "cell-answer failed" if self.failed else "cell-answer"
            yield Static(self.answer or "(empty answer)", classes=classes, markup=False)

    def show(self, text: str, failed: bool = False) -> None:
        self.answer, self.failed = text, failed
        body = self.query_one(".cell-answer", Static)
        body.update(text or "(empty answer)")
        body.remove_class("pending")
        body.set_class(failed, "failed")


class Comparison(Vertical):
    """A prompt sent to every checkpoint, and a cell per checkpoint for its answer."""

    DEFAULT_CSS = """
    Comparison {
        height: auto;
    }
    Comparison > .prompt {
        color: $text-accent;
        margin-top: 1;
    }
    Comparison > Grid {
        height: auto;
        grid-rows: auto;
        grid-gutter: 0 1;
        padding-left: 2;
    }
    Comparison .cell {
        height: auto;
        border: round $panel;
        padding: 0 1;
    }
    Comparison .cell-label {
        color: $text-accent;
        text-style: bold;
    }
    Comparison .pending {
        color: $text-muted;
    }
    Comparison .failed {
        color: $text-error;
    }
    Comparison.-stacked .cell {
        border: none;
        padding: 0;
    }
    Comparison.-stacked .cell-answer {
        padding-left: 2;
    }
    """

    def __init__(self, prompt: str, labels: Sequence[str], results: Sequence[tuple[str, bool]] = ()) -> None:
        """`results`: (answer or error, failed) per label, for a comparison read back from history."""
        super().__init__(classes="comparison")
        self.prompt = prompt
        self.labels = list(labels)
        self.results = list(results)

    def compose(self) -> ComposeResult:
        noun = "checkpoint" if len(self.labels) == 1 else f"{len(self.labels)} checkpoints"
        yield Static(f"› {self.prompt}  [to {noun}]", classes="prompt", markup=False)
        with Grid():
            for i, label in enumerate(self.labels):
                yield ComparisonCell(label, *(self.results[i] if i < len(self.results) else (None, False)))

    def on_resize(self, event: Resize) -> None:
        self._fit(event.size.width)

    def on_mount(self) -> None:
        self._fit(self.size.width)

    def _fit(self, width: int) -> None:
        """As many columns as fit at MIN_COLUMN_WIDTH, at most one per checkpoint; one when narrow."""
        if not width:
            return
        columns = 1 if width < STACK_BELOW else max(1, min(len(self.labels), width // MIN_COLUMN_WIDTH))
        grid = self.query_one(Grid)
        if grid.styles.grid_size_columns != columns:
            grid.styles.grid_size_columns = columns
        self.set_class(columns == 1, "-stacked")

    @property
    def cells(self) -> list[ComparisonCell]:
        return list(self.query(ComparisonCell).results(ComparisonCell))

    def show(self, index: int, text: str, failed: bool = False) -> None:
        """The answer (or error, with `failed`) of the checkpoint at `index`."""
        self.cells[index].show(text, failed)

    @property
    def answers(self) -> list[str | None]:
        """Each cell's answer or error, None while it waits (tests read them)."""
        return [cell.answer for cell in self.cells]

    @property
    def columns(self) -> int:
        return self.query_one(Grid).styles.grid_size_columns
