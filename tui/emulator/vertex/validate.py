"""Checking a CreateTuningJob request as Vertex does, before anything is stored.

Field checks (`parse_create`) need no I/O; dataset checks (`check_dataset`) read the
object's first line and, for a validation set, count its lines (streamed). Every refusal is
a 400 INVALID_ARGUMENT with a BadRequest field violation naming the field.

Ranges Vertex does not document are the emulator's choice: epochCount 1-100,
learningRateMultiplier above 0 and at most 10.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tui.emulator.resources import as_integer, as_number, as_object, as_text
from tui.emulator.wire import ApiError, invalid
from tui.models import DEFAULT_EPOCHS

# Tunable base models and their adapter sizes (reference: vertex-tuning-api.md §3.2, §4).
TUNABLE: dict[str, tuple[int, ...]] = {
    "gemini-3.5-flash": (1, 2, 4, 8, 16),
    "gemini-3.1-flash-lite": (1, 2, 4, 8, 16),
    "gemini-2.5-flash": (1, 2, 4, 8, 16),
    "gemini-2.5-flash-lite": (1, 2, 4, 8, 16),
    "gemini-2.5-pro": (1, 2, 4, 8),
}
ADAPTER_SIZES = {
    "ADAPTER_SIZE_ONE": 1,
    "ADAPTER_SIZE_TWO": 2,
    "ADAPTER_SIZE_FOUR": 4,
    "ADAPTER_SIZE_EIGHT": 8,
    "ADAPTER_SIZE_SIXTEEN": 16,
    "ADAPTER_SIZE_THIRTY_TWO": 32,
}
# The emulator's model width per adapter size (a bigger adapter learns more); unset: the widest.
HIDDEN_WIDTH = {1: 32, 2: 48, 4: 64, 8: 96, 16: 128}
DEFAULT_HIDDEN = 128
MAX_EPOCHS = 100
MAX_MULTIPLIER = 10.0
MAX_VALIDATION_EXAMPLES = 5000
MAX_DISPLAY_NAME = 128
MAX_DESCRIPTION = 4096  # not documented; the emulator's limit
_TOP = {
    "baseModel",
    "preTunedModel",
    "supervisedTuningSpec",
    "tunedModelDisplayName",
    "description",
    "labels",
    "serviceAccount",
    "encryptionSpec",
    "outputUri",
}
_OUTPUT_ONLY = {
    "name",
    "state",
    "createTime",
    "startTime",
    "endTime",
    "updateTime",
    "error",
    "experiment",
    "tunedModel",
    "tuningDataStats",
    "tuningJobState",
    "tuningJobMetadata",
    "pipelineJob",
}
_SPEC = {"trainingDatasetUri", "validationDatasetUri", "hyperParameters", "exportLastCheckpointOnly", "tuningMode"}
_MODEL_PREFIX = re.compile(r"^(projects/[^/]+/locations/[^/]+/)?(publishers/google/)?models/")
TUNED_MODEL = re.compile(r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/models/(?P<id>[0-9]+)(@[0-9]+)?$")


def _unknown(obj: dict, allowed: set[str], where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise ApiError(
                400, f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}': Cannot find field."
            )


def base_model_id(name: str) -> str | None:
    """`publishers/google/models/gemini-2.5-flash-001` -> `gemini-2.5-flash`; None if not tunable."""
    short = _MODEL_PREFIX.sub("", name.strip())
    short = re.sub(r"-[0-9]{3}$", "", short)
    return short if short in TUNABLE else None


def checkpoint_epochs(epochs: int, last_only: bool) -> list[int]:
    """Epochs that leave a checkpoint: each one below 10 epochs, else about 10 evenly spaced; only the last if asked."""
    if last_only:
        return [epochs]
    if epochs < 10:
        return list(range(1, epochs + 1))
    return sorted({round(k * epochs / 10) for k in range(1, 11)})


@dataclass
class CreateRequest:
    """A checked CreateTuningJob request."""

    echo: dict[str, Any]  # the request's fields as a TuningJob shows them
    base_model: str | None
    pre_tuned: tuple[str, str, str, str | None] | None  # project, location, model id, checkpoint id
    epochs: int
    learning_rate_multiplier: float
    adapter: int | None
    train_uri: str
    validation_uri: str | None
    checkpoint_epochs: list[int] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        return HIDDEN_WIDTH.get(self.adapter or 0, DEFAULT_HIDDEN)


def check_adapter(base: str, adapter: int | None) -> None:
    if adapter is not None and adapter not in TUNABLE[base]:
        sizes = ", ".join(n for n, v in ADAPTER_SIZES.items() if v in TUNABLE[base])
        raise ApiError(
            400,
            "The adapter size is not supported for this base model.",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [
                        {
                            "field": "supervisedTuningSpec.hyperParameters.adapterSize",
                            "description": f"{base} takes {sizes}",
                        }
                    ],
                }
            ],
        )


def _gcs_uri(value: Any, where: str) -> str:
    uri = as_text(value, where)
    if not re.fullmatch(r"gs://[^/]+/.+", uri):
        raise invalid(where, f"must be a Cloud Storage object URI (gs://BUCKET/OBJECT.jsonl), got {uri!r}")
    if not uri.endswith(".jsonl"):
        raise invalid(where, f"{uri} should be a GCS object of type JSONL (one JSON example per line, named .jsonl)")
    return uri


def parse_create(body: Any) -> CreateRequest:
    """Check the fields of a CreateTuningJob body (keys already camel-cased)."""
    body = {k: v for k, v in as_object(body, "tuningJob").items() if v is not None}
    _unknown(body, _TOP | _OUTPUT_ONLY, "tuning_job")
    pre_tuned = None
    base = None
    if "preTunedModel" in body:
        pre = as_object(body["preTunedModel"], "preTunedModel")
        _unknown(pre, {"tunedModelName", "checkpointId", "baseModel"}, "tuning_job.pre_tuned_model")
        name = as_text(pre.get("tunedModelName", ""), "preTunedModel.tunedModelName")
        match = TUNED_MODEL.match(name)
        if match is None:
            raise invalid("preTunedModel.tunedModelName", "must name a tuned model: projects/P/locations/L/models/ID")
        checkpoint = str(pre["checkpointId"]) if pre.get("checkpointId") is not None else None
        pre_tuned = (match["project"], match["location"], match["id"], checkpoint)
    elif not body.get("baseModel"):
        raise invalid("baseModel", f"is required (one of {', '.join(TUNABLE)}), or give preTunedModel")
    else:
        base = base_model_id(as_text(body["baseModel"], "baseModel"))
        if base is None:
            raise invalid("baseModel", f"{body['baseModel']} cannot be tuned; supported: {', '.join(TUNABLE)}")
    spec = (
        as_object(body.get("supervisedTuningSpec"), "supervisedTuningSpec") if "supervisedTuningSpec" in body else None
    )
    if spec is None:
        raise invalid("supervisedTuningSpec", "is required, with trainingDatasetUri (gs://BUCKET/OBJECT.jsonl)")
    spec = {k: v for k, v in spec.items() if v is not None}
    _unknown(spec, _SPEC, "tuning_job.supervised_tuning_spec")
    if spec.get("tuningMode") not in (None, "TUNING_MODE_PEFT_ADAPTER"):
        raise invalid(
            "supervisedTuningSpec.tuningMode", "the local emulator tunes adapters only (TUNING_MODE_PEFT_ADAPTER)"
        )
    if "trainingDatasetUri" not in spec:
        raise invalid("supervisedTuningSpec.trainingDatasetUri", "is required: gs://BUCKET/OBJECT.jsonl")
    train = _gcs_uri(spec["trainingDatasetUri"], "supervisedTuningSpec.trainingDatasetUri")
    validation = None
    if spec.get("validationDatasetUri"):
        validation = _gcs_uri(spec["validationDatasetUri"], "supervisedTuningSpec.validationDatasetUri")
    hp = {k: v for k, v in as_object(spec.get("hyperParameters") or {}, "hyperParameters").items() if v is not None}
    where = "supervisedTuningSpec.hyperParameters."
    for key in ("batchSize", "learningRate"):
        if key in hp:
            raise invalid(
                where + key,
                "is for open models only; Gemini tuning takes epochCount, learningRateMultiplier and adapterSize",
            )
    _unknown(
        hp,
        {"epochCount", "learningRateMultiplier", "adapterSize"},
        "tuning_job.supervised_tuning_spec.hyper_parameters",
    )
    epochs = as_integer(hp.get("epochCount", DEFAULT_EPOCHS), where + "epochCount", 1, MAX_EPOCHS)
    multiplier = as_number(
        hp.get("learningRateMultiplier", 1.0), where + "learningRateMultiplier", 0.0, MAX_MULTIPLIER, open_low=True
    )
    adapter = None
    if hp.get("adapterSize") not in (None, "ADAPTER_SIZE_UNSPECIFIED"):
        if hp["adapterSize"] not in ADAPTER_SIZES:
            raise invalid(
                where + "adapterSize", f"must be one of {', '.join(ADAPTER_SIZES)}, got {hp['adapterSize']!r}"
            )
        adapter = ADAPTER_SIZES[hp["adapterSize"]]
    if base is not None:
        check_adapter(base, adapter)
    last_only = spec.get("exportLastCheckpointOnly", False)
    if not isinstance(last_only, bool):
        raise invalid("supervisedTuningSpec.exportLastCheckpointOnly", "must be true or false")
    labels = as_object(body.get("labels") or {}, "labels")
    for key, value in labels.items():
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,62}", key) or not isinstance(value, str) or len(value) > 63:
            raise invalid(
                f"labels.{key}",
                "label keys start with a lowercase letter; keys and values: at most 63 "
                "lowercase letters, digits, '_' or '-'",
            )
    echoed_hp: dict[str, Any] = {"epochCount": str(epochs), "learningRateMultiplier": multiplier}
    if adapter is not None:
        echoed_hp["adapterSize"] = hp["adapterSize"]
    echoed_spec: dict[str, Any] = {"trainingDatasetUri": train, "hyperParameters": echoed_hp}
    if validation:
        echoed_spec["validationDatasetUri"] = validation
    if last_only:
        echoed_spec["exportLastCheckpointOnly"] = True
    echo: dict[str, Any] = {
        "tunedModelDisplayName": as_text(
            body.get("tunedModelDisplayName", ""), "tunedModelDisplayName", MAX_DISPLAY_NAME
        ),
        "description": as_text(body.get("description", ""), "description", MAX_DESCRIPTION),
        "supervisedTuningSpec": echoed_spec,
        "labels": labels,
    }
    if pre_tuned is not None:
        echo["preTunedModel"] = {"tunedModelName": body["preTunedModel"]["tunedModelName"]}
        if pre_tuned[3] is not None:
            echo["preTunedModel"]["checkpointId"] = pre_tuned[3]
    return CreateRequest(
        echo, base, pre_tuned, epochs, multiplier, adapter, train, validation, checkpoint_epochs(epochs, last_only)
    )


def check_dataset(path: Path, uri: str, where: str, count_limit: int | None = None) -> int | None:
    """Refuse an object that is not JSONL (first line not a JSON object) or, with a limit, has too many lines.

    Returns the example count when `count_limit` is given. Reads line by line.
    """
    count = 0
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            if count == 0:
                try:
                    first = orjson.loads(line)
                except orjson.JSONDecodeError:
                    raise invalid(where, f"{uri} is not JSONL: line {number} is not a JSON object") from None
                if not isinstance(first, dict):
                    raise invalid(
                        where,
                        f"{uri} is not JSONL: line {number} is a JSON {type(first).__name__}, "
                        'not an object with "contents"',
                    )
            count += 1
            if count_limit is None:
                return None
            if count > count_limit:
                raise invalid(
                    where, f"{uri} has more than {count_limit} examples; a validation set holds at most {count_limit}"
                )
    if count == 0:
        raise invalid(where, f"{uri} is empty; give one JSON example per line")
    return count
