"""TunedModel, Operation and Model resources: validating what comes in, shaping what goes out.

Inputs have had their keys camel-cased (`wire.camel_keys`) before they reach here.
Every validation error names the field, with the example index for training data.
"""

from __future__ import annotations

import math
import re
import secrets
import string
from typing import Any

import orjson

from tui.emulator.base_models import BASE_MODELS, find_base_model
from tui.emulator.limits import MAX_DESCRIPTION, MAX_READER_PROJECTS
from tui.emulator.wire import ApiError, compact, invalid
from tui.models import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_EPOCHS,
    DEFAULT_LEARNING_RATE,
    MAX_BATCH_SIZE,
    MAX_EPOCHS,
    MAX_INPUT_CHARS,
    MAX_OUTPUT_CHARS,
)
from tui.models import total_steps as steps_of

TUNED_MODEL_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.TunedModel"
METADATA_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.CreateTunedModelMetadata"

MAX_DISPLAY_NAME = 40
MAX_EXAMPLES = 100_000
ID_PATTERN = re.compile(r"[a-z]([a-z0-9-]{0,38}[a-z0-9])?")

# -- ids --------------------------------------------------------------------------------
_ALPHABET = string.ascii_lowercase + string.digits


def random_suffix(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_model_id(display_name: str) -> str:
    """`Sentence Translator` -> `sentence-translator-u3b7m`; no name -> a random id."""
    words = re.findall(r"[a-z0-9]+", display_name.lower())
    stem = "-".join(words)[:33].strip("-")
    if stem and not stem[0].isalpha():
        stem = ("m-" + stem)[:33].strip("-")
    if stem:
        return f"{stem}-{random_suffix(5)}"
    return secrets.choice(string.ascii_lowercase) + random_suffix(10)


def new_operation_id() -> str:
    return random_suffix(12)


# -- create -----------------------------------------------------------------------------
_TUNED_MODEL_FIELDS = {
    "displayName", "description", "baseModel", "tunedModelSource", "temperature", "topP", "topK",
    "tuningTask", "readerProjectNumbers",
}  # fmt: skip
_OUTPUT_ONLY = {"name", "state", "createTime", "updateTime"}
_TASK_FIELDS = {"trainingData", "hyperparameters"}
_TASK_OUTPUT_ONLY = {"startTime", "completeTime", "snapshots"}
_HP_FIELDS = {"learningRate", "learningRateMultiplier", "epochCount", "batchSize"}


def _unknown(obj: dict, allowed: set[str], where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise ApiError(
                400, f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}': Cannot find field."
            )


def as_object(value: Any, field: str) -> dict:
    if not isinstance(value, dict):
        raise invalid(field, "must be a JSON object")
    return value


def as_integer(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid(field, f"must be an integer, got {value!r}")
    if not low <= value <= high:
        raise invalid(field, f"must be between {low} and {high}, got {value}")
    return value


def as_number(value: Any, field: str, low: float, high: float, open_low: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(field, f"must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value > high or value < low or (open_low and value == low):
        bound = f"greater than {low}" if open_low else f"at least {low}"
        raise invalid(field, f"must be {bound} and at most {high}, got {value}")
    return value


def as_text(value: Any, field: str, max_chars: int | None = None) -> str:
    if not isinstance(value, str):
        raise invalid(field, f"must be a string, got {type(value).__name__}")
    if max_chars is not None and len(value) > max_chars:
        raise invalid(field, f"is {len(value)} characters long; the limit is {max_chars}")
    return value


def sampling_fields(body: dict, base: dict | None) -> dict[str, Any]:
    """temperature / topP / topK from a body, defaulting to the base model's."""
    out: dict[str, Any] = {}
    if base is not None:
        out = {"temperature": base.get("temperature"), "top_p": base.get("topP"), "top_k": base.get("topK")}
    if body.get("temperature") is not None:
        out["temperature"] = as_number(body["temperature"], "temperature", 0.0, 2.0)
    if body.get("topP") is not None:
        out["top_p"] = as_number(body["topP"], "topP", 0.0, 1.0)
    if body.get("topK") is not None:
        out["top_k"] = as_integer(body["topK"], "topK", 0, 1000)
    return out


def reader_projects(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise invalid("readerProjectNumbers", "must be a list of project numbers")
    if len(value) > MAX_READER_PROJECTS:
        raise invalid("readerProjectNumbers", f"has {len(value)} projects; the limit is {MAX_READER_PROJECTS}")
    return [str(as_integer(v, f"readerProjectNumbers[{i}]", 0, 2**63 - 1)) for i, v in enumerate(value)]


def parse_hyperparameters(value: Any) -> dict[str, Any]:
    """Hyperparameters as received, with the API's defaults for what is missing."""
    hp = as_object(value if value is not None else {}, "tuningTask.hyperparameters")
    hp = {k: v for k, v in hp.items() if v is not None}  # proto3 JSON: null means "not set"
    _unknown(hp, _HP_FIELDS, "tuned_model.tuning_task.hyperparameters")
    where = "tuningTask.hyperparameters."
    out: dict[str, Any] = {
        "epochCount": as_integer(hp.get("epochCount", DEFAULT_EPOCHS), where + "epochCount", 1, MAX_EPOCHS),
        "batchSize": as_integer(hp.get("batchSize", DEFAULT_BATCH_SIZE), where + "batchSize", 1, MAX_BATCH_SIZE),
    }
    if hp.get("learningRate") is not None and hp.get("learningRateMultiplier") is not None:
        raise invalid(
            where + "learningRateMultiplier", "learningRate and learningRateMultiplier are one of a kind; give one"
        )
    if hp.get("learningRateMultiplier") is not None:
        multiplier = hp["learningRateMultiplier"]
        out["learningRateMultiplier"] = as_number(multiplier, where + "learningRateMultiplier", 0, 100, True)
    else:
        rate = hp.get("learningRate", DEFAULT_LEARNING_RATE)
        out["learningRate"] = as_number(rate, where + "learningRate", 0, 1, True)
    return out


def parse_examples(task: dict) -> list[tuple[str, str]]:
    where = "tuningTask.trainingData"
    if task.get("trainingData") is None:
        raise invalid(where, "is required: give the examples inline as tuningTask.trainingData.examples.examples[]")
    data = as_object(task["trainingData"], where)
    _unknown(data, {"examples"}, "tuned_model.tuning_task.training_data")
    holder = as_object(data.get("examples"), where + ".examples")
    _unknown(holder, {"examples"}, "tuned_model.tuning_task.training_data.examples")
    items = holder.get("examples")
    if not isinstance(items, list) or not items:
        raise invalid(where + ".examples.examples", "must be a non-empty list of {textInput, output} examples")
    if len(items) > MAX_EXAMPLES:
        raise invalid(where + ".examples.examples", f"has {len(items)} examples; the limit is {MAX_EXAMPLES}")
    examples = []
    for i, item in enumerate(items):
        field = f"{where}.examples.examples[{i}]"
        item = {k: v for k, v in as_object(item, field).items() if v is not None}
        _unknown(item, {"textInput", "output"}, f"tuned_model.tuning_task.training_data.examples.examples[{i}]")
        if "output" not in item:
            raise invalid(field + ".output", f"is required (example {i})")
        text_input = as_text(item.get("textInput", ""), field + ".textInput", MAX_INPUT_CHARS)
        output = as_text(item["output"], field + ".output", MAX_OUTPUT_CHARS)
        if not output:
            raise invalid(field + ".output", f"is empty (example {i}); every example needs the expected output")
        examples.append((text_input, output))
    return examples


def parse_create(body: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Validate a CreateTunedModel body; return the fields to store and the examples."""
    body = {k: v for k, v in as_object(body, "tunedModel").items() if v is not None}  # null means "not set"
    _unknown(body, _TUNED_MODEL_FIELDS | _OUTPUT_ONLY, "tuned_model")
    source = None
    if body.get("tunedModelSource") is not None:
        source_body = as_object(body["tunedModelSource"], "tunedModelSource")
        _unknown(source_body, {"tunedModel", "baseModel"}, "tuned_model.tuned_model_source")
        source = as_text(source_body.get("tunedModel", ""), "tunedModelSource.tunedModel")
        if not re.fullmatch(r"tunedModels/[a-z][a-z0-9-]*", source):
            raise invalid("tunedModelSource.tunedModel", "is required, e.g. tunedModels/my-model-ab12c")
        if body.get("baseModel"):
            raise invalid("baseModel", "baseModel and tunedModelSource are one of a kind; give one")
        base = None
    else:
        if not body.get("baseModel"):
            raise invalid(
                "baseModel", "is required, e.g. models/gemini-1.5-flash-001-tuning (or give tunedModelSource)"
            )
        base = find_base_model(as_text(body["baseModel"], "baseModel"))
        if base is None:
            names = ", ".join(m["name"] for m in BASE_MODELS)
            raise invalid("baseModel", f"{body['baseModel']} is not a base model that can be tuned; use one of {names}")
    task = as_object(body.get("tuningTask"), "tuningTask") if body.get("tuningTask") is not None else None
    if task is None:
        raise invalid("tuningTask", "is required, with trainingData and (optionally) hyperparameters")
    _unknown(task, _TASK_FIELDS | _TASK_OUTPUT_ONLY, "tuned_model.tuning_task")
    examples = parse_examples(task)
    hyperparameters = parse_hyperparameters(task.get("hyperparameters"))
    fields = {
        "display_name": as_text(body.get("displayName", ""), "displayName", MAX_DISPLAY_NAME),
        "description": as_text(body.get("description", ""), "description", MAX_DESCRIPTION),
        "base_model": _full(body["baseModel"]) if source is None else "",
        "source_model": source,
        "hyperparameters": hyperparameters,
        "reader_project_numbers": reader_projects(body.get("readerProjectNumbers", [])),
        **sampling_fields(body, base),
    }
    return fields, examples


def _full(name: str) -> str:
    return name if name.startswith("models/") else f"models/{name}"


def total_steps(examples: int, hyperparameters: dict) -> int:
    """Steps of a job with these (API-form) hyperparameters."""
    return steps_of(examples, hyperparameters["epochCount"], hyperparameters["batchSize"])


# -- output -----------------------------------------------------------------------------
def tuned_model_json(record: dict, snapshots: list[dict] | orjson.Fragment | None) -> dict:
    body = compact(
        {
            "name": f"tunedModels/{record['id']}",
            "displayName": record["display_name"],
            "description": record["description"],
            "state": record["state"],
            "createTime": record["create_time"],
            "updateTime": record["update_time"],
            "baseModel": None if record.get("source_model") else record["base_model"],
            "tunedModelSource": (
                {"tunedModel": record["source_model"], "baseModel": record["base_model"]}
                if record.get("source_model")
                else None
            ),
            "tuningTask": {
                "startTime": record["start_time"],
                "completeTime": record["complete_time"],
                "hyperparameters": record["hyperparameters"],
            },
            "readerProjectNumbers": record["reader_project_numbers"],
        }
    )
    if snapshots:  # already in output form (or encoded); not walked by compact() (thousands of them)
        body["tuningTask"] = {**body["tuningTask"], "snapshots": snapshots}
    # temperature, topP and topK are `optional` in the proto: present even when 0.
    for key, column in (("temperature", "temperature"), ("topP", "top_p"), ("topK", "top_k")):
        if record[column] is not None:
            body[key] = record[column]
    return body


def operation_name(record: dict) -> str:
    return f"tunedModels/{record['id']}/operations/{record['operation_id']}"


def operation_json(record: dict, snapshots: list[dict] | orjson.Fragment | None, created: bool = False) -> dict:
    """The CreateTunedModel operation. Right after create it carries only what the real one does."""
    total = record["total_steps"]
    metadata: dict[str, Any] = {
        "@type": METADATA_TYPE, "totalSteps": total, "tunedModel": f"tunedModels/{record['id']}"
    }  # fmt: skip
    if not created:
        completed = total if record["state"] == "ACTIVE" and not record["cancelled"] else record["completed_steps"]
        metadata["completedSteps"] = completed
        metadata["completedPercent"] = round(100.0 * completed / total, 4) if total else 0.0
    body: dict[str, Any] = {"name": operation_name(record), "metadata": compact(metadata)}
    if not created and snapshots:
        body["metadata"]["snapshots"] = snapshots
    if record["state"] in ("ACTIVE", "FAILED"):
        body["done"] = True
        if record["error"]:
            body["error"] = {"code": record["error"]["code"], "message": record["error"]["message"]}
        else:
            body["response"] = {"@type": TUNED_MODEL_TYPE, **tuned_model_json(record, snapshots)}
    return body


# -- update -----------------------------------------------------------------------------
UPDATABLE = {
    "displayName": "display_name",
    "description": "description",
    "temperature": "temperature",
    "topP": "top_p",
    "topK": "top_k",
    "readerProjectNumbers": "reader_project_numbers",
}
_IMMUTABLE = {"name", "state", "createTime", "updateTime", "baseModel", "tunedModelSource", "tuningTask"}


def parse_update(body: Any, update_mask: str | None) -> dict[str, Any]:
    """Columns to set from a PATCH body. See docs/emulator.md for the updateMask rules."""
    body = as_object(body, "tunedModel")
    _unknown(body, set(UPDATABLE) | _IMMUTABLE, "tuned_model")
    if update_mask is None or update_mask.strip() == "":
        paths = [k for k in body if k in UPDATABLE]
    elif update_mask.strip() == "*":
        paths = list(UPDATABLE)
    else:
        from tui.emulator.wire import camel

        paths = [camel(p.strip()) for p in update_mask.split(",") if p.strip()]
        for path in paths:
            if path in _IMMUTABLE:
                raise invalid("updateMask", f"{path} cannot be changed (it is output only or immutable)")
            if path not in UPDATABLE:
                raise invalid("updateMask", f"unknown field {path!r}; updatable: {', '.join(UPDATABLE)}")
    changes: dict[str, Any] = {}
    for path in paths:
        value = body.get(path)
        column = UPDATABLE[path]
        if path == "displayName":
            changes[column] = as_text(value or "", "displayName", MAX_DISPLAY_NAME)
        elif path == "description":
            changes[column] = as_text(value or "", "description", MAX_DESCRIPTION)
        elif path == "readerProjectNumbers":
            changes[column] = reader_projects(value or [])
        elif value is None:
            changes[column] = None
        else:
            changes.update(sampling_fields({path: value}, None))
    return changes
