"""The main path through the app on a real emulator: open a sample, read its findings and
stats, open a broken file and see its errors, fill the job form, get invalid values
rejected, launch, and find the job in the manager and on the monitor."""

from __future__ import annotations

from textual.widgets import Button, Static

from tests.app.conftest import DATA, SIZE, open_form, open_path, open_sample, settle
from tui.app import make_app
from tui.models import JobState
from tui.widgets.dataset_panels import DatasetPanels


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_open_sample_lint_configure_launch(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.title == "tunedeck"
        assert "local emulator" in app.sub_title and "reachable" in app.sub_title

        # A sample: examples in the table, no errors, stats with the label split.
        await open_sample(app, pilot, "classification.jsonl")
        table = app.screen.query_one("#example-table")
        assert table.total == 200
        assert table.row_count <= 200  # one window, not the whole file
        assert "0 errors" in text_of(app, "#dataset-summary")
        await pilot.press("t")
        await settle(app, pilot)
        assert app.screen.query_one(DatasetPanels).active == "stats"
        stats = text_of(app, "#stats-text")
        assert "examples 200" in stats and "billing 50" in stats
        assert "Classify the support ticket" in text_of(app, "#stats-profile")
        assert app.screen.query("#stats-histogram")  # plotext histogram mounted

        # A broken file: its errors are listed with lines; Enter jumps to the example.
        await open_path(app, pilot, str((DATA / "broken.jsonl").relative_to(DATA.parents[2])))
        assert "3 errors" in text_of(app, "#dataset-summary")
        await pilot.press("f")
        await settle(app, pilot)
        findings = app.screen.query_one("#findings-table")
        rules = [findings.get_row_at(i)[2] for i in range(findings.row_count)]
        assert {"empty-output", "invalid-json", "missing-output"} <= set(rules)
        findings.move_cursor(row=rules.index("invalid-json"))
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.query_one(DatasetPanels).active == "examples"
        assert app.screen.query_one("#example-table").current_index == 2  # line 3 of the file
        assert "invalid JSON" in text_of(app, "#viewer-input")

        # Launch is refused while the dataset has errors.
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("escape", "ctrl+l")
        await settle(app, pilot)
        assert "Launch refused" in text_of(app, "#launch-status")
        assert manager.jobs == []

        # A clean sample, then invalid values are rejected field by field.
        await open_form(app, pilot)
        screen = app.screen
        screen.query_one("#display_name").value = "increment-test"
        screen.query_one("#epochs").value = "0"
        screen.query_one("#rate_value").value = "7"
        await settle(app, pilot)
        await pilot.press("escape", "ctrl+l")
        await settle(app, pilot)
        assert text_of(app, "#epochs-error") == "Epochs must be at least 1."
        assert text_of(app, "#rate_value-error") == "Learning rate must be at most 1."
        assert manager.jobs == []

        # Valid values: the steps are computed, then the job launches on the emulator.
        screen.query_one("#epochs").value = "2"
        screen.query_one("#rate_value").value = "0.002"
        await settle(app, pilot)
        examples = len(app.dataset.reader)
        assert f"{-(-examples * 2 // 4):,} in total" in text_of(app, "#configure-steps")
        await pilot.press("escape", "ctrl+l")
        await settle(app, pilot)

        jobs = manager.jobs
        assert len(jobs) == 1
        job = jobs[0]
        assert job.display_name == "increment-test"
        assert job.hyperparameters.epoch_count == 2
        assert job.hyperparameters.learning_rate == 0.002
        assert job.state in (JobState.PENDING, JobState.CREATING, JobState.ACTIVE)
        assert app.current_mode == "monitor"
        assert not screen.query_one("#launch", Button).disabled


async def test_call_preview_shows_the_exact_body(manager, settings):
    import json

    from textual.widgets import TextArea

    from tui.jobs.gemini import tuned_model_body

    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_form(app, pilot)
        app.screen.query_one("#epochs").value = "3"
        await settle(app, pilot)
        await pilot.press("escape", "ctrl+o")
        await settle(app, pilot)
        text = app.screen.query_one(TextArea).text
        assert "POST /v1beta/tunedModels" in text
        from tui.models import Hyperparameters, JobSpec

        spec = JobSpec(hyperparameters=Hyperparameters(epoch_count=3))
        examples = list(app.dataset.reader.iter_examples())
        # The first examples are listed; one line stands for the rest, and e shows them all.
        body = json.loads(text[text.index("{"):])
        listed = body["tuningTask"]["trainingData"]["examples"]["examples"]
        more = len(examples) - 20
        assert listed[-1] == f"… {more:,} more examples (e shows every example)"
        assert body["tuningTask"]["trainingData"]["examples"]["examples"][:-1] == tuned_model_body(
            spec, examples[:20]
        )["tuningTask"]["trainingData"]["examples"]["examples"]
        assert f"{len(examples):,} examples are sent" in text
        await pilot.press("e")
        await settle(app, pilot)
        text = app.screen.query_one(TextArea).text
        body = json.loads(text[text.index("{"):])
        assert body == tuned_model_body(spec, examples)


async def test_unreadable_file_is_reported_not_crashing(manager, settings, tmp_path):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_path(app, pilot, str(tmp_path / "missing.jsonl"))
        summary = text_of(app, "#dataset-summary")
        assert "Could not open missing.jsonl" in summary and "No dataset is open" in summary
        assert app.is_running


async def test_help_lists_the_keys_of_the_current_screen(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await settle(app, pilot)
        actions = {row.description for row in app.screen.query_one("#help-keys").keys}
        assert {"Open path", "Browse", "Configure job", "Quit", "Monitor"} <= actions
        await pilot.press("escape", "2", "escape", "question_mark")
        await settle(app, pilot)
        actions = {row.description for row in app.screen.query_one("#help-keys").keys}
        assert {"Launch", "Show call", "Defaults"} <= actions and "Open path" not in actions


async def test_relaunch_fills_the_form_and_palette_offers_screen_actions(manager, settings):
    from tui.models import Hyperparameters, Job

    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        job = Job(
            name="tunedModels/earlier-1",
            display_name="earlier",
            hyperparameters=Hyperparameters(epoch_count=8, batch_size=2, learning_rate_multiplier=0.5),
            dataset_path=str(DATA.parents[2] / "tui" / "samples" / "number-increment.jsonl"),
        )
        await app.relaunch(job, epochs=3)
        await settle(app, pilot)
        screen = app.screen
        assert app.current_mode == "configure"
        assert screen.query_one("#display_name").value == "earlier-2"  # a distinct name for the relaunch
        assert screen.query_one("#epochs").value == "3"
        assert screen.query_one("#batch_size").value == "2"
        assert screen.query_one("#rate-kind-multiplier").value is True
        assert screen.query_one("#rate_value").value == "0.5"
        assert app.dataset is not None and app.dataset.path.name == "number-increment.jsonl"

        await pilot.press("escape", "1")
        await settle(app, pilot)
        assert app.screen.query_one("#path").value.endswith("number-increment.jsonl")
        assert app.screen.query_one("#example-table").total == app.dataset.examples

        names = {command.title for command in app.get_system_commands(screen)}
        assert {"Launch", "Show call", "Datasets", "Quit"} <= names
