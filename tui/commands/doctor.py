"""`tunedeck doctor`: which backend is active and why, the key (masked), whether it works, and
whether the job history file can be used."""

from __future__ import annotations

import json

from tui.commands.reporting import EXIT_JOB_FAILED, EXIT_OK


async def doctor(args, settings, open_manager) -> int:
    """Check credentials, reachability and tunable base models; print a report."""
    from tui.config import BackendKind

    why = (
        "chosen explicitly"
        if settings.backend
        else (settings.choice_reason or ("an API key was found" if settings.api_key else "no API key was found"))
    )
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
        checks.append(
            (
                "credentials",
                bool(settings.api_key),
                f"API key {settings.masked_key} from {settings.api_key_source}"
                if settings.api_key
                else "no API key: set GEMINI_API_KEY or GOOGLE_API_KEY",
            )
        )
    if settings.active_backend is BackendKind.VERTEX:
        checks += await vertex_checks(settings, report)
    if all(ok for _, ok, _ in checks):
        await _backend_checks(args, settings, open_manager, report, checks)
    return _print(args, settings, report, why, checks)


async def vertex_checks(settings, report: dict) -> list[tuple[str, bool, str]]:
    """Vertex AI on Google: credentials, token, project, location, permission, bucket, quota project."""
    import os

    from tui.jobs.vertex.doctor import run_checks

    found = await run_checks(os.environ, bucket=settings.bucket, project=settings.google_project,
                             location=settings.google_location, quota_project=settings.quota_project)
    report["vertex"] = [{"check": c.name, "ok": c.ok, "detail": c.detail, "fix": c.fix} for c in found]
    # a check that could not be verified (ok None) is shown with its fix, but does not fail the doctor
    return [(c.name, c.ok is not False, c.detail + (f" — {c.fix}" if c.fix else "")) for c in found]


async def _backend_checks(args, settings, open_manager, report: dict, checks: list[tuple[str, bool, str]]) -> None:
    from tui.jobs.errors import BackendError

    try:
        manager = await open_manager(settings, args)
    except BackendError as exc:
        checks.append(("backend", False, str(exc)))
    else:
        try:
            report["backend_description"] = manager.backend_description
            if manager.emulator is not None:
                report["emulator"] = {
                    "url": manager.emulator.url,
                    "pid": manager.emulator.pid,
                    "data_dir": str(manager.emulator.data_dir),
                }
            problem = manager.history_problem
            usable = f"{settings.history_path} is usable"
            checks.append(("history", problem is None, str(problem) if problem else usable))
            if manager.backend.capabilities.protocol == "vertex":  # Vertex lists no tunable models: list jobs
                try:
                    await manager.backend.list_jobs()
                    checks.append(("reachable", True, f"{manager.backend_description} answers"))
                except BackendError as exc:
                    checks.append(("reachable", False, str(exc)))
                return
            health = await manager.check()
            checks.append(("reachable", health.reachable, health.message))
            if health.reachable:
                tunable = bool(health.base_models)
                detail = (
                    ", ".join(m.name for m in health.base_models)
                    or "none: no model lists createTunedModel (the live Gemini API has offered none since May 2025; "
                    "use --backend local)"
                )
                checks.append(("tunable base model", tunable, detail))
        finally:
            await manager.close()


def _print(args, settings, report: dict, why: str, checks: list[tuple[str, bool, str]]) -> int:
    report["checks"] = [{"check": name, "ok": ok, "detail": detail} for name, ok, detail in checks]
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(f"backend      {report['backend']} ({why})")
        print(
            f"api key      {report['api_key']}"
            + (f" from {settings.api_key_source}" if settings.api_key_source else "")
        )
        print(f"data dir     {report['data_dir']}")
        if "emulator" in report:
            emulator = report["emulator"]
            print(f"emulator     {emulator['url']} (pid {emulator['pid']}); stop it with `tunedeck emulator stop`")
        for name, ok, detail in checks:
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    return EXIT_OK if all(ok for _, ok, _ in checks) else EXIT_JOB_FAILED
