"""`tunedeck try`: one prompt to a model, held first to the format of the dataset it was tuned on.

The Playground's check: a prompt that lacks the dataset's preamble or markers, or orders the
markers differently, is not sent (exit 3) unless `--force` is given; the findings go to
stderr, or into the JSON error object with `--json`. A job tuned with its preamble as the
system instruction gets that instruction with the prompt, as in training (the prompt then
leaves the preamble out).
"""

from __future__ import annotations

import asyncio
import json

from tui.commands.reporting import EXIT_OK, EXIT_REFUSED, fail, note


async def try_prompt(args, manager, model: str, target: str | None = None) -> int:
    """Check the prompt against `model`'s dataset, send it to `target` (default: `model`), print the answer."""
    target = target or model
    job = manager.job(model)
    system = job.system_instruction if job is not None else None
    findings = await format_findings(manager, model, args.prompt, args, system)
    if findings and not args.force:
        return fail(
            args,
            f"not sent: the prompt does not follow the format {model} was tuned on: "
            + "; ".join(f.message for f in findings),
            EXIT_REFUSED,
            kind="prompt-format",
            hint="; ".join(f.hint for f in findings if f.hint) + "; `--force` sends it anyway",
            findings=[{"rule": f.rule, "message": f.message, "hint": f.hint} for f in findings],
        )
    for finding in findings:
        note(args, f"sent anyway: {finding.message}")
    if system and not args.json:
        note(args, f"sent with the system instruction {model} was tuned with: {system!r}")
    answer = await manager.generate(target, args.prompt, args.temperature, args.max_output_tokens, system)
    if args.json:
        shown = {"model": model, "target": target, "prompt": args.prompt, "system_instruction": system, "text": answer}
        print(json.dumps(shown, indent=2, ensure_ascii=False))
    else:
        print(answer)
    return EXIT_OK


async def format_findings(manager, model: str, prompt: str, args, system_instruction: str | None = None) -> list:
    """Warnings for `prompt` against the preamble and markers of the dataset `model` was tuned on."""
    job = manager.job(model)
    if job is None or not job.dataset_path:
        if model.startswith("tunedModels/"):
            note(args, f"the dataset {model} was tuned on is not known here, so the prompt's format was not checked")
        return []
    path = job.dataset_path

    def profile():
        from tui.datasets import lint, open_dataset

        return lint(open_dataset(path)).profile

    try:
        found = await asyncio.to_thread(profile)
    except Exception as exc:  # noqa: BLE001 - an unreadable dataset only skips the check
        note(args, f"could not read {path} to check the prompt's format ({exc})")
        return []
    return found.check_prompt(prompt, system_instruction)
