"""Playground and Models flows on the real app, manager and emulator."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.monitor.conftest import SIZE, finished, launch, settle, wait_for
from tui.app import make_app
from tui.jobs.playground_history import KEEP_PER_MODEL, Exchange, PlaygroundHistory
from tui.models import Job, JobState
from tui.screens.dialogs import ConfirmDialog
from tui.screens.monitor import MonitorScreen
from tui.screens.monitor_dialogs import RenameDialog
from tui.screens.playground import PlaygroundScreen
from tui.screens.playground_format import model_note
from tui.widgets.playground_transcript import Transcript


def test_history_keeps_the_newest_exchanges_per_model(tmp_path):
    history = PlaygroundHistory(tmp_path / "playground.sqlite3")
    for i in range(KEEP_PER_MODEL + 5):
        history.add(Exchange("tunedModels/a", f"prompt {i}", f"answer {i}", 0.5, 64))
    history.add(Exchange("tunedModels/b", "other", "model"))
    kept = history.recent("tunedModels/a")
    assert [e.prompt for e in kept] == [f"prompt {i}" for i in range(5, KEEP_PER_MODEL + 5)]
    assert kept[-1].temperature == 0.5 and kept[-1].max_output_tokens == 64
    assert isinstance(kept[-1].created, datetime) and kept[-1].created.tzinfo is UTC
    assert history.clear("tunedModels/a") == KEEP_PER_MODEL
    assert history.recent("tunedModels/a") == []
    assert [e.answer for e in history.recent("tunedModels/b")] == ["model"]


def test_model_note_says_what_to_expect():
    assert model_note(Job(name="tunedModels/x", state=JobState.ACTIVE)) == ("Ready.", True)
    text, usable = model_note(Job(name="tunedModels/x", state=JobState.CANCELLED))
    assert usable and "unpredictable" in text
    text, usable = model_note(Job(name="tunedModels/x", state=JobState.FAILED, error="out of memory"))
    assert not usable and "out of memory" in text
    text, usable = model_note(Job(name="tunedModels/x", state=JobState.CREATING, total_steps=10, completed_steps=4))
    assert not usable and "40%" in text


async def type_prompt(app, pilot, text: str) -> None:
    area = app.screen.query_one("#prompt")
    area.focus()
    area.text = text
    await pilot.pause(0.4)  # the format check runs shortly after typing stops
    await settle(app, pilot)


async def test_try_the_model_checks_the_format_and_keeps_history(settings, manager):
    job = await finished(
        manager, (await launch(manager, "tickets", sample="classification.jsonl", epochs=2, batch=16)).name
    )
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await settle(app, pilot)
        app.screen.select_job(job.name)
        await pilot.press("t")  # from the monitor: try this model
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, PlaygroundScreen) and screen.model_job.name == job.name
        # A Gemini API model has no checkpoints: no list to pick from, no comparison key.
        assert not screen.query_one("#checkpoint-list").display and not screen.query_one("#system-note").display
        assert "Compare checkpoints" not in [command.title for command in app.get_system_commands(screen)]
        await wait_for(
            pilot, lambda: "ticket:" in str(screen.query_one("#format-note").render()), what="the dataset's format"
        )

        # A prompt without the preamble and the marker is flagged, and the first send is held back.
        await type_prompt(app, pilot, "my parcel never arrived")
        check = str(screen.query_one("#prompt-check").render())
        assert "preamble" in check and "ticket:" in check
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert screen.answers == 0

        # The same prompt in the training format passes the check and gets an answer.
        preamble = "Classify the support ticket as billing, shipping, technical or account."
        await type_prompt(app, pilot, f"{preamble}\nticket: My parcel never arrived and tracking shows nothing.")
        assert str(screen.query_one("#prompt-check").render()).strip() == ""
        screen.query_one("#temperature").value = "0.2"
        screen.query_one("#max-tokens").value = "32"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.answers == 1, what="the answer")
        await settle(app, pilot)
        transcript = screen.query_one(Transcript)
        assert len(transcript.answers) == 1 and transcript.answers[0].strip()
        stored = PlaygroundHistory(settings.data_dir / "playground.sqlite3").recent(job.name)
        assert [e.answer for e in stored] == transcript.answers
        assert stored[0].temperature == 0.2 and stored[0].max_output_tokens == 32

        # A bad setting is refused with a message, nothing is sent.
        screen.query_one("#temperature").value = "7"
        await type_prompt(app, pilot, f"{preamble}\nticket: I was charged twice.")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert screen.answers == 1

    # History survives a restart of the app.
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await app.try_model(job.name)
        await settle(app, pilot)
        await wait_for(pilot, lambda: len(app.screen.query_one(Transcript).answers) == 1, what="the saved history")


async def test_models_rename_open_try_and_delete(settings, manager):
    job = await finished(manager, (await launch(manager, "library")).name)
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await settle(app, pilot)
        table = app.screen.query_one("#models-table")
        assert job.name in table.rows
        row = table.get_row(job.name)
        assert row[0] == "library" and str(row[1]) == "ACTIVE" and row[2] == "yes" and row[5] == job.id
        table.move_cursor(row=table.get_row_index(job.name))

        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, RenameDialog)
        app.screen.query_one("#rename-input").value = ""
        await pilot.press("enter")  # empty: refused inline
        await settle(app, pilot)
        assert isinstance(app.screen, RenameDialog)
        await pilot.press(*"library v2", "enter")
        await wait_for(pilot, lambda: manager.job(job.name).display_name == "library v2", what="the rename")
        await settle(app, pilot)
        assert table.get_row(job.name)[0] == "library v2"

        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, MonitorScreen) and app.screen.selected_job.name == job.name
        await pilot.press("5", "t")
        await settle(app, pilot)
        assert isinstance(app.screen, PlaygroundScreen) and app.screen.model_job.name == job.name

        await pilot.press("escape", "5", "d")  # leave the prompt first: digits typed there are text
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await wait_for(pilot, lambda: manager.job(job.name) is None, what="the delete")
        await settle(app, pilot)
        assert job.name not in table.rows


async def test_refresh_now_finds_a_model_made_elsewhere(settings, manager, ui_emulator):
    """ctrl+r asks the backend at once: a tuned model created by another client appears."""
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await settle(app, pilot)
        client = ui_emulator.client()
        body = {
            "displayName": "made elsewhere",
            "baseModel": "models/gemini-1.5-flash-001-tuning",
            "tuningTask": {
                "hyperparameters": {"epochCount": 1, "batchSize": 4},
                "trainingData": {
                    "examples": {"examples": [{"textInput": str(i), "output": str(i + 1)} for i in range(20)]}
                },
            },
        }
        created = client._api_client.request("post", "tunedModels?tunedModelId=made-elsewhere", body)
        assert "made-elsewhere" in created.body
        assert manager.job("tunedModels/made-elsewhere") is None
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: manager.job("tunedModels/made-elsewhere") is not None, what="refreshed list")
        await settle(app, pilot)
        table = app.screen.query_one("DataTable")
        rows = " ".join(str(cell) for i in range(table.row_count) for cell in table.get_row_at(i))
        assert "made elsewhere" in rows


async def test_a_job_event_leaves_the_focus_where_the_user_put_it(settings, manager):
    """A job finishing elsewhere refills the model list; the field being typed in keeps the focus."""
    first = await finished(manager, (await launch(manager, "first", epochs=1)).name)
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await app.try_model(first.name)
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, PlaygroundScreen)
        temperature = screen.query_one("#temperature")
        temperature.focus()
        await settle(app, pilot)
        second = await launch(manager, "second", epochs=1)
        await wait_for(pilot, lambda: manager.job(second.name).state.finished, timeout=60, what="the second job")
        options = screen.query_one("#model-list")
        await wait_for(
            pilot,
            lambda: any(options.get_option_at_index(i).id == second.name for i in range(options.option_count)),
            what="the list refilled",
        )
        await settle(app, pilot)
        assert app.focused is temperature
        assert screen.model_job.name == first.name  # and the model shown is still the one picked
