"""Headless job commands: `tune`, `jobs`, `try` and `doctor`.

Exit codes: 0 success; 1 the watched job did not succeed, or doctor found a problem;
2 bad usage or configuration; 3 the dataset has errors, so nothing was submitted;
4 the backend failed (unreachable, refused credentials, rate limited...); 5 no such job;
130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

EXIT_OK, EXIT_JOB_FAILED, EXIT_USAGE, EXIT_REFUSED, EXIT_BACKEND, EXIT_NOT_FOUND = 0, 1, 2, 3, 4, 5
FORMATS = ["jsonl", "json", "csv", "tsv", "vertex", "chat"]
EXIT_CODES = (
    "exit codes: 0 success; 1 the job did not end ACTIVE, or a doctor check failed; 2 bad usage, configuration "
    "or unreadable dataset; 3 the dataset has errors, nothing submitted; 4 the backend failed; 5 no such job; 130 interrupted"
)


def register(subparsers) -> None:
    """Add this module's subcommands to the `tunedeck` parser."""
    tune = subparsers.add_parser("tune", epilog=EXIT_CODES, help="lint a dataset and launch a tuning job", description="Lint DATASET and launch a tuning job on the active backend.")
    tune.add_argument("dataset", type=Path, help="training examples (JSONL, JSON, CSV, TSV, Vertex or chat JSONL)")
    tune.add_argument("--format", choices=FORMATS, help="dataset format (default: detected)")
    tune.add_argument("--base-model", help="base model to tune (default: models/gemini-1.5-flash-001-tuning)")
    tune.add_argument("--display-name", default="", help="name shown for the tuned model (at most 40 characters)")
    tune.add_argument("--description", default="", help="free-text description of the tuned model")
    tune.add_argument("--epochs", type=int, help="passes over the dataset (default 5)")
    tune.add_argument("--batch-size", type=int, help="examples per update (default 4)")
    rate = tune.add_mutually_exclusive_group()
    rate.add_argument("--learning-rate", type=float, help="learning rate (default 0.001)")
    rate.add_argument("--learning-rate-multiplier", type=float, help="scale the base model's default learning rate")
    tune.add_argument("--force", action="store_true", help="launch even when the dataset has errors")
    tune.add_argument("--watch", action="store_true", help="follow the job until it finishes, then suggest an epoch count")
    tune.add_argument("--json", action="store_true", help="print JSON (with --watch: one event per line)")
    tune.set_defaults(handler=_handler(_tune))

    jobs = subparsers.add_parser("jobs", epilog=EXIT_CODES, help="list, show, watch, cancel, delete or rename tuning jobs", description="Tuning jobs on the active backend and in local history.")
    jobs.add_argument("--json", action="store_true", help="print JSON")
    actions = jobs.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="all jobs, newest first (the default)")
    listing.add_argument("--all", action="store_true", help="include deleted jobs from history")
    for action, text in (("show", "everything known about a job"), ("watch", "follow a job until it finishes"), ("cancel", "cancel a training job"), ("delete", "delete a tuned model")):
        sub = actions.add_parser(action, help=text)
        sub.add_argument("id", help="tuned model id (with or without tunedModels/)")
    rename = actions.add_parser("rename", help="change a tuned model's display name")
    rename.add_argument("id")
    rename.add_argument("display_name")
    for sub in actions.choices.values():
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    jobs.set_defaults(handler=_handler(_jobs))

    try_ = subparsers.add_parser("try", epilog=EXIT_CODES, help="send a prompt to a model", description="Send PROMPT to MODEL (a tuned model id or models/NAME) and print the answer.")
    try_.add_argument("model")
    try_.add_argument("prompt")
    try_.add_argument("--temperature", type=float)
    try_.add_argument("--max-output-tokens", type=int)
    try_.add_argument("--json", action="store_true", help="print JSON")
    try_.set_defaults(handler=_handler(_try))

    doctor = subparsers.add_parser("doctor", epilog=EXIT_CODES, help="check credentials, the backend and tunable base models")
    doctor.add_argument("--json", action="store_true", help="print JSON")
    doctor.set_defaults(handler=_handler(_doctor))


def _handler(command):
    def run(args) -> int:
        from tui.config import ConfigError, load_settings
        from tui.jobs.errors import BackendError, ErrorKind, LaunchRefused

        try:
            settings = load_settings(data_dir=args.data_dir, backend=args.backend)
            return asyncio.run(command(args, settings))
        except ConfigError as exc:
            return _fail(f"tunedeck: {exc}", EXIT_USAGE)
        except LaunchRefused as exc:
            return _fail(f"tunedeck: not launched: {exc}\n(`--force` submits anyway, leaving unreadable records out)", EXIT_REFUSED)
        except BackendError as exc:
            return _fail(f"tunedeck: {exc}", EXIT_NOT_FOUND if exc.kind is ErrorKind.NOT_FOUND else EXIT_BACKEND)
        except _DatasetProblem as exc:
            return _fail(f"tunedeck: {exc}", EXIT_USAGE)
        except KeyboardInterrupt:
            if getattr(args, "watch", False) or getattr(args, "action", None) == "watch":
                job_id = getattr(args, "watched", None) or getattr(args, "id", "ID")
                print(f"\nstopped watching; the job keeps training (`tunedeck jobs watch {job_id}` to follow it again)", file=sys.stderr)
            return 130

    return run


class _DatasetProblem(Exception):
    """The dataset could not be read at all."""


def _fail(message: str, code: int) -> int:
    print(message, file=sys.stderr)
    return code


def _dump(value) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _job_json(job) -> dict:
    from tui.jobs.curve import suggest_epochs

    data = job.model_dump(mode="json")
    data["id"], data["progress"] = job.id, job.progress
    advice = suggest_epochs(job.loss_curve, job.hyperparameters.epoch_count)
    data["advice"] = {"epochs": advice.epochs, "best_epoch": advice.best_epoch, "plateau_epoch": advice.plateau_epoch, "reason": advice.reason}
    return data


def _full_name(job_id: str) -> str:
    return job_id if job_id.startswith("tunedModels/") else f"tunedModels/{job_id}"


async def _open(settings):
    from tui.jobs.service import open_manager

    return await open_manager(settings, background=False)


async def _tune(args, settings) -> int:
    from pydantic import ValidationError

    from tui.models import DEFAULT_BASE_MODEL, Hyperparameters, JobSpec

    if not args.dataset.is_file():
        return _fail(f"tunedeck: {args.dataset}: no such file", EXIT_USAGE)
    try:
        given = {"epoch_count": args.epochs, "batch_size": args.batch_size, "learning_rate": args.learning_rate, "learning_rate_multiplier": args.learning_rate_multiplier}
        spec = JobSpec(
            display_name=args.display_name,
            description=args.description,
            base_model=args.base_model or DEFAULT_BASE_MODEL,
            hyperparameters=Hyperparameters(**{k: v for k, v in given.items() if v is not None}),
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors())
        return _fail(f"tunedeck: invalid job settings: {problems}", EXIT_USAGE)
    manager = await _open(settings)
    try:
        from tui.datasets import DatasetError

        try:
            job = await manager.launch(spec, args.dataset, format=args.format, force=args.force, on_lint=lambda report: _note_warnings(report, args.dataset))
        except DatasetError as exc:
            raise _DatasetProblem(f"{exc} — {exc.hint}" if exc.hint else str(exc)) from exc
        except OSError as exc:
            raise _DatasetProblem(f"{args.dataset}: {exc.strerror or exc}") from exc
        args.watched = job.id
        if not args.json:
            print(f"launched {job.name} on {manager.backend_description}: {job.dataset_examples} examples, {job.total_steps} steps")
        elif not args.watch:
            _dump(_job_json(job))
        if not args.watch:
            return EXIT_OK
        return await _follow(manager, job.name, args.json)
    finally:
        await manager.close()


def _note_warnings(report, path) -> None:
    """One line on stderr about lint warnings, which do not stop a launch."""
    warnings = int(report.counts.get("warning", 0))
    if warnings and not report.has_errors:
        worst = sorted(((n, rule) for rule, n in report.rule_counts.items()
                        if any(f.rule == rule and f.severity == "warning" for f in report.findings)), reverse=True)[:3]
        rules = ", ".join(f"{rule} ×{n}" for n, rule in worst)
        print(f"note: {warnings} lint warning(s) ({rules}); see `tunedeck validate {path}`", file=sys.stderr)


async def _follow(manager, name: str, as_json: bool) -> int:
    """Print progress until the job finishes; the exit code says whether it succeeded."""
    from tui.jobs import events as ev
    from tui.jobs import text
    from tui.jobs.curve import suggest_epochs
    from tui.models import JobState

    subscription = manager.events()
    manager.watch(name)
    job = manager.job(name)
    live = sys.stdout.isatty() and not as_json and not job.state.finished
    if job.state.finished:
        subscription.close()
        if as_json:
            print(json.dumps(_event_json(ev.JobFinished(job)), ensure_ascii=False))
    elif not as_json:
        print(text.progress_line(job), end="\r" if live else "\n", flush=True)
    last_line = ""
    async for event in subscription:
        if getattr(event, "job", None) is not None and event.job.name != name:
            continue
        if getattr(event, "job_name", None) not in (None, name):
            continue
        if as_json:
            print(json.dumps(_event_json(event), ensure_ascii=False), flush=True)
        elif isinstance(event, ev.BackendFailed):
            print(f"\n{event.error} (retrying)" if live else f"{event.error} (retrying)", file=sys.stderr, flush=True)
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
            print("advice:", suggest_epochs(job.loss_curve, job.hyperparameters.epoch_count).reason)
    return EXIT_OK if job.state is JobState.ACTIVE else EXIT_JOB_FAILED


def _event_json(event) -> dict:
    data: dict = {"event": type(event).__name__}
    if getattr(event, "job", None) is not None:
        data.update(job=event.job.name, state=str(event.job.state), completed_steps=event.job.completed_steps, total_steps=event.job.total_steps, latest_loss=event.job.latest_loss)
    if getattr(event, "curves", None):
        data["curves"] = {name: [p.model_dump(mode="json") for p in points] for name, points in event.curves.items()}
    if getattr(event, "error", None) is not None:
        data.update(error=str(event.error), kind=str(event.error.kind), status=event.error.status)
    return data


async def _jobs(args, settings) -> int:
    from tui.jobs import text
    from tui.jobs.errors import BackendError, ErrorKind

    action = args.action or "list"
    manager = await _open(settings)
    try:
        if action == "list":
            status = EXIT_OK
            try:
                await manager.refresh()
            except BackendError as exc:  # still show what history knows
                print(f"tunedeck: {exc}\nshowing the last known state from local history", file=sys.stderr)
                status = EXIT_BACKEND
            jobs = manager.jobs
            if getattr(args, "all", False):
                seen = {job.name for job in jobs}
                jobs = jobs + [j for j in manager.history.load(manager.backend.name, include_deleted=True) if j.name not in seen]
            if args.json:
                _dump([_job_json(job) for job in jobs])
            elif jobs:
                print(text.table(jobs))
            else:
                print(f"no jobs on {manager.backend_description}; launch one with `tunedeck tune DATASET`")
            return status
        name = _full_name(args.id)
        if manager.job(name) is None:
            await manager.refresh()
        if action == "show":
            status = EXIT_OK
            try:
                await manager.refresh(name)
            except BackendError as exc:
                if exc.kind is ErrorKind.NOT_FOUND or manager.job(name) is None:
                    raise
                print(f"tunedeck: {exc}\nshowing the last known state from local history", file=sys.stderr)
                status = EXIT_BACKEND
            job = manager.job(name)
            _dump(_job_json(job)) if args.json else print(text.details(job))
            return status
        elif action == "watch":
            return await _follow(manager, name, args.json)
        elif action == "cancel":
            job = await manager.cancel(name)
            _dump(_job_json(job)) if args.json else print(f"cancelled {job.name}; {text.outcome(job).split('; ', 1)[1]}")
        elif action == "delete":
            await manager.delete(name)
            _dump({"deleted": name}) if args.json else print(f"deleted {name}")
        elif action == "rename":
            job = await manager.rename(name, args.display_name)
            _dump(_job_json(job)) if args.json else print(f"renamed {job.name} to {job.display_name!r}")
        return EXIT_OK
    finally:
        await manager.close()


async def _try(args, settings) -> int:
    model = args.model if "/" in args.model else _full_name(args.model)
    manager = await _open(settings)
    try:
        answer = await manager.generate(model, args.prompt, args.temperature, args.max_output_tokens)
    finally:
        await manager.close()
    _dump({"model": model, "prompt": args.prompt, "text": answer}) if args.json else print(answer)
    return EXIT_OK


async def _doctor(args, settings) -> int:
    from tui.config import BackendKind
    from tui.jobs.errors import BackendError

    why = "chosen explicitly" if settings.backend else ("an API key was found" if settings.api_key else "no API key was found")
    report = {
        "backend": settings.active_backend.value,
        "backend_reason": why,
        "api_key": settings.masked_key,
        "api_key_source": settings.api_key_source,
        "data_dir": str(settings.data_dir),
        "history": str(settings.history_path),
    }
    checks: list[tuple[str, bool, str]] = []
    if settings.active_backend is BackendKind.GEMINI:
        checks.append(("credentials", bool(settings.api_key), f"API key {settings.masked_key} from {settings.api_key_source}" if settings.api_key else "no API key: set GEMINI_API_KEY or GOOGLE_API_KEY"))
    try:
        manager = await _open(settings)
    except BackendError as exc:
        checks.append(("backend", False, str(exc)))
    else:
        try:
            report["backend_description"] = manager.backend_description
            if manager.emulator is not None:
                report["emulator"] = {"url": manager.emulator.url, "pid": manager.emulator.pid, "data_dir": str(manager.emulator.data_dir)}
            health = await manager.check()
            checks.append(("reachable", health.reachable, health.message))
            if health.reachable:
                tunable = bool(health.base_models)
                detail = ", ".join(m.name for m in health.base_models) or "none: no model lists createTunedModel (the live Gemini API has offered none since May 2025; use --backend local)"
                checks.append(("tunable base model", tunable, detail))
        finally:
            await manager.close()
    report["checks"] = [{"check": name, "ok": ok, "detail": detail} for name, ok, detail in checks]
    if args.json:
        _dump(report)
    else:
        print(f"backend      {report['backend']} ({why})")
        print(f"api key      {report['api_key']}" + (f" from {settings.api_key_source}" if settings.api_key_source else ""))
        print(f"data dir     {report['data_dir']}")
        if "emulator" in report:
            print(f"emulator     {report['emulator']['url']} (pid {report['emulator']['pid']}); stop it with `tunedeck emulator stop`")
        for name, ok, detail in checks:
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    return EXIT_OK if all(ok for _, ok, _ in checks) else EXIT_JOB_FAILED
