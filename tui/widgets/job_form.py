"""The job form: a widget that owns a `JobSpec` — `load(spec)` fills it, `validate()` returns
the spec or a message per field. It shows the fields the active backend takes (its
`BackendCapabilities`), each with its default and advice next to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, RadioButton, RadioSet, Select, Static

from tui.jobs.backend import BackendCapabilities
from tui.models import ADAPTER_SIZES, DEFAULT_BASE_MODEL, Hyperparameters, JobSpec
from tui.widgets.fields import ChoiceButton, FieldInput, TickBox
from tui.widgets.job_form_fields import (
    ADVICE,
    FIELD_OF_LOCATION,
    FIELDS,
    HYPERPARAMETER_OF,
    LABEL_OF,
    MAX_DISPLAY_NAME,
    distinct_name,
    error_text,
    parse_number,
    parse_validation,
)

__all__ = ["ADVICE", "MAX_DISPLAY_NAME", "JobForm", "distinct_name"]

class JobForm(Vertical):
    """Display name, base model and the hyperparameters the backend takes."""

    DEFAULT_CSS = """
    JobForm { height: auto; }
    JobForm .field { height: auto; margin-bottom: 1; }
    JobForm .field.-absent { display: none; }
    JobForm .field-row { height: auto; }
    JobForm .field-row.-absent { display: none; }
    JobForm .field-label { text-style: bold; width: 16; }
    JobForm .field-advice { color: $text-muted; padding-left: 16; }
    JobForm .field-error { color: $text-error; display: none; padding-left: 16; }
    JobForm .field-error.-shown { display: block; }
    JobForm Input, JobForm Select { width: 1fr; max-width: 56; }
    JobForm #rate-kind { width: 1fr; border: none; height: auto; layout: horizontal; }
    JobForm #rate-kind RadioButton { margin-right: 2; }
    JobForm.-stacked .field-row { layout: vertical; }
    JobForm.-stacked .field-label { width: auto; }
    JobForm.-stacked .field-advice, JobForm.-stacked .field-error { padding-left: 0; }
    """

    # Narrower than a label, a full display name and the cursor: labels go above their fields.
    STACK_BELOW = 16 + MAX_DISPLAY_NAME + 2

    @dataclass
    class Changed(Message):
        """A field changed (the screen updates the steps and the call preview)."""

        form: JobForm

    _loaded_kind: bool | None = None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.capabilities: BackendCapabilities | None = None
        self.preamble: str | None = None  # the open dataset's preamble line, when it has one

    def on_resize(self) -> None:
        width = self.size.width
        if width < self.STACK_BELOW:
            self.add_class("-stacked")
        elif width >= self.STACK_BELOW + 2:  # a margin, so a scroll bar coming and going cannot flip it back
            self.remove_class("-stacked")

    def _field(self, label: str, name: str, widget: FieldInput | Select) -> ComposeResult:
        """A labelled input with its advice and its error line (hidden until the backend takes it)."""
        with Vertical(classes="field -absent", id=f"{name}-field"):
            with Horizontal(classes="field-row"):
                yield Label(label, classes="field-label")
                yield widget
            yield Static("", classes="field-advice", id=f"{name}-advice")
            yield Static("", id=f"{name}-error", classes="field-error")

    def compose(self) -> ComposeResult:
        with Vertical(classes="field"):
            with Horizontal(classes="field-row"):
                yield Label("Display name", classes="field-label")
                yield FieldInput(id="display_name", placeholder="e.g. ticket-router-v2", compact=True)
            yield Static(ADVICE["display_name"], classes="field-advice")
            yield Static("", id="display_name-error", classes="field-error")
        with Vertical(classes="field"):
            with Horizontal(classes="field-row"):
                yield Label("Base model", classes="field-label")
                yield Select(
                    [(DEFAULT_BASE_MODEL, DEFAULT_BASE_MODEL)],
                    id="base_model",
                    value=DEFAULT_BASE_MODEL,
                    allow_blank=False,
                    compact=True,
                )
            yield Static(ADVICE["base_model"], classes="field-advice", id="base_model-advice")
            yield Static("", id="base_model-error", classes="field-error")
        yield from self._field("Epochs", "epochs", FieldInput(id="epochs", type="integer", compact=True))
        yield from self._field("Batch size", "batch_size", FieldInput(id="batch_size", type="integer", compact=True))
        with Vertical(classes="field -absent", id="rate-field"):
            with Horizontal(classes="field-row", id="rate-kind-row"):
                yield Label("Rate given as", classes="field-label")
                with RadioSet(id="rate-kind", compact=True):
                    yield ChoiceButton("learning rate", value=True, id="rate-kind-rate")
                    yield ChoiceButton("multiplier", id="rate-kind-multiplier")
            with Horizontal(classes="field-row"):
                yield Label("Value", classes="field-label", id="rate-label")
                yield FieldInput(id="rate_value", type="number", compact=True)
            yield Static("", classes="field-advice", id="rate-advice")
            yield Static("", id="rate_value-error", classes="field-error")
        sizes = [(str(size), size) for size in ADAPTER_SIZES]
        adapter = Select(sizes, id="adapter_size", prompt="the backend's choice", compact=True)
        yield from self._field("Adapter size", "adapter_size", adapter)
        yield from self._field(
            "Validation",
            "validation",
            FieldInput(id="validation", placeholder="a file, or a share such as 0.1", compact=True),
        )
        with Vertical(classes="field -absent", id="preamble-field"):
            with Horizontal(classes="field-row"):
                yield Label("Preamble", classes="field-label")
                yield TickBox("send as the system instruction", id="system_instruction", compact=True)
            yield Static("", classes="field-advice", id="preamble-advice")

    # -- what the backend takes ------------------------------------------------------------

    def set_capabilities(self, capabilities: BackendCapabilities) -> None:
        """Show the fields this backend takes, with its defaults, keeping what was typed."""
        first = self.capabilities is None
        self.capabilities = capabilities
        takes = capabilities.takes
        shown = {
            "epochs": takes("epoch_count"),
            "batch_size": takes("batch_size"),
            "rate": takes("learning_rate") or takes("learning_rate_multiplier"),
            "adapter_size": takes("adapter_size"),
            "validation": capabilities.validation_set,
        }
        for name, show in shown.items():
            self.query_one(f"#{name}-field").set_class(not show, "-absent")
        both = takes("learning_rate") and takes("learning_rate_multiplier")
        self.query_one("#rate-kind-row").set_class(not both, "-absent")
        only = "LR multiplier" if takes("learning_rate_multiplier") else "Learning rate"
        self.query_one("#rate-label", Label).update("Value" if both else only)
        defaults = capabilities.defaults
        for name, field in HYPERPARAMETER_OF.items():
            default = getattr(defaults, field)
            note = ADVICE[name].format(default=default if default is not None else "set by the backend")
            self.query_one(f"#{name}-advice", Static).update(note)
        self.query_one("#validation-advice", Static).update(ADVICE["validation"])
        self._show_preamble()
        if first:
            name = self.query_one("#display_name", Input).value  # kept as typed, even when too long
            self.load(JobSpec(hyperparameters=defaults))
            self.query_one("#display_name", FieldInput).put(name)

    def set_preamble(self, preamble: str | None) -> None:
        """The open dataset's preamble (on a line of its own), which Vertex may take as the system instruction."""
        if preamble != self.preamble:
            self.preamble = preamble
            self._show_preamble()

    def _show_preamble(self) -> None:
        shown = self.preamble is not None and self.capabilities is not None and self.capabilities.protocol == "vertex"
        self.query_one("#preamble-field").set_class(not shown, "-absent")
        if shown:
            quoted = repr(self.preamble if len(self.preamble or "") <= 60 else (self.preamble or "")[:59] + "…")
            self.query_one("#preamble-advice", Static).update(ADVICE["preamble"].format(preamble=quoted))

    @property
    def preamble_shown(self) -> bool:
        return not self.query_one("#preamble-field").has_class("-absent")

    def _default(self, field: str) -> Any:
        return getattr(self.capabilities.defaults, field) if self.capabilities is not None else None

    def _rate_advice(self) -> str:
        if self.uses_multiplier:
            return ADVICE["learning_rate_multiplier"]
        default = self._default("learning_rate")
        if default is None:
            return ADVICE["learning_rate"].split(" (")[0].format(default="set by the backend") + "."
        return ADVICE["learning_rate"].format(default=f"{default:g}", double=f"{default * 2:g}")

    @property
    def uses_multiplier(self) -> bool:
        if self.capabilities is not None and not self.capabilities.takes("learning_rate"):
            return True
        return self.query_one("#rate-kind-multiplier", RadioButton).value

    @property
    def rate_label(self) -> str:
        return "The multiplier" if self.uses_multiplier else "Learning rate"

    def set_base_models(self, names: list[str]) -> None:
        """Offer these base models, keeping the current choice when it is still there."""
        select: Select[str] = self.query_one("#base_model", Select)
        options = list(dict.fromkeys(names or [DEFAULT_BASE_MODEL]))
        current = select.value if isinstance(select.value, str) else None
        if current == DEFAULT_BASE_MODEL and names and current not in options:
            current = None  # the placeholder before the backend answered, not a choice: take the backend's first
        if current is not None and current not in options:
            options.insert(0, current)
        select.set_options([(name, name) for name in options])
        select.value = current if current is not None else options[0]

    def set_advice_note(self, field: str, note: str) -> None:
        """Add a dataset-specific note under a field's advice (e.g. the learning rate)."""
        base = self._rate_advice() if field == "rate" else ADVICE[field]
        target = self.query_one("#rate-advice" if field == "rate" else f"#{field}-advice", Static)
        target.update(base + (f"\n{note}" if note else ""))

    def load(self, spec: JobSpec) -> None:
        """Fill the inputs from `spec`; what it leaves unknown, the backend's defaults fill."""
        self.query_one("#display_name", FieldInput).put(spec.display_name)
        self.set_base_models([spec.base_model, *self._base_model_options()])
        self.query_one("#base_model", Select).value = spec.base_model
        hyper = spec.hyperparameters
        if self.capabilities is not None:
            hyper = hyper.with_defaults(self.capabilities.defaults)
        self.query_one("#epochs", FieldInput).put("" if hyper.epoch_count is None else str(hyper.epoch_count))
        self.query_one("#batch_size", FieldInput).put("" if hyper.batch_size is None else str(hyper.batch_size))
        self._offer_adapter_sizes(spec.base_model)
        adapter: Select[int] = self.query_one("#adapter_size", Select)
        if hyper.adapter_size is None:
            adapter.clear()
        else:
            adapter.value = hyper.adapter_size
        multiplier = hyper.learning_rate_multiplier is not None
        # The radio set reports this change later; it must not reset the value loaded here.
        self._loaded_kind = (
            multiplier if multiplier != self.query_one("#rate-kind-multiplier", RadioButton).value else None
        )
        self.query_one("#rate-kind-multiplier", RadioButton).value = multiplier
        self.query_one("#rate-kind-rate", RadioButton).value = not multiplier
        value = hyper.learning_rate_multiplier if multiplier else hyper.learning_rate
        self.query_one("#rate_value", FieldInput).put("" if value is None else f"{value:g}")
        self.query_one("#rate-advice", Static).update(self._rate_advice())
        validation = spec.validation
        text = "" if validation is None else validation.path or f"{validation.split:g}"
        self.query_one("#validation", FieldInput).put(text)
        self.query_one("#system_instruction", TickBox).value = spec.system_instruction_from_preamble
        self.show_errors({})

    def _offer_adapter_sizes(self, base_model: str) -> None:
        """The adapter sizes the backend accepts for this base model (all sizes when it does not say)."""
        known = self.capabilities.adapter_sizes if self.capabilities is not None else {}
        sizes = known.get(base_model.removeprefix("models/"), known.get(base_model, ADAPTER_SIZES))
        select: Select[int] = self.query_one("#adapter_size", Select)
        current = select.value
        select.set_options([(str(size), size) for size in sizes])
        if isinstance(current, int) and current in sizes:
            select.value = current

    def _base_model_options(self) -> list[str]:
        select = self.query_one("#base_model", Select)
        return [str(value) for _, value in select._options if isinstance(value, str)]

    def validate(self) -> tuple[JobSpec | None, dict[str, str]]:
        """The spec the inputs describe, or a message per field that is wrong."""
        errors: dict[str, str] = {}
        caps = self.capabilities
        hyper: dict[str, Any] = {}
        if caps is not None:
            # A field the backend has no default for may stay empty: the backend chooses.
            for name, field, kind, label in (
                ("epochs", "epoch_count", int, "Epochs"),
                ("batch_size", "batch_size", int, "Batch size"),
            ):
                if caps.takes(field):
                    value = self.query_one(f"#{name}", Input).value
                    hyper[field] = parse_number(value, kind, name, label, errors, self._default(field) is not None)
            if caps.takes("learning_rate") or caps.takes("learning_rate_multiplier"):
                field = "learning_rate_multiplier" if self.uses_multiplier else "learning_rate"
                value = self.query_one("#rate_value", Input).value
                required = self._default(field) is not None
                hyper[field] = parse_number(value, float, "rate_value", self.rate_label, errors, required)
            if caps.takes("adapter_size"):
                size = self.query_one("#adapter_size", Select).value
                hyper["adapter_size"] = size if isinstance(size, int) else None
        validation = None
        if caps is not None and caps.validation_set:
            validation = parse_validation(self.query_one("#validation", Input).value, errors)
        base_model = self.query_one("#base_model", Select).value
        if not isinstance(base_model, str) or not base_model:
            errors["base_model"] = "Choose a base model."
        name = self.query_one("#display_name", Input).value.strip()
        if len(name) > MAX_DISPLAY_NAME:
            errors["display_name"] = (
                f"Display name is {len(name)} characters; at most {MAX_DISPLAY_NAME} fit "
                f"(shorten it by {len(name) - MAX_DISPLAY_NAME})."
            )
        spec: JobSpec | None = None
        try:  # also with fields already marked: every wrong field gets its message at once
            spec = JobSpec(
                display_name=name,
                base_model=str(base_model),
                hyperparameters=Hyperparameters(**hyper),
                validation=validation,
                system_instruction_from_preamble=self.preamble_shown
                and self.query_one("#system_instruction", TickBox).value,
            )
        except ValidationError as exc:
            for error in exc.errors():
                location = tuple(str(part) for part in error["loc"])
                if location and location[0] in Hyperparameters.model_fields:
                    location = ("hyperparameters", *location)
                field = FIELD_OF_LOCATION.get(location, FIELD_OF_LOCATION.get(location[:1], "rate_value"))
                label = self.rate_label if field == "rate_value" else LABEL_OF.get(field, field)
                errors.setdefault(field, error_text(label, error))
        if errors:
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
        if event.select.id == "base_model" and isinstance(event.value, str):
            self._offer_adapter_sizes(event.value)
        self.post_message(self.Changed(self))

    def on_checkbox_changed(self, event: TickBox.Changed) -> None:
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
            default = self._default("learning_rate")
            rate.value = "" if default is None else f"{default:g}"
            rate.placeholder = "learning rate, e.g. 0.001"
        self.set_advice_note("rate", "")
        self.post_message(self.Changed(self))
