"""The playground transcript: a tuned model's recent prompts and answers, newest at the bottom.

An answer from one checkpoint says which; a prompt sent to every checkpoint shows their
answers side by side (`Comparison`).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.widgets.checkpoint_comparison import Comparison

if TYPE_CHECKING:
    from tui.jobs.playground_history import Exchange

EMPTY = "No prompts yet. Type one below and press ctrl+s (ctrl+r asks every checkpoint)."


class Transcript(VerticalScroll):
    """Prompts and answers as blocks; a placeholder while an answer is on its way."""

    DEFAULT_CSS = """
    Transcript {
        height: 1fr;
        padding: 0 1;
    }
    Transcript > .prompt {
        color: $text-accent;
        margin-top: 1;
    }
    Transcript > .target {
        color: $text-muted;
        padding-left: 2;
    }
    Transcript > .answer {
        padding-left: 2;
    }
    Transcript > .pending {
        color: $text-muted;
        padding-left: 2;
    }
    Transcript > .failed {
        color: $text-error;
        padding-left: 2;
    }
    Transcript > .empty {
        color: $text-muted;
    }
    """

    def show(self, exchanges: Sequence[Exchange]) -> None:
        """Replace the transcript with these exchanges (oldest first)."""
        self.remove_children()
        if not exchanges:
            self.mount(Static(EMPTY, classes="empty"))
            return
        for key, group in groupby(exchanges, key=lambda e: e.comparison or id(e)):
            entry = list(group)
            if isinstance(key, str):
                self.mount(Comparison(entry[0].prompt, [e.target or "?" for e in entry],
                                      [(e.answer, e.failed) for e in entry]))
            else:
                self.mount_all(self._blocks(entry[0]))
        self.scroll_end(animate=False)

    def waiting(self, prompt: str, target: str | None = None) -> None:
        """Show a sent prompt (to a checkpoint, when `target` names one) and that the answer is coming."""
        self.query(".empty").remove()
        self.mount(Static(f"› {prompt}", classes="prompt", markup=False))
        if target:
            self.mount(Static(f"checkpoint {target}:", classes="target", markup=False))
        self.mount(Static("waiting for the model…", classes="pending"))
        self.scroll_end(animate=False)

    async def comparing(self, prompt: str, labels: Sequence[str]) -> Comparison:
        """Show a prompt sent to every checkpoint, a waiting cell for each; returns the block to fill."""
        self.query(".empty").remove()
        block = Comparison(prompt, labels)
        await self.mount(block)
        self.scroll_to_widget(block, top=True, animate=False)  # the prompt stays in view as the answers grow
        return block

    def answered(self, exchange: Exchange) -> None:
        pending = self.query_children(".pending")
        if pending:
            pending.last().remove()
        self.mount(Static(exchange.answer or "(empty answer)", classes="answer", markup=False))
        self.scroll_end(animate=False)

    def failed(self, message: str) -> None:
        pending = self.query_children(".pending")
        if pending:
            pending.last().remove()
        self.mount(Static(message, classes="failed", markup=False))
        self.scroll_end(animate=False)

    @staticmethod
    def _blocks(exchange: Exchange) -> list[Static]:
        blocks = [Static(f"› {exchange.prompt}", classes="prompt", markup=False)]
        if exchange.target:
            blocks.append(Static(f"checkpoint {exchange.target}:", classes="target", markup=False))
        blocks.append(Static(exchange.answer or "(empty answer)", classes="answer", markup=False))
        return blocks

    @property
    def answers(self) -> list[str]:
        """The answer texts shown outside comparisons (tests read them)."""
        return [str(block.content) for block in self.query(".answer").results(Static)]

    @property
    def comparisons(self) -> list[Comparison]:
        return list(self.query(Comparison).results(Comparison))
