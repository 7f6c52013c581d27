"""Screenshot scenes for the second half of the app: monitor, compare, playground, models.

Each scene is `async def name(app, pilot) -> str`: it drives the running app and returns
the file stem its screenshot is saved under. The first scene launches two jobs on the
number-increment sample (two learning rates) and waits for both to finish, so the monitor
shows finished curves; the others build on them.
"""

from __future__ import annotations

import time
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "tui" / "samples"
RUNS = (("increment lr 0.001", 0.001), ("increment lr 0.003", 0.003))
PREAMBLE = "Classify the support ticket as billing, shipping, technical or account."
_launched: list[str] = []
_tickets: list[str] = []


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.settle()
    await pilot.pause()


async def wait_until(pilot, predicate, timeout: float = 180.0, what: str = "the jobs") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        await pilot.pause(0.2)


async def monitor_finished_curve(app, pilot) -> str:
    """Two finished jobs; the first one's curve, advice and summary."""
    from tui.models import Hyperparameters, JobSpec

    for title, rate in RUNS:
        spec = JobSpec(
            display_name=title, hyperparameters=Hyperparameters(epoch_count=6, batch_size=4, learning_rate=rate)
        )
        job = await app.manager.launch(spec, SAMPLES / "number-increment.jsonl")
        _launched.append(job.name)
    tickets = JobSpec(display_name="support tickets", hyperparameters=Hyperparameters(epoch_count=4, batch_size=8))
    _tickets.append((await app.manager.launch(tickets, SAMPLES / "classification.jsonl")).name)
    jobs = [*_launched, *_tickets]
    await wait_until(pilot, lambda: all(app.manager.job(name).state.finished for name in jobs))
    await app.open_job(_launched[0])
    await settle(app, pilot)
    return "monitor"


async def compare_two_jobs(app, pilot) -> str:
    """Both jobs marked and compared."""
    screen = app.screen
    screen.select_job(_launched[0])
    await pilot.press("space")
    screen.select_job(_launched[1])
    await pilot.press("space", "c")
    await settle(app, pilot)
    return "compare"


async def playground_answer(app, pilot) -> str:
    """The ticket classifier answering prompts in its training format, then a prompt that
    drops the preamble and the `ticket:` marker, flagged before it is sent."""
    await pilot.press("escape")
    await settle(app, pilot)
    await app.try_model(_tickets[0])
    await settle(app, pilot)
    screen = app.screen
    await wait_until(pilot, lambda: "ticket:" in str(screen.query_one("#format-note").render()), 30, "the format check")
    for ticket in ("I was charged twice for my order this month.", "The app crashes when I open settings."):
        screen.query_one("#prompt").text = f"{PREAMBLE}\nticket: {ticket}"
        answers = screen.answers
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda answers=answers: screen.answers > answers, timeout=30, what="an answer")
        await settle(app, pilot)
    screen.query_one("#prompt").text = "where is my parcel?"
    await pilot.pause(0.5)
    await settle(app, pilot)
    return "playground"


async def models_library(app, pilot) -> str:
    """The tuned-model library."""
    await pilot.press("escape", "5")
    await settle(app, pilot)
    return "models"


SCENES = [monitor_finished_curve, compare_two_jobs, playground_answer, models_library]
