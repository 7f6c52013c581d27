"""The app after its emulator dies: the header says so, a new emulator is started and named on
screen, and the header turns reachable again, without quitting."""

from __future__ import annotations

from dataclasses import replace

from tests.app.conftest import SIZE, settle
from tui.app import make_app
from tui.config import load_settings
from tui.emulator.process import find_running


async def wait_for(pilot, condition, rounds: int = 600) -> bool:
    """Let the app run until `condition()` holds (a bounded wait, not a timing assertion)."""
    for _ in range(rounds):
        if condition():
            return True
        await pilot.pause(0.1)
    return condition()


async def test_the_app_restarts_the_emulator_it_started_and_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("TUNEDECK_LOCAL_URL", raising=False)
    settings = replace(load_settings(env={}, data_dir=tmp_path / "data", config_dir=tmp_path / "config"),
                       emulator_step_delay=0.0)
    app = make_app(settings, None)  # no key, no URL: the app starts its own emulator
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            assert await wait_for(pilot, lambda: app.manager is not None and app.backend_reachable is True)
            first = app.manager.emulator
            assert first is not None and app.manager.link.started
            said: list[str] = []  # what the app tells the user (a notification goes after 10 s)
            notify = app.notify
            app.notify = lambda message, **kw: said.append(message) or notify(message, **kw)  # type: ignore[method-assign]
            first.kill()

            assert await wait_for(pilot, lambda: app.backend_reachable is False)
            assert "stopped" in app.sub_title and "✖" in app.sub_title
            assert "TUNEDECK_LOCAL_URL" not in app.sub_title and "emulator serve" not in app.sub_title

            assert await wait_for(pilot, lambda: app.backend_reachable is True)
            assert app.sub_title.startswith("●")
            assert app.manager.emulator.pid != first.pid
            assert any(f"pid {first.pid}) stopped" in m and "started a new one" in m for m in said)
            assert await app.refresh_jobs()  # ctrl+r works again
    finally:
        running = find_running(settings.emulator_dir)
        if running is not None:
            running.stop()
