"""The playground transcript: a tuned model's recent prompts and answers, newest at the bottom."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.containers import VerticalScroll
from textual.widgets import Static

if TYPE_CHECKING:
    from tui.jobs.playground_history import Exchange

EMPTY = "No prompts yet. Type one below and press ctrl+s."


class Transcript(VerticalScroll):
    """Prompts and answers as blocks; a placeholder while an answer is on its way."""

    DEFAULT_CSS = """
    Transcript {
        height: 1fr;
        padding: 0 1;
    }
    Transcript .prompt {
        color: $text-accent;
        margin-top: 1;
    }
    Transcript .answer {
        padding-left: 2;
    }
    Transcript .pending {
        color: $text-muted;
        padding-left: 2;
    }
    Transcript .failed {
        color: $text-error;
        padding-left: 2;
    }
    Transcript .empty {
        color: $text-muted;
    }
    """

    def show(self, exchanges: Sequence[Exchange]) -> None:
        """Replace the transcript with these exchanges (oldest first)."""
        self.remove_children()
        if not exchanges:
            self.mount(Static(EMPTY, classes="empty"))
            return
        for exchange in exchanges:
            self.mount_all(self._blocks(exchange.prompt, exchange.answer))
        self.scroll_end(animate=False)

    def waiting(self, prompt: str) -> None:
        """Show a sent prompt and that the answer is coming."""
        self.query(".empty").remove()
        self.mount(Static(f"› {prompt}", classes="prompt", markup=False))
        self.mount(Static("waiting for the model…", classes="pending"))
        self.scroll_end(animate=False)

    def answered(self, exchange: Exchange) -> None:
        pending = self.query(".pending")
        if pending:
            pending.last().remove()
        self.mount(Static(exchange.answer or "(empty answer)", classes="answer", markup=False))
        self.scroll_end(animate=False)

    def failed(self, message: str) -> None:
        pending = self.query(".pending")
        if pending:
            pending.last().remove()
        self.mount(Static(message, classes="failed", markup=False))
        self.scroll_end(animate=False)

    @staticmethod
    def _blocks(prompt: str, answer: str) -> list[Static]:
        return [
            Static(f"› {prompt}", classes="prompt", markup=False),
            Static(answer or "(empty answer)", classes="answer", markup=False),
        ]

    @property
    def answers(self) -> list[str]:
        """The answer texts shown (tests read them)."""
        return [str(block.content) for block in self.query(".answer").results(Static)]
