"""`tunedeck jobs cancel`: ask the backend to cancel a job, and say what that means.

On the Gemini API the tuning guide's warning follows the result. On Vertex AI the output
says that the cancel is best effort (the job may still finish), what is known about the
bill, and what remains and where (`tui.jobs.cancel_notice`); with `--json` the same under
`"cancel"`, beside the job.
"""

from __future__ import annotations

from typing import Any

from tui.commands.follow import job_json
from tui.commands.reporting import EXIT_OK
from tui.commands.running import dump
from tui.jobs.cancel_notice import cancel_notice_for


def price_of(manager: Any) -> float | None:
    """The user's price per million training tokens, when the settings carry one."""
    return manager.settings.training_price


async def cancel(args: Any, manager: Any, name: str) -> int:
    from tui.jobs import text

    job = await manager.cancel(name)
    notice = cancel_notice_for(job, price_of(manager))
    if args.json:
        dump({**job_json(job), "cancel": notice.as_json()} if notice is not None else job_json(job))
    elif notice is None:
        print(f"cancelled {job.name}; {text.outcome(job).split('; ', 1)[1]}")
    else:
        print(f"cancel requested for {job.name}")
        for line in notice.lines():
            print(line)
    return EXIT_OK
