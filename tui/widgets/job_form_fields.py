"""The job form's words and parsing: the advice under each field, where a pydantic error lands,
and the text-to-value rules (numbers, a validation file or share, a distinct display name)."""

from __future__ import annotations

from typing import Any

from tui.models import JobSpec, ValidationChoice

MAX_DISPLAY_NAME = JobSpec.model_fields["display_name"].metadata[0].max_length

ADVICE = {
    "display_name": "Up to 40 characters; shown in the job list. Empty: the backend names it.",
    "base_model": "The model to tune; the list comes from the backend.",
    "epochs": (
        "Default {default}. One epoch is one pass over every example. If the loss "
        "plateaus before the last epoch, use fewer; if it is still falling, use more."
    ),
    "batch_size": "Default {default}. How many examples go into one training update.",
    "learning_rate": (
        "Default {default}. How strongly each step adjusts the model "
        "({double} moves about twice as much as {default}). Use a smaller value for smaller datasets."
    ),
    "learning_rate_multiplier": (
        "Scales the base model's learning rate: 1 keeps it, above 1 raises it, between 0 and 1 lowers it."
    ),
    "adapter_size": "Default {default}. The LoRA adapter's rank: larger learns more, costs more.",
    "preamble": (
        "Most inputs open with {preamble}. Ticked, it goes to Vertex as the system instruction rather than "
        "inside each prompt; the tuned model then expects it as its system instruction (the Playground and "
        "`tunedeck try` send it)."
    ),
    "validation": (
        "Optional. A file of held-out examples, or a share of this dataset to hold out (e.g. 0.1); "
        "the job then reports an eval loss."
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
    ("hyperparameters", "adapter_size"): "adapter_size",
    ("hyperparameters",): "rate_value",
    ("validation",): "validation",
}
FIELDS = ("display_name", "base_model", "epochs", "batch_size", "rate_value", "adapter_size", "validation")
# Form field -> the Hyperparameters field it edits.
HYPERPARAMETER_OF = {"epochs": "epoch_count", "batch_size": "batch_size", "adapter_size": "adapter_size"}
# The form's words for each field, used in its messages.
LABEL_OF = {
    "display_name": "Display name",
    "base_model": "Base model",
    "epochs": "Epochs",
    "batch_size": "Batch size",
    "adapter_size": "Adapter size",
    "validation": "Validation",
}


def parse_number(text: str, kind: type, field: str, label: str, errors: dict[str, str], required: bool = True) -> Any:
    text = text.strip()
    if not text:
        if required:
            errors[field] = f"{label}: enter a value."
        return None
    try:
        return kind(text)
    except ValueError:
        errors[field] = f"{label} must be a whole number." if kind is int else f"{label} must be a number, e.g. 0.001."
        return None


def distinct_name(name: str, taken: set[str]) -> str:
    """A display name for a relaunch that no other job has: `XY` → `XY-2` (the next free number)."""
    base, _, number = name.rpartition("-")
    if not (base and number.isdigit()):
        base = name
    if not base:
        return ""
    count = 2
    while True:
        suffix = f"-{count}"
        candidate = base[: MAX_DISPLAY_NAME - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        count += 1


def error_text(label: str, error: Any) -> str:
    """A pydantic error said with the form's label: "Epochs must be at least 1."."""
    limit = (error.get("ctx") or {})
    kind = error["type"]
    if kind == "greater_than_equal":
        return f"{label} must be at least {limit['ge']:g}."
    if kind == "less_than_equal":
        return f"{label} must be at most {limit['le']:g}."
    if kind == "greater_than":
        return f"{label} must be more than {limit['gt']:g}."
    if kind == "less_than":
        return f"{label} must be less than {limit['lt']:g}."
    if kind == "string_too_long":
        return f"{label} is {len(error['input'])} characters; at most {limit['max_length']} fit."
    text = str(error["msg"]).removeprefix("Value error, ")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def parse_validation(text: str, errors: dict[str, str]) -> ValidationChoice | None:
    """A fraction (`0.1`) holds out that share of the dataset; anything else names a file."""
    text = text.strip()
    if not text:
        return None
    try:
        share = float(text)
    except ValueError:
        return ValidationChoice(path=text)
    if not 0 < share < 1:
        errors["validation"] = "A share to hold out is between 0 and 1, e.g. 0.1."
        return None
    return ValidationChoice(split=share)
