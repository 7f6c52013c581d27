"""Deleting a tuned model from a backend's Model Registry (Vertex AI), from Models or the Monitor.

Plan first (the model and the endpoints serving it), show exactly what goes and ask, then
delete step by step. Progress shows in `status` as the steps are done; a step that fails
stops the delete, and the error says what was done, what failed and what is left (in
`status`, flagged as an error: the screen keeps it in view).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.screen import Screen

from tui.jobs.library import DeletionFailed, DeletionStep, ModelRegistry
from tui.screens.monitor_dialogs import DetailsDialog


async def delete_with_confirmation(screen: Screen, registry: ModelRegistry, name: str, title: str,
                                   status: Callable[[str, bool], None]) -> bool:
    """Plan, ask, delete (inside a worker: it waits for the dialog). True when the model is gone."""
    status(f"Looking up what serves {title}…", False)
    plan = await registry.plan_delete(name)
    status("", False)
    confirmed = await screen.app.push_screen_wait(
        DetailsDialog(f"Delete {title}?", plan.what_goes(), confirm_label="Delete"))
    if not confirmed:
        return False
    total = len(plan.steps)
    done: list[DeletionStep] = []

    def step_done(step: DeletionStep) -> None:
        done.append(step)
        status(f"Deleting {title}: {len(done)} of {total} steps done ({step.words('it')}).", False)

    try:
        await registry.delete(plan, step_done)
    except DeletionFailed as exc:
        status(f"Not fully deleted: {exc}", True)
        return False
    gone = len(plan.endpoints)
    said = f"Deleted {title}" + (f" and {gone} endpoint{'s' if gone != 1 else ''}." if gone else ".")
    status(said, False)
    screen.notify(said)
    return True
