"""The playground's checkpoints: pick what answers, or ask every checkpoint at once.

A Vertex AI job saves a checkpoint per epoch, each callable at its own endpoint. The list
under the tuned models offers the tuned model and each checkpoint, labelled as the Monitor
labels them (`epoch 1 · step 20 · eval 0.412`). Compare (ctrl+r) sends the prompt to every
checkpoint, a few at a time, and shows the answers side by side as they come; a checkpoint
that fails shows its error in its own cell. The comparison is kept in the model's history.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import uuid4

from textual import on, work
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from tui.jobs.playground_history import Exchange, PlaygroundHistory
from tui.screens.base import AppScreen
from tui.screens.playground_format import MODEL_TARGET, Target, targets
from tui.widgets.playground_transcript import Transcript

if TYPE_CHECKING:
    from tui.jobs.manager import JobManager
    from tui.models import Job

MAX_AT_ONCE = 4  # checkpoints asked at the same time during a comparison


class PlaygroundCheckpoints(AppScreen[None]):
    """The part of the playground that knows checkpoints (the screen supplies the model and the prompt)."""

    _target = MODEL_TARGET  # the key of the Target prompts go to
    compared = 0  # comparisons finished (tests read it)

    @property
    def manager(self) -> JobManager | None:
        return self.app.manager

    @property
    def history(self) -> PlaygroundHistory:
        return PlaygroundHistory(Path(self.app.settings.data_dir) / "playground.sqlite3")

    @property
    def model_job(self) -> Job | None:
        """The selected tuned model (the screen knows which)."""
        raise NotImplementedError

    def _ready(self, key: str) -> tuple[Job, str, float | None, int | None] | None:
        """(model, prompt, temperature, max output tokens) when the prompt can be sent (the screen checks)."""
        raise NotImplementedError

    # -- what answers: the tuned model or a checkpoint -----------------------------------------

    def _fill_targets(self, job: Job | None) -> None:
        """List the tuned model and its checkpoints (hidden when it has none); keep the choice if it stays."""
        found = targets(job) if job is not None else []
        options = self.query_one("#checkpoint-list", OptionList)
        shown = [(t.key, t.title) for t in found]
        if shown != [(o.id, str(o.prompt)) for o in options.options]:
            options.clear_options()
            options.add_options([Option(title, id=key) for key, title in shown])
        if self._target not in {t.key for t in found}:
            self._target = MODEL_TARGET
        if options.option_count:
            options.highlighted = options.get_option_index(self._target)
        has_checkpoints = len(found) > 1
        if options.display != has_checkpoints:
            options.display = has_checkpoints
            self.query_one("#checkpoint-title", Static).display = has_checkpoints
            self.refresh_bindings()  # the checkpoint keys show only for a model that has checkpoints
        self._show_target()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("compare", "focus_checkpoints"):
            lists = self.query("#checkpoint-list")
            return bool(lists) and lists.first().display
        return super().check_action(action, parameters)

    @property
    def target(self) -> Target | None:
        """What the prompt goes to (None without a model)."""
        job = self.model_job
        return next((t for t in targets(job) if t.key == self._target), None) if job is not None else None

    def _show_target(self) -> None:
        target = self.target
        where = f" → checkpoint {target.label}" if target is not None and target.checkpoint else ""
        self.query_one("#prompt", TextArea).border_title = f"Prompt{where} (ctrl+s sends)"

    @on(OptionList.OptionHighlighted, "#checkpoint-list")
    def _target_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._target = event.option.id or MODEL_TARGET
        self._show_target()

    @on(OptionList.OptionSelected, "#checkpoint-list")
    def _target_selected(self) -> None:
        self.query_one("#prompt", TextArea).focus()

    def action_focus_checkpoints(self) -> None:
        options = self.query_one("#checkpoint-list", OptionList)
        if options.display:
            options.focus()
        else:
            self.notify("This model has no checkpoints (a Vertex AI job saves one per epoch).", severity="warning")

    # -- every checkpoint at once ----------------------------------------------------------------

    def action_compare(self) -> None:
        job = self.model_job
        checkpoints = [t for t in targets(job) if t.checkpoint] if job is not None else []
        if job is not None and not checkpoints:
            self.notify("This model has no checkpoints to compare (a Vertex AI job saves one per epoch).",
                        severity="warning")
            return
        ready = self._ready("ctrl+r")
        if ready is not None:
            self._compare(checkpoints, *ready)

    @work(group="playground-compare", exit_on_error=False)  # a second comparison runs beside the first
    async def _compare(
        self, checkpoints: list[Target], job: Job, prompt: str, temperature: float | None, max_tokens: int | None
    ) -> None:
        manager = self.manager
        if manager is None:
            return
        transcript = self.query_one(Transcript)
        block = await transcript.comparing(prompt, [t.title for t in checkpoints])
        self.query_one("#prompt", TextArea).clear()
        key = uuid4().hex
        gate = asyncio.Semaphore(MAX_AT_ONCE)

        async def ask(index: int, target: Target) -> Exchange:
            async with gate:
                try:
                    answer = await manager.generate(
                        target.endpoint, prompt, temperature, max_tokens, job.system_instruction
                    )
                    failed = False
                except Exception as exc:  # noqa: BLE001 - one checkpoint failing must not lose the others
                    answer, failed = f"No answer: {exc}", True
            if block.is_attached:  # the user may have moved to another model meanwhile
                block.show(index, answer, failed)
            return Exchange(job.name, prompt, answer, temperature, max_tokens, target=target.title,
                            comparison=key, failed=failed)

        exchanges = await asyncio.gather(*(ask(i, t) for i, t in enumerate(checkpoints)))
        self.compared += 1
        self._store_all(list(exchanges))

    @work(thread=True, group="playground-store", exit_on_error=False)
    def _store_all(self, exchanges: list[Exchange]) -> None:
        self.history.add_all(exchanges)
