"""The forms validate evenly and in the form's words; keys typed in one burst keep their order."""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import RadioSet, Static

from tests.app.conftest import SIZE, open_form, settle
from tui.app import make_app
from tui.jobs.gemini import CAPABILITIES as GEMINI
from tui.models import Job
from tui.screens.compare import distinct_titles
from tui.typeahead import TypeAhead
from tui.widgets.fields import ChoiceButton, FieldInput
from tui.widgets.job_form import JobForm, distinct_name


class FormApp(App[None]):
    def compose(self) -> ComposeResult:
        yield JobForm(id="job-form")


class FieldApp(TypeAhead):
    """Two fields in an app that hands keys over one at a time, as tunedeck does."""

    def compose(self) -> ComposeResult:
        yield FieldInput(id="first")
        yield FieldInput(id="second")


async def burst(app: App, *keys: str) -> None:
    """Post keys to the app all at once, as when they arrive in one read from the terminal."""
    for key in keys:
        character = {"space": " "}.get(key, key if len(key) == 1 else None)
        app.post_message(events.Key(key, character))


async def test_keys_in_one_burst_apply_in_order():
    app = FieldApp()
    async with app.run_test() as pilot:
        field = app.query_one("#first", FieldInput)
        field.focus()
        field.put("0")
        await pilot.pause()
        await burst(app, "backspace", "4", "2")
        await pilot.pause()
        assert field.value == "42"

        name = "n" * 40
        field.put(name)
        await burst(app, "backspace", "B", "C")
        await pilot.pause()
        assert field.value == name[:39] + "BC"

        field.put("abc")
        await burst(app, "left", "left", "X", "end", "Y")
        await pilot.pause()
        assert field.value == "aXbcY"

        # Tab moves the focus; the keys after it belong to the next field, not this one.
        field.put("")
        await burst(app, "a", "tab", "b")
        await pilot.pause()
        assert field.value == "a"
        assert app.query_one("#second", FieldInput).value == "b"


async def test_job_form_errors_use_the_forms_labels():
    app = FormApp()
    async with app.run_test() as pilot:
        form = app.query_one(JobForm)
        form.set_capabilities(GEMINI)
        await pilot.pause()
        form.query_one("#display_name", FieldInput).put("x" * 57)
        form.query_one("#epochs", FieldInput).put("0")
        form.query_one("#batch_size", FieldInput).put("5000")
        form.query_one("#rate_value", FieldInput).put("abc")
        spec, errors = form.validate()
        assert spec is None
        assert errors["display_name"] == "Display name is 57 characters; at most 40 fit (shorten it by 17)."
        assert errors["rate_value"] == "Learning rate must be a number, e.g. 0.001."
        assert errors["epochs"] == "Epochs must be at least 1."
        form.query_one("#rate_value", FieldInput).put("0.001")
        form.query_one("#display_name", FieldInput).put("short")
        spec, errors = form.validate()
        assert errors == {"epochs": "Epochs must be at least 1.", "batch_size": "Batch size must be at most 1024."}
        form.query_one("#epochs", FieldInput).put("")
        form.query_one("#batch_size", FieldInput).put("4")
        form.query_one("#rate_value", FieldInput).put("5")
        spec, errors = form.validate()
        assert errors == {"epochs": "Epochs: enter a value.", "rate_value": "Learning rate must be at most 1."}
        for text in errors.values():
            assert "Input should" not in text and "epoch_count" not in text and "learning_rate" not in text


def test_learning_rate_hint_fits_the_default():
    from tui.widgets.job_form import ADVICE

    text = ADVICE["learning_rate"].format(default="0.001", double="0.002")
    assert "0.002 moves about twice as much as 0.001" in text and "0.3" not in text


async def test_chosen_radio_button_shows_without_colour():
    class Radios(App[None]):
        def compose(self) -> ComposeResult:
            with RadioSet():
                yield ChoiceButton("a", value=True, id="a")
                yield ChoiceButton("b", id="b")

    app = Radios()
    async with app.run_test() as pilot:
        chosen, other = app.query_one("#a", ChoiceButton), app.query_one("#b", ChoiceButton)
        assert "●" in str(chosen.render()) and "○" in str(other.render())
        other.value = True
        await pilot.pause()
        assert "○" in str(chosen.render()) and "●" in str(other.render())


def test_relaunch_names_are_distinct():
    assert distinct_name("XY", {"XY"}) == "XY-2"
    assert distinct_name("XY", {"XY", "XY-2", "XY-3"}) == "XY-4"
    assert distinct_name("XY-2", {"XY", "XY-2"}) == "XY-3"
    long = "a" * 40
    assert distinct_name(long, {long}) == "a" * 38 + "-2"
    assert distinct_name("", {""}) == ""


def test_compare_titles_show_ids_where_names_collide():
    jobs = [
        Job(name="tunedModels/xy-aaa", display_name="XY"),
        Job(name="tunedModels/xy-bbb", display_name="XY"),
        Job(name="tunedModels/other", display_name="Other"),
    ]
    assert list(distinct_titles(jobs).values()) == ["XY (xy-aaa)", "XY (xy-bbb)", "Other"]


async def test_configure_never_says_ready_beside_marked_fields(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_form(app, pilot)
        status = lambda: str(app.screen.query_one("#launch-status", Static).render())  # noqa: E731
        assert "Ready to launch" in status()
        app.screen.query_one("#epochs", FieldInput).put("0")
        await settle(app, pilot)
        assert "Ready to launch" not in status() and "Fix the marked fields" in status()
        assert str(app.screen.query_one("#epochs-error", Static).render()) == "Epochs must be at least 1."


async def test_playground_validates_settings_as_you_type(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        screen = app.screen
        message = screen.query_one("#settings-error", Static)
        assert not message.display
        screen.query_one("#temperature", FieldInput).focus()
        await pilot.press("5")
        await settle(app, pilot)
        assert message.display and "Temperature must be a number from 0 to 2" in str(message.render())
        screen.query_one("#max-tokens", FieldInput).focus()
        await pilot.press(*"99999")
        await settle(app, pilot)
        assert "Max output tokens must be a whole number from 1 to 8192" in str(message.render())
        screen.query_one("#temperature", FieldInput).put("0.5")
        screen.query_one("#max-tokens", FieldInput).put("64")
        await settle(app, pilot)
        assert not message.display


def test_wording_of_counts_paths_and_advice():
    from tui.datasets.wording import examples_text
    from tui.screens.paths import fold_path

    assert examples_text(3, 3) == "3 examples"
    assert examples_text(3, 2) == "3 records · 2 valid examples"
    assert examples_text(1, 1) == "1 example"
    path = "/tmp/some-rather-long-folder/another-folder/data/my-dataset-file.jsonl"
    folded = fold_path(path, 30)
    assert folded.replace("\n", "") == path
    assert folded.splitlines() == ["/tmp/some-rather-long-folder/", "another-folder/data/", "my-dataset-file.jsonl"]
    assert all(len(line) <= 30 for line in fold_path("/" + "x" * 70 + "/f.jsonl", 30).splitlines())


def test_monitor_summary_says_when_there_is_no_epoch_advice():
    from tui.jobs.curve import suggest_epochs
    from tui.widgets.monitor_summary import summary_paragraphs

    job = Job(name="tunedModels/fresh")
    text = " ".join(value for _, _, value in summary_paragraphs(job, suggest_epochs([], None), None))
    assert "no epoch advice yet" in text and "suggested no" not in text
