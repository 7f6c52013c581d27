"""The job form: a widget that owns a `JobSpec` — `load(spec)` fills it, `validate()` returns
the spec or a message per field. The guide's defaults and advice sit next to each field.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, RadioButton, RadioSet, Select, Static

from tui.models import (
    DEFAULT_BASE_MODEL,
    DEFAULT_BATCH_SIZE,
    DEFAULT_EPOCHS,
    DEFAULT_LEARNING_RATE,
    Hyperparameters,
    JobSpec,
)

ADVICE = {
    "display_name": "Up to 40 characters; shown in the job list. Empty: the backend names it.",
    "base_model": "The model to tune; the list comes from the backend.",
    "epochs": (
        f"Default {DEFAULT_EPOCHS}. One epoch is one pass over every example. If the loss "
        "plateaus before the last epoch, use fewer; if it is still falling, use more."
    ),
    "batch_size": f"Default {DEFAULT_BATCH_SIZE}. How many examples go into one training update.",
    "learning_rate": (
        f"Default {DEFAULT_LEARNING_RATE}. How strongly each step adjusts the model "
        "(0.3 moves about 3× as much as 0.1). Use a smaller value for smaller datasets."
    ),
    "learning_rate_multiplier": (
        "Scales the base model's learning rate: 1 keeps it, above 1 raises it, between 0 and 1 lowers it."
    ),
}

# Where a pydantic error lands in the form.
FIELD_OF_LOCATION = {
    ("display_name",): "display_name",
    ("base_model",): "base_model",
    ("hyperparameters", "epoch_count"): "epochs",
    ("hyperparameters", "batch_size"): "batch_size",
    ("hyperparameters", "learning_rate"): "rate_value",
    ("hyperparameters", "learning_rate_multiplier"): "rate_value",
    ("hyperparameters",): "rate_value",
}
FIELDS = ("display_name", "base_model", "epochs", "batch_size", "rate_value")


def _number(text: str, kind: type, field: str, errors: dict[str, str]):
    text = text.strip()
    if not text:
        errors[field] = "Required."
        return None
    try:
        return kind(text)
    except ValueError:
        errors[field] = "Enter a whole number." if kind is int else "Enter a number, e.g. 0.001."
        return None


class JobForm(Vertical):
    """Display name, base model, epochs, batch size, learning rate or multiplier."""

    DEFAULT_CSS = """
    JobForm { height: auto; }
    JobForm .field { height: auto; margin-bottom: 1; }
    JobForm .field-row { height: auto; }
    JobForm .field-label { text-style: bold; width: 16; }
    JobForm .field-advice { color: $text-muted; padding-left: 16; }
    JobForm .field-error { color: $text-error; display: none; padding-left: 16; }
    JobForm .field-error.-shown { display: block; }
    JobForm Input, JobForm Select { width: 1fr; max-width: 56; }
    JobForm #rate-kind { width: 1fr; border: none; height: auto; layout: horizontal; }
    JobForm #rate-kind RadioButton { margin-right: 2; }
    """

    @dataclass
    class Changed(Message):
        """A field changed (the screen updates the steps and the call preview)."""

        form: JobForm

    _loaded_kind: bool | None = None

    def _integer_field(self, label: str, name: str, default: int) -> ComposeResult:
        """A labelled whole-number input with its advice and its error line."""
        with Vertical(classes="field"):
            with Horizontal(classes="field-row"):
                yield Label(label, classes="field-label")
                yield Input(str(default), id=name, type="integer", compact=True)
            yield Static(ADVICE[name], classes="field-advice")
            yield Static("", id=f"{name}-error", classes="field-error")

    def compose(self) -> ComposeResult:
        with Vertical(classes="field"):
            with Horizontal(classes="field-row"):
                yield Label("Display name", classes="field-label")
                yield Input(id="display_name", max_length=40, placeholder="e.g. ticket-router-v2", compact=True)
            yield Static(ADVICE["display_name"], classes="field-advice")
            yield Static("", id="display_name-error", classes="field-error")
        with Vertical(classes="field"):
            with Horizontal(classes="field-row"):
                yield Label("Base model", classes="field-label")
                yield Select(
                    [(DEFAULT_BASE_MODEL, DEFAULT_BASE_MODEL)], id="base_model", value=DEFAULT_BASE_MODEL, allow_blank=False, compact=True
                )
            yield Static(ADVICE["base_model"], classes="field-advice", id="base_model-advice")
            yield Static("", id="base_model-error", classes="field-error")
        yield from self._integer_field("Epochs", "epochs", DEFAULT_EPOCHS)
        yield from self._integer_field("Batch size", "batch_size", DEFAULT_BATCH_SIZE)
        with Vertical(classes="field"):
            with Horizontal(classes="field-row"):
                yield Label("Rate given as", classes="field-label")
                with RadioSet(id="rate-kind", compact=True):
                    yield RadioButton("learning rate", value=True, id="rate-kind-rate")
                    yield RadioButton("multiplier", id="rate-kind-multiplier")
            with Horizontal(classes="field-row"):
                yield Label("Value", classes="field-label", id="rate-label")
                yield Input(str(DEFAULT_LEARNING_RATE), id="rate_value", type="number", compact=True)
            yield Static(ADVICE["learning_rate"], classes="field-advice", id="rate-advice")
            yield Static("", id="rate_value-error", classes="field-error")

    @property
    def uses_multiplier(self) -> bool:
        return self.query_one("#rate-kind-multiplier", RadioButton).value

    def set_base_models(self, names: list[str]) -> None:
        """Offer these base models, keeping the current choice when it is still there."""
        select = self.query_one("#base_model", Select)
        current = select.value
        options = list(dict.fromkeys(names or [DEFAULT_BASE_MODEL]))
        if isinstance(current, str) and current not in options:
            options.insert(0, current)
        select.set_options([(name, name) for name in options])
        select.value = current if isinstance(current, str) else options[0]

    def set_advice_note(self, field: str, note: str) -> None:
        """Add a dataset-specific note under a field's advice (e.g. the learning rate)."""
        base = ADVICE["learning_rate_multiplier" if self.uses_multiplier else "learning_rate"] if field == "rate" else ADVICE[field]
        target = self.query_one("#rate-advice" if field == "rate" else f"#{field}-advice", Static)
        target.update(base + (f"\n{note}" if note else ""))

    def load(self, spec: JobSpec) -> None:
        """Fill the inputs from `spec`."""
        self.query_one("#display_name", Input).value = spec.display_name
        self.set_base_models([spec.base_model, *self._base_model_options()])
        self.query_one("#base_model", Select).value = spec.base_model
        hyper = spec.hyperparameters
        self.query_one("#epochs", Input).value = str(hyper.epoch_count)
        self.query_one("#batch_size", Input).value = str(hyper.batch_size)
        multiplier = hyper.learning_rate_multiplier is not None
        # The radio set reports this change later; it must not reset the value loaded here.
        self._loaded_kind = multiplier if multiplier != self.uses_multiplier else None
        self.query_one("#rate-kind-multiplier", RadioButton).value = multiplier
        self.query_one("#rate-kind-rate", RadioButton).value = not multiplier
        value = hyper.learning_rate_multiplier if multiplier else hyper.effective_learning_rate
        self.query_one("#rate_value", Input).value = f"{value:g}"
        self.show_errors({})

    def _base_model_options(self) -> list[str]:
        select = self.query_one("#base_model", Select)
        return [str(value) for _, value in select._options if isinstance(value, str)]

    def validate(self) -> tuple[JobSpec | None, dict[str, str]]:
        """The spec the inputs describe, or a message per field that is wrong."""
        errors: dict[str, str] = {}
        epochs = _number(self.query_one("#epochs", Input).value, int, "epochs", errors)
        batch_size = _number(self.query_one("#batch_size", Input).value, int, "batch_size", errors)
        rate = _number(self.query_one("#rate_value", Input).value, float, "rate_value", errors)
        base_model = self.query_one("#base_model", Select).value
        if not isinstance(base_model, str) or not base_model:
            errors["base_model"] = "Choose a base model."
        if errors:
            return None, errors
        hyper: dict = {"epoch_count": epochs, "batch_size": batch_size}
        hyper["learning_rate_multiplier" if self.uses_multiplier else "learning_rate"] = rate
        try:
            spec = JobSpec(
                display_name=self.query_one("#display_name", Input).value.strip(),
                base_model=base_model,
                hyperparameters=Hyperparameters(**hyper),
            )
        except ValidationError as exc:
            for error in exc.errors():
                location = tuple(str(part) for part in error["loc"])
                if location and location[0] in ("epoch_count", "batch_size", "learning_rate", "learning_rate_multiplier"):
                    location = ("hyperparameters", *location)
                field = FIELD_OF_LOCATION.get(location, FIELD_OF_LOCATION.get(location[:1], "rate_value"))
                text = error["msg"].removeprefix("Value error, ")
                errors.setdefault(field, text[:1].upper() + text[1:] + ".")
            return None, errors
        return spec, {}

    def show_errors(self, errors: dict[str, str]) -> None:
        """Show each field's message under it (and clear the others)."""
        for field in FIELDS:
            message = self.query_one(f"#{field}-error", Static)
            message.update(errors.get(field, ""))
            message.set_class(field in errors, "-shown")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self))

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        if self._loaded_kind is not None and self._loaded_kind == self.uses_multiplier:
            self._loaded_kind = None
            self.post_message(self.Changed(self))
            return
        rate = self.query_one("#rate_value", Input)
        if self.uses_multiplier:
            rate.value = "1"
            rate.placeholder = "multiplier, e.g. 1"
        else:
            rate.value = f"{DEFAULT_LEARNING_RATE:g}"
            rate.placeholder = "learning rate, e.g. 0.001"
        self.set_advice_note("rate", "")
        self.post_message(self.Changed(self))
