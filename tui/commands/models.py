"""`tunedeck models list|rename|delete`: the tuned-model library, headless.

`list` shows each tuned model with its base model, the endpoints serving it, when it was
made and the job it came from. `rename ID NAME` changes its display name. `delete ID`
says exactly what goes (the model and the endpoints serving it), asks (or takes `--yes`),
then deletes step by step: on Vertex AI undeploy, delete the endpoints, delete the model. A
step that fails stops the delete; the error says what was done, what failed and what is
left (with `--json` as `done`, `failed`, `not_done`). IDs: a model's name or id, or the
job it came from (its name or id).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tui.commands.reporting import EXIT_CODES, EXIT_OK, EXIT_USAGE, fail
from tui.commands.running import dump, handler, known, open_manager


def register(subparsers) -> None:
    models = subparsers.add_parser(
        "models",
        epilog=EXIT_CODES,
        help="list, rename or delete tuned models (with the endpoints serving them)",
        description="Tuned models on the active backend: on Vertex AI the Model Registry's, with their endpoints.",
    )
    models.add_argument("--json", action="store_true", help="print JSON")
    actions = models.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", help="every tuned model, newest first (the default)")
    rename = actions.add_parser("rename", help="change a tuned model's display name")
    rename.add_argument("id", help="the model's name or id, or its job's")
    rename.add_argument("display_name")
    delete = actions.add_parser("delete", help="delete a tuned model and the endpoints serving it (asks first)")
    delete.add_argument("id", help="the model's name or id, or its job's")
    delete.add_argument("--yes", action="store_true", help="do not ask (needed without a terminal, and with --json)")
    for sub in actions.choices.values():
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    models.set_defaults(handler=handler(_models))


def table(models: list[Any]) -> str:
    """One line per model: display name, id, base model, endpoints, created, the job's id."""
    rows = [("TUNED MODEL", "ID", "BASE MODEL", "ENDPOINTS", "CREATED (UTC)", "FROM JOB")]
    for model in models:
        endpoints = ", ".join(e.rsplit("/", 1)[-1] for e in model.endpoints) or "—"
        created = model.created.strftime("%Y-%m-%d %H:%M") if model.created else "—"
        job = model.job.rsplit("/", 1)[-1] if model.job else "—"
        rows.append((model.display_name or "—", model.id, model.base_model.removeprefix("models/") or "—",
                     endpoints, created, job))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


async def _models(args, settings) -> int:
    from tui.jobs.library import display_name_problem, find, list_models, registry_of

    action = args.action or "list"
    manager = await open_manager(settings, args)
    try:
        registry = registry_of(manager)
        if registry is None:  # the Gemini API: a tuned model is its job
            await manager.refresh()
        if action == "list":
            models = await list_models(manager)
            if args.json:
                dump([m.as_json() for m in models])
            elif models:
                print(table(models))
            else:
                print(f"no tuned models on {manager.backend_description}; launch a job with `tunedeck tune DATASET`")
            return EXIT_OK
        if action == "rename":
            problem = display_name_problem(args.display_name)
            if problem is not None:
                return fail(args, problem, EXIT_USAGE, hint="give a shorter name", kind="usage")
            if registry is None:
                job = await manager.rename(await known(manager, args.id), args.display_name)
                renamed = {"name": job.name, "display_name": job.display_name}
            else:
                name = args.id if "/" in args.id else find(await registry.list(), args.id).name
                renamed = (await registry.rename(name, args.display_name)).as_json()
            dump(renamed) if args.json else print(f"renamed {renamed['name']} to {renamed['display_name']!r}")
            return EXIT_OK
        return await _delete(args, manager, registry)
    finally:
        await manager.close()


async def _delete(args, manager, registry) -> int:
    from tui.jobs.library import find

    if registry is None:
        name = await known(manager, args.id)
        what = [f"This deletes the tuned model {name} with its learned parameters. This cannot be undone."]
        if not _confirmed(args, what, {"model": name}):
            return _not_confirmed(args, what, {"model": name})
        await manager.delete(name)
        dump({"deleted": name, "steps": [{"action": "delete-model", "resource": name}]}) if args.json else print(
            f"deleted {name}")
        return EXIT_OK
    if "/" in args.id:
        name = args.id
    else:  # through its job when known: the job names every endpoint made for the model
        found = find(await registry.list(), args.id)
        name = found.job or found.name
    plan = await registry.plan_delete(name)
    if not _confirmed(args, plan.what_goes(), plan.as_json()):
        return _not_confirmed(args, plan.what_goes(), plan.as_json())

    def said(step) -> None:
        if not args.json:
            print(f"  done: {step.words()}", flush=True)

    progress = await registry.delete(plan, said)
    if args.json:
        dump({"deleted": plan.model, **plan.as_json(),
              "already_gone": [s.as_json() for s in progress.already_gone]})
    else:
        print(f"deleted {plan.model}" + (f" and {len(plan.endpoints)} endpoint"
                                         f"{'s' if len(plan.endpoints) != 1 else ''}" if plan.endpoints else ""))
    return EXIT_OK


def _confirmed(args, what: list[str], plan: dict) -> bool:
    """--yes, or a 'y' typed at the terminal after reading what goes."""
    if args.yes:
        if not args.json:
            print("\n".join(what))
        return True
    if args.json or not sys.stdin.isatty():
        return False
    print("\n".join(what))
    try:
        answer = input("Delete? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _not_confirmed(args, what: list[str], plan: dict) -> int:
    if args.json or not sys.stdin.isatty():
        return fail(args, "not deleted: " + " ".join(what), EXIT_USAGE, kind="not-confirmed",
                    hint="add --yes to delete without being asked", plan=plan)
    print("not deleted")
    return EXIT_USAGE
