"""SVG snapshots of each screen state of the first half of the app, with deterministic data:
shipped samples, a committed broken file, a fresh emulator (its port masked in test mode).

Update after an intended change with `pytest tests/app/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import pytest
from pytest_textual_snapshot import SVGImageExtension

from tests.app.conftest import DATA, REPO, SIZE, open_form, open_path, open_sample, settle
from tui.app import make_app


async def datasets_start(app, pilot) -> None:
    pass


async def datasets_examples(app, pilot) -> None:
    await open_sample(app, pilot, "classification.jsonl")
    app.screen.query_one("#example-table").focus()
    await pilot.press("down", "down")


async def datasets_stats(app, pilot) -> None:
    await open_sample(app, pilot, "summarization.jsonl")
    await pilot.press("t")


async def datasets_broken_findings(app, pilot) -> None:
    await open_path(app, pilot, str((DATA / "broken.jsonl").relative_to(REPO)))
    await pilot.press("f")


async def configure_refused(app, pilot) -> None:
    await open_path(app, pilot, str((DATA / "broken.jsonl").relative_to(REPO)))
    await pilot.press("2")
    await settle(app, pilot)
    await pilot.press("escape")
    await app.screen.run_action("launch")


async def configure_invalid(app, pilot) -> None:
    await open_form(app, pilot)
    app.screen.query_one("#display_name").value = "increment-v1"
    app.screen.query_one("#epochs").value = "0"
    app.screen.query_one("#batch_size").value = "four"
    await settle(app, pilot)
    await pilot.press("escape")


async def configure_ready(app, pilot) -> None:
    await open_form(app, pilot)
    app.screen.query_one("#display_name").value = "increment-v1"
    app.screen.query_one("#epochs").value = "3"
    await settle(app, pilot)
    await pilot.press("escape")


async def keys_help(app, pilot) -> None:
    await pilot.press("question_mark")


STATES = [
    datasets_start,
    datasets_examples,
    datasets_stats,
    datasets_broken_findings,
    configure_refused,
    configure_invalid,
    configure_ready,
    keys_help,
]


@pytest.fixture
def svg_snapshot(snapshot):
    return snapshot.use_extension(SVGImageExtension)


@pytest.mark.parametrize("state", STATES, ids=[state.__name__ for state in STATES])
async def test_screen_state(state, manager, settings, svg_snapshot):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await state(app, pilot)
        await settle(app, pilot)
        assert app.export_screenshot() == svg_snapshot
