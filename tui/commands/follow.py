"""Following a job from the shell: a progress line (or JSON events) until it ends, then the advice.

Used by `tune --watch` and `jobs watch`. A backend failure is said once per outage, not once
per retry; a local emulator that moved or was restarted, and a history file that failed,
are said on stderr; the follow ends when the job does, whatever happened to them.
"""

from __future__ import annotations

import json
import sys

from tui.commands.reporting import EXIT_JOB_FAILED, EXIT_OK


def job_json(job) -> dict:
    """A job as the `--json` commands print it: its fields, id, progress and the epoch advice."""
    from tui.jobs.curve import suggest_epochs
    from tui.models import EVAL_LOSS

    data = job.model_dump(mode="json")
    data["id"], data["progress"] = job.id, job.progress
    advice = suggest_epochs(job.loss_curve, job.hyperparameters.epoch_count, job.curve(EVAL_LOSS))
    data["advice"] = {
        "epochs": advice.epochs,
        "best_epoch": advice.best_epoch,
        "plateau_epoch": advice.plateau_epoch,
        "reason": advice.reason,
    }
    return data


def event_json(event) -> dict:
    """One job event as a JSON object (`--watch --json` prints one a line)."""
    data: dict = {"event": type(event).__name__}
    job = getattr(event, "job", None)
    if job is not None:
        data.update(
            job=job.name,
            state=str(job.state),
            completed_steps=job.completed_steps,
            total_steps=job.total_steps,
            latest_loss=job.latest_loss,
        )
    if getattr(event, "curves", None):
        data["curves"] = {name: [p.model_dump(mode="json") for p in points] for name, points in event.curves.items()}
    if getattr(event, "message", None):
        data["message"] = event.message
    if getattr(event, "error", None) is not None:
        data.update(error=str(event.error), kind=str(event.error.kind), status=getattr(event.error, "status", None))
    return data


def _about_another_job(event, name: str) -> bool:
    job = getattr(event, "job", None)
    return (job is not None and job.name != name) or getattr(event, "job_name", None) not in (None, name)


async def follow(manager, name: str, as_json: bool) -> int:
    """Print progress until the job finishes; the exit code says whether it succeeded."""
    from tui.jobs import events as ev
    from tui.jobs import text
    from tui.jobs.curve import suggest_epochs
    from tui.models import EVAL_LOSS, JobState

    subscription = manager.events()
    manager.watch(name)
    job = manager.job(name)
    live = sys.stdout.isatty() and not as_json and not job.state.finished
    if job.state.finished:
        subscription.close()
        if as_json:
            print(json.dumps(event_json(ev.JobFinished(job)), ensure_ascii=False))
    elif not as_json:
        print(text.progress_line(job), end="\r" if live else "\n", flush=True)

    def say(line: str) -> None:
        print(("\n" if live else "") + line, file=sys.stderr, flush=True)

    last_line = last_failure = ""
    async for event in subscription:
        if _about_another_job(event, name):
            continue
        if as_json:
            print(json.dumps(event_json(event), ensure_ascii=False), flush=True)
        elif isinstance(event, ev.HistoryFailed):
            say(f"note: {event.error}; following the job in memory")
        elif isinstance(event, ev.BackendMoved):
            say(f"note: {event.message}")
        elif isinstance(event, ev.BackendFailed):
            failure = f"{event.error} (retrying)"
            if failure != last_failure:  # once per outage, not once per retry
                say(failure)
            last_failure = failure
        elif isinstance(event, ev.BackendRecovered):
            last_failure = ""
        elif hasattr(event, "job"):
            line = text.progress_line(event.job)
            if line != last_line:
                print(("\r" + line + "\x1b[K") if live else line, end="" if live else "\n", flush=True)
                last_line = line
        if isinstance(event, ev.JobFinished):
            job = event.job
            break
    subscription.close()
    if live:
        print()
    if not as_json:
        print(text.outcome(job))
        if job.state is not JobState.DELETED:
            advice = suggest_epochs(job.loss_curve, job.hyperparameters.epoch_count, job.curve(EVAL_LOSS))
            print("advice:", advice.reason)
    return EXIT_OK if job.state is JobState.ACTIVE else EXIT_JOB_FAILED
