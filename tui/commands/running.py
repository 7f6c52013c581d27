"""What every job and model command shares: running a command with its errors reported the
way it was asked (`handler`), opening a job manager for one command, naming jobs as typed."""

from __future__ import annotations

import asyncio
import json
import sys

from tui.commands.reporting import EXIT_BACKEND, EXIT_HISTORY, EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_USAGE, fail, note

CHOICES = ("protocol", "server", "project", "location", "bucket")  # global options that pick where to tune


def handler(command):
    def run(args) -> int:
        from tui.config import ConfigError, load_settings
        from tui.jobs.errors import BackendError, ErrorKind, LaunchRefused
        from tui.jobs.history import HistoryError

        try:
            settings = load_settings(data_dir=args.data_dir, backend=args.backend,
                                     **{key: getattr(args, key, None) for key in CHOICES})
            return asyncio.run(command(args, settings))
        except ConfigError as exc:
            return fail(args, str(exc), EXIT_USAGE, kind="config")
        except LaunchRefused as exc:
            return fail(
                args,
                f"not launched: {exc}",
                EXIT_REFUSED,
                kind="dataset-errors",
                hint="`--force` submits anyway, leaving out the records with errors",
            )
        except BackendError as exc:
            code = EXIT_NOT_FOUND if exc.kind is ErrorKind.NOT_FOUND else EXIT_BACKEND
            if getattr(args, "json", False):
                steps = exc.as_json() if hasattr(exc, "as_json") else {}  # a delete that stopped at a step
                return fail(args, exc.message, code, hint=exc.next_step, kind=str(exc.kind), status=exc.status,
                            **steps)
            return fail(args, str(exc), code)
        except HistoryError as exc:
            return fail(args, exc.message, EXIT_HISTORY, hint=exc.fix, kind="history", path=exc.path)
        except DatasetProblem as exc:
            return fail(args, str(exc), EXIT_USAGE, kind="unreadable-dataset")
        except KeyboardInterrupt:
            if getattr(args, "watch", False) or getattr(args, "action", None) == "watch":
                job_id = getattr(args, "watched", None) or getattr(args, "id", "ID")
                print(
                    f"\nstopped watching; the job keeps training (`tunedeck jobs watch {job_id}` to follow it again)",
                    file=sys.stderr,
                )
            return 130

    return run


class DatasetProblem(Exception):
    """The dataset could not be read at all."""


def dump(value) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def full_name(job_id: str) -> str:
    return job_id if job_id.startswith("tunedModels/") else f"tunedModels/{job_id}"


def resolve(manager, job_id: str) -> str:
    """A job's full name from what was typed: a full name, or an id (a tuned model id, a Vertex job's number)."""
    if "/" in job_id:
        return job_id
    for job in manager.jobs:
        if job.id == job_id:
            return job.name
    place = getattr(manager.backend, "place", None)  # Vertex: projects/P/locations/L/tuningJobs/ID
    return f"{place.parent}/tuningJobs/{job_id}" if place is not None else full_name(job_id)


async def known(manager, job_id: str) -> str:
    """`resolve`, after listing the backend when the job is not in local history."""
    name = resolve(manager, job_id)
    if manager.job(name) is None:
        await manager.refresh()
        name = resolve(manager, job_id)
    return name


async def open_manager(settings, args=None):
    """A manager for one command; a history file that cannot be used is said once, and memory stands in."""
    from tui.jobs.service import open_manager as open_jobs

    manager = await open_jobs(settings, background=False)
    if manager.history_problem is not None and args is not None:
        note(args, f"{manager.history_problem}; showing what the backend knows")
    return manager
