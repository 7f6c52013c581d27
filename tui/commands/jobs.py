"""Headless job commands: `tune`, `jobs`, `try` and `doctor`.

Exit codes (see `tui.commands.reporting`): 0 success; 1 the watched job did not succeed,
or doctor found a problem; 2 bad usage or configuration; 3 nothing sent: the dataset has
errors, or the prompt does not follow the training format; 4 the backend failed; 5 no
such job; 6 the history database is locked, damaged or full; 130 interrupted. With
`--json`, failures are a JSON error object on stdout.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.commands.follow import follow, job_json
from tui.commands.reporting import (
    EXIT_BACKEND,
    EXIT_CODES,
    EXIT_HISTORY,
    EXIT_OK,
    EXIT_USAGE,
    fail,
    note,
    setting_problem,
)
from tui.commands.running import DatasetProblem as _DatasetProblem
from tui.commands.running import dump as _dump
from tui.commands.running import handler as _handler
from tui.commands.running import known as _known
from tui.commands.running import open_manager as _open

FORMATS = ["jsonl", "json", "csv", "tsv", "vertex", "chat"]


def register(subparsers) -> None:
    """Add this module's subcommands to the `tunedeck` parser."""
    tune = subparsers.add_parser(
        "tune",
        epilog=EXIT_CODES,
        help="lint a dataset and launch a tuning job",
        description="Lint DATASET and launch a tuning job on the active backend.",
    )
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
    tune.add_argument("--adapter-size", type=int, choices=[1, 2, 4, 8, 16, 32],
                      help="Vertex AI: LoRA adapter size (the sizes the base model accepts)")
    held_out = tune.add_mutually_exclusive_group()
    held_out.add_argument("--validation", type=Path, metavar="FILE",
                          help="Vertex AI: validation examples (any format tunedeck reads)")
    held_out.add_argument("--validation-split", type=float, metavar="F",
                          help="Vertex AI: keep this share of the dataset for validation "
                               "(e.g. 0.1; stratified by label for classification)")
    tune.add_argument("--split-seed", type=int, default=0, help="seed of --validation-split (same seed, same split)")
    tune.add_argument("--system-instruction", action="store_true",
                      help="Vertex AI: send the dataset's shared preamble as systemInstruction")
    tune.add_argument("--export-last-checkpoint-only", action="store_true",
                      help="Vertex AI: keep only the last checkpoint")
    tune.add_argument("--label", action="append", default=[], metavar="KEY=VALUE",
                      help="Vertex AI: a label on the job (repeatable)")
    tune.add_argument("--force", action="store_true", help="launch even when the dataset has errors")
    tune.add_argument(
        "--watch", action="store_true", help="follow the job until it finishes, then suggest an epoch count"
    )
    tune.add_argument("--json", action="store_true", help="print JSON (with --watch: one event per line)")
    tune.set_defaults(handler=_handler(_tune))

    jobs = subparsers.add_parser(
        "jobs",
        epilog=EXIT_CODES,
        help="list, show, watch, cancel, delete or rename tuning jobs",
        description="Tuning jobs on the active backend and in local history.",
    )
    jobs.add_argument("--json", action="store_true", help="print JSON")
    actions = jobs.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="all jobs, newest first (the default)")
    listing.add_argument("--all", action="store_true", help="include deleted jobs from history")
    for action, text in (
        ("show", "everything known about a job"),
        ("watch", "follow a job until it finishes"),
        ("cancel", "cancel a training job"),
        ("delete", "delete a tuned model"),
    ):
        sub = actions.add_parser(action, help=text)
        sub.add_argument("id", help="job id: a tuned model id (with or without tunedModels/), a Vertex tuning job "
                                    "name or its number")
    rename = actions.add_parser("rename", help="change a tuned model's display name")
    rename.add_argument("id")
    rename.add_argument("display_name")
    for sub in actions.choices.values():
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    jobs.set_defaults(handler=_handler(_jobs))

    try_ = subparsers.add_parser(
        "try",
        epilog=EXIT_CODES,
        help="send a prompt to a model",
        description="Send PROMPT to MODEL (a job id, an endpoint or models/NAME) and print the answer.",
    )
    try_.add_argument("model", help="a job id (its tuned model or endpoint), an endpoint or model name")
    try_.add_argument("prompt")
    try_.add_argument("--checkpoint", metavar="ID",
                      help="Vertex AI: call this checkpoint of the job instead of the final model")
    try_.add_argument("--temperature", type=float)
    try_.add_argument("--max-output-tokens", type=int)
    try_.add_argument(
        "--force",
        action="store_true",
        help="send even when the prompt does not follow the format of the dataset the model was tuned on",
    )
    try_.add_argument("--json", action="store_true", help="print JSON")
    try_.set_defaults(handler=_handler(_try))

    doctor = subparsers.add_parser(
        "doctor", epilog=EXIT_CODES, help="check credentials, the backend and tunable base models"
    )
    doctor.add_argument("--json", action="store_true", help="print JSON")
    doctor.set_defaults(handler=_handler(_doctor))


async def _tune(args, settings) -> int:
    from pydantic import ValidationError

    from tui.jobs import text
    from tui.jobs.history import HistoryError
    from tui.jobs.vertex.backend import DEFAULT_BASE_MODEL as VERTEX_BASE_MODEL
    from tui.models import DEFAULT_BASE_MODEL, Hyperparameters, JobSpec, ValidationChoice

    if not args.dataset.is_file():
        return fail(args, f"{args.dataset}: no such file", EXIT_USAGE, hint="check the path", kind="unreadable-dataset")
    manager = await _open(settings)
    vertex = manager.backend.capabilities.protocol == "vertex"
    try:
        labels = dict(item.split("=", 1) for item in args.label if "=" in item)
        if len(labels) != len(args.label):
            raise ValueError("a --label is KEY=VALUE")
        given = {"epoch_count": args.epochs, "batch_size": args.batch_size, "learning_rate": args.learning_rate,
                 "learning_rate_multiplier": args.learning_rate_multiplier, "adapter_size": args.adapter_size}
        validation = None
        if args.validation is not None or args.validation_split is not None:
            validation = ValidationChoice(path=str(args.validation) if args.validation else None,
                                          split=args.validation_split, seed=args.split_seed)
        spec = JobSpec(
            display_name=args.display_name,
            description=args.description,
            base_model=args.base_model or (VERTEX_BASE_MODEL if vertex else DEFAULT_BASE_MODEL),
            hyperparameters=Hyperparameters(**{k: v for k, v in given.items() if v is not None}),
            validation=validation, labels=labels, export_last_checkpoint_only=args.export_last_checkpoint_only,
            system_instruction_from_preamble=args.system_instruction,
        )
    except (ValidationError, ValueError) as exc:
        await manager.close()
        errors = exc.errors() if isinstance(exc, ValidationError) else None
        problems = "; ".join(setting_problem(dict(e)) for e in errors) if errors else str(exc)
        return fail(args, f"invalid job settings: {problems}", EXIT_USAGE, hint="see `tunedeck tune --help`",
                    kind="usage")
    unsupported = _unsupported(manager.backend.capabilities, spec)
    if unsupported:
        await manager.close()
        return fail(args, f"{manager.backend_description} does not take {unsupported}", EXIT_USAGE, kind="usage",
                    hint="leave it out, or choose the other protocol with --protocol")
    try:
        try:  # a job created now must be recorded: refuse while the history cannot take it
            if manager.history_problem is not None:
                raise manager.history_problem
            manager.history.check_writable()
        except HistoryError as exc:
            return fail(args, f"not launched: {exc.message}", EXIT_HISTORY, hint=exc.fix, kind="history", path=exc.path)
        from tui.datasets import DatasetError

        try:
            job = await manager.launch(spec, args.dataset, format=args.format, force=args.force,
                                       on_lint=lambda report: _note_warnings(report, args.dataset),
                                       progress=_upload_progress(args))
        except DatasetError as exc:
            raise _DatasetProblem(f"{exc} — {exc.hint}" if exc.hint else str(exc)) from exc
        except OSError as exc:
            raise _DatasetProblem(f"{args.dataset}: {exc.strerror or exc}") from exc
        args.watched = job.id
        unrecorded = manager.history_problem
        if unrecorded is not None:  # the job exists on the backend: never leave it unmentioned
            fail(
                args,
                f"launched {job.name}, but {unrecorded.message}",
                EXIT_HISTORY,
                kind="history",
                hint=f"follow the job with `tunedeck jobs watch {job.id}`; {unrecorded.fix}",
                path=unrecorded.path,
                job=job_json(job),
            )
            if not args.watch:
                return EXIT_HISTORY
        if not args.json:
            examples = f"{job.dataset_examples} example{'' if job.dataset_examples == 1 else 's'}"
            steps = f", {job.total_steps} steps" if job.total_steps else ""
            print(f"launched {job.name} on {manager.backend_description}: {examples}{steps}")
            for line in text.launch_notes(job, settings.training_price):
                print(line)
            if not args.watch:
                print(f"follow it with `tunedeck jobs watch {job.id}`")
        elif not args.watch and unrecorded is None:
            _dump(_with_billing(job, settings))
        if not args.watch:
            return EXIT_OK
        code = await follow(manager, job.name, args.json)
        return code if code or manager.history_problem is None else EXIT_HISTORY
    finally:
        await manager.close()


def _with_billing(job, settings) -> dict:
    """A job as `--json` prints it, with its billable tokens and, at the configured price, the cost
    (`billing`: estimated before the backend has read the dataset, exact after; null when unknown)."""
    from tui.jobs.estimate import estimate_json

    data = job_json(job)
    data["billing"] = estimate_json(job.data_stats, settings.training_price)
    return data


def _unsupported(capabilities, spec) -> str:
    """The settings the backend's protocol does not take, in words ('' when it takes them all)."""
    hp = spec.hyperparameters.model_dump(exclude_none=True)
    names = [name.replace("_", " ") for name in hp if not capabilities.takes(name)]
    if spec.validation is not None and not capabilities.validation_set:
        names.append("a validation set")
    return ", ".join(names)


def _upload_progress(args):
    """Upload progress on stderr (`uploading 12.0/48.3 MB`), at most a few times a second; nothing with --json.
    A dataset already in the bucket says so (`already uploaded`)."""
    import time

    from tui.jobs.upload import UploadState

    if args.json:
        return None
    live = sys.stderr.isatty()
    last = [0.0]
    state = UploadState()

    def report(done: int, total: int) -> None:
        state.record(done, total)
        now = time.monotonic()
        if done < total and now - last[0] < 0.25:
            return
        last[0] = now
        if done < total:
            line = f"uploading {done / 1e6:.1f}/{total / 1e6:.1f} MB"
        elif state.sending:
            line = f"uploaded {total / 1e6:.1f} MB"
        else:
            line = f"already uploaded ({total / 1e6:.1f} MB in the bucket): nothing sent"
        print(("\r" + line + "\x1b[K") if live else line, end="" if live and done < total else "\n",
              file=sys.stderr, flush=True)

    return report


def _note_warnings(report, path) -> None:
    """One line on stderr about lint warnings, which do not stop a launch."""
    warnings = int(report.counts.get("warning", 0))
    if warnings and not report.has_errors:
        worst = sorted(
            (
                (n, rule)
                for rule, n in report.rule_counts.items()
                if any(f.rule == rule and f.severity == "warning" for f in report.findings)
            ),
            reverse=True,
        )[:3]
        rules = ", ".join(f"{rule} ×{n}" for n, rule in worst)
        print(
            f"note: {warnings} lint warning{'' if warnings == 1 else 's'} ({rules}); see `tunedeck validate {path}`",
            file=sys.stderr,
        )


async def _jobs(args, settings) -> int:
    from tui.jobs import text
    from tui.jobs.errors import BackendError, ErrorKind

    action = args.action or "list"
    manager = await _open(settings, args)
    try:
        if action == "list":
            status = EXIT_OK
            try:
                await manager.refresh()
            except BackendError as exc:  # still show what history knows
                note(args, f"{exc}\nshowing the last known state from local history")
                status = EXIT_BACKEND
            jobs = manager.jobs
            if getattr(args, "all", False):
                seen = {job.name for job in jobs}
                jobs = jobs + [
                    j for j in manager.history.load(manager.backend.name, include_deleted=True) if j.name not in seen
                ]
            if args.json:
                _dump([job_json(job) for job in jobs])
            elif jobs:
                print(text.table(jobs))
            else:
                print(f"no jobs on {manager.backend_description}; launch one with `tunedeck tune DATASET`")
            return status
        name = await _known(manager, args.id)
        if action == "show":
            status = EXIT_OK
            try:
                await manager.refresh(name)
            except BackendError as exc:
                if exc.kind is ErrorKind.NOT_FOUND or manager.job(name) is None:
                    raise
                note(args, f"{exc}\nshowing the last known state from local history")
                status = EXIT_BACKEND
            job = manager.job(name)
            _dump(_with_billing(job, settings)) if args.json else print(text.details(job, settings.training_price))
            return status
        elif action == "watch":
            return await follow(manager, name, args.json)
        elif action == "cancel":
            from tui.commands.cancelling import cancel

            return await cancel(args, manager, name)
        elif action == "delete":
            await manager.delete(name)
            _dump({"deleted": name}) if args.json else print(f"deleted {name}")
        elif action == "rename":
            job = await manager.rename(name, args.display_name)
            _dump(job_json(job)) if args.json else print(f"renamed {job.name} to {job.display_name!r}")
        return EXIT_OK
    finally:
        await manager.close()


async def _doctor(args, settings) -> int:
    from tui.commands.doctor import doctor

    return await doctor(args, settings, _open)


async def _try(args, settings) -> int:
    from tui.commands.trying import try_prompt

    manager = await _open(settings, args)
    try:
        model, target = await _target(manager, args)
        return await try_prompt(args, manager, model, target)
    finally:
        await manager.close()


async def _target(manager, args) -> tuple[str, str]:
    """(the job or model named, what to call): a job's endpoint (or its checkpoint's), else the name itself."""
    from tui.jobs.errors import BackendError, ErrorKind
    from tui.models import JobState

    job = None
    if "/" not in args.model or "/tuningJobs/" in args.model or args.model.startswith("tunedModels/"):
        name = await _known(manager, args.model)
        job = manager.job(name)
        if job is None and args.checkpoint is None and "/tuningJobs/" not in name:
            return name, name  # a tuned model not listed: the backend says whether it exists
        if job is None:
            raise BackendError(ErrorKind.NOT_FOUND, f"no job {args.model} on {manager.backend_description}",
                               "see `tunedeck jobs list` for the ids")
    if job is None:
        if args.checkpoint is not None:
            raise BackendError(ErrorKind.INVALID, "--checkpoint takes a job id, not an endpoint or model name",
                               "give the job's id (see `tunedeck jobs list`)")
        return args.model, args.model
    if args.checkpoint is not None:
        found = next((c for c in job.checkpoints if c.checkpoint_id == args.checkpoint), None)
        if found is None or not found.endpoint:
            have = ", ".join(c.checkpoint_id for c in job.checkpoints) or "none yet"
            raise BackendError(ErrorKind.NOT_FOUND, f"{job.name} has no checkpoint {args.checkpoint} "
                               f"(checkpoints: {have})", "see `tunedeck jobs show ID`")
        return job.name, found.endpoint
    if job.state is not JobState.ACTIVE and not job.endpoint:
        raise BackendError(ErrorKind.FAILED_PRECONDITION, f"{job.name} has no tuned model yet ({job.state_word})",
                           f"wait for it: `tunedeck jobs watch {job.id}`")
    return job.name, job.endpoint or job.name
