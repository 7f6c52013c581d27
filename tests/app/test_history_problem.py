"""The app on a damaged history file: it opens, lists the backend's jobs, and says which file is
damaged and what to do, in a notification (not a traceback)."""

from __future__ import annotations

from tests.app.conftest import SIZE, settle
from tests.app.test_emulator_recovery import wait_for
from tui.app import make_app


async def test_a_damaged_history_is_named_with_the_fix(settings):
    path = settings.history_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a SQLite database" * 200)
    app = make_app(settings, None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert await wait_for(pilot, lambda: app.manager is not None and app.backend_reachable is True)
        said = [n.message for n in app._notifications]
        assert any(str(path) in m and "damaged" in m and f"mv {path}" in m for m in said), said
        assert app.manager.history_problem is not None
        assert await app.refresh_jobs()  # the backend's jobs are still listed
