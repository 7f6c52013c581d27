"""The job form shows what the active backend takes: its capabilities, not its name."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.jobs.backend import BackendCapabilities
from tui.jobs.gemini import CAPABILITIES as GEMINI
from tui.models import EVAL_LOSS, TRAIN_LOSS, Hyperparameters
from tui.widgets.job_form import JobForm

# A backend shaped like Vertex AI supervised tuning: epochs, a multiplier, an adapter size, a validation set.
UPLOADING = BackendCapabilities(
    protocol="vertex",
    hyperparameters=frozenset({"epoch_count", "learning_rate_multiplier", "adapter_size"}),
    defaults=Hyperparameters(epoch_count=3, learning_rate_multiplier=1.0, adapter_size=4),
    validation_set=True,
    checkpoints=True,
    curves=(TRAIN_LOSS, EVAL_LOSS),
    uploads_dataset=True,
)


class FormApp(App[None]):
    def compose(self) -> ComposeResult:
        yield JobForm(id="job-form")


def shown(form: JobForm, field: str) -> bool:
    return not form.query_one(f"#{field}-field").has_class("-absent")


async def test_fields_follow_the_backends_capabilities():
    app = FormApp()
    async with app.run_test() as pilot:
        form = app.query_one(JobForm)
        assert not shown(form, "epochs")  # nothing is offered before the backend is known

        form.set_capabilities(GEMINI)
        await pilot.pause()
        assert [shown(form, f) for f in ("epochs", "batch_size", "rate", "adapter_size", "validation")] == [
            True, True, True, False, False,
        ]
        spec, errors = form.validate()
        assert errors == {} and spec is not None
        assert spec.hyperparameters == GEMINI.defaults and spec.validation is None

        form.set_capabilities(UPLOADING)
        form.load(form.validate()[0].model_copy(update={"hyperparameters": Hyperparameters()}))
        await pilot.pause()
        assert [shown(form, f) for f in ("epochs", "batch_size", "rate", "adapter_size", "validation")] == [
            True, False, True, True, True,
        ]
        assert form.query_one("#rate-kind-row").has_class("-absent")  # a multiplier only: no choice to make
        form.query_one("#validation").value = "0.1"
        form.query_one("#adapter_size").value = 8
        spec, errors = form.validate()
        assert errors == {}
        assert spec.hyperparameters == Hyperparameters(epoch_count=3, learning_rate_multiplier=1.0, adapter_size=8)
        assert spec.validation is not None and spec.validation.split == 0.1

        form.query_one("#validation").value = "2"
        assert form.validate()[1] == {"validation": "A share to hold out is between 0 and 1, e.g. 0.1."}


async def test_a_value_the_backend_chooses_may_stay_empty():
    chooses = BackendCapabilities(
        protocol="vertex",
        hyperparameters=frozenset({"epoch_count", "learning_rate_multiplier", "adapter_size"}),
        defaults=Hyperparameters(learning_rate_multiplier=1.0),
        adapter_sizes={"gemini-2.5-pro": (1, 2, 4, 8)},
    )
    app = FormApp()
    async with app.run_test() as pilot:
        form = app.query_one(JobForm)
        form.set_capabilities(chooses)
        form.query_one("#base_model").set_options([("gemini-2.5-pro", "gemini-2.5-pro")])
        form.query_one("#base_model").value = "gemini-2.5-pro"
        await pilot.pause()
        spec, errors = form.validate()
        assert errors == {}
        assert spec.hyperparameters == Hyperparameters(learning_rate_multiplier=1.0)  # epochs, adapter: Vertex's call
        sizes = [value for _, value in form.query_one("#adapter_size")._options if isinstance(value, int)]
        assert sizes == [1, 2, 4, 8]


async def test_the_backends_base_models_replace_the_placeholder_but_not_a_choice():
    app = FormApp()
    async with app.run_test() as pilot:
        form = app.query_one(JobForm)
        form.set_capabilities(UPLOADING)
        form.set_base_models(["gemini-2.5-flash", "gemini-2.5-pro"])
        await pilot.pause()
        assert form.query_one("#base_model").value == "gemini-2.5-flash"
        form.query_one("#base_model").value = "gemini-2.5-pro"
        form.set_base_models(["gemini-2.5-flash", "gemini-2.5-flash-lite"])  # a refreshed list keeps the choice
        await pilot.pause()
        assert form.query_one("#base_model").value == "gemini-2.5-pro"
