"""Translation between tunedeck's domain types and Vertex AI's tuning protocol, both ways.

Out: a `JobSpec` becomes google-genai's typed `CreateTuningJobConfig` (display name,
epochs, learning-rate multiplier, adapter size, validation dataset, labels, export last
checkpoint only) and the `tune` arguments (a base model, or a tuned model to continue from).
In: google-genai's `TuningJob` becomes a `Job` (state and sub-state in words, hyperparameters,
exact data statistics, checkpoints, endpoint), and TensorBoard points become `CurvePoint`s.
Reference: vertex-tuning-api.md §1.2-1.3, vertex-discovery-extract.md.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from tui.jobs.vertex.curves import RawPoint
from tui.models import Checkpoint, CurvePoint, DataStats, Hyperparameters, Job, JobSpec, JobState

ADAPTER_SIZES = {1: "ADAPTER_SIZE_ONE", 2: "ADAPTER_SIZE_TWO", 4: "ADAPTER_SIZE_FOUR", 8: "ADAPTER_SIZE_EIGHT",
                 16: "ADAPTER_SIZE_SIXTEEN", 32: "ADAPTER_SIZE_THIRTY_TWO"}
ADAPTER_NUMBERS = {name: size for size, name in ADAPTER_SIZES.items()}
STATES = {  # Vertex JobState → (tunedeck state, sub-state in words)
    "JOB_STATE_QUEUED": (JobState.CREATING, "queued"),
    "JOB_STATE_PENDING": (JobState.CREATING, "waiting to start"),
    "JOB_STATE_RUNNING": (JobState.CREATING, None),
    "JOB_STATE_SUCCEEDED": (JobState.ACTIVE, None),
    "JOB_STATE_FAILED": (JobState.FAILED, None),
    "JOB_STATE_CANCELLING": (JobState.CREATING, "cancelling"),
    "JOB_STATE_CANCELLED": (JobState.CANCELLED, None),
    "JOB_STATE_PAUSED": (JobState.CREATING, "paused"),
    "JOB_STATE_EXPIRED": (JobState.FAILED, "expired"),
    "JOB_STATE_UPDATING": (JobState.CREATING, "updating"),
    "JOB_STATE_PARTIALLY_SUCCEEDED": (JobState.ACTIVE, "partly succeeded"),
}
SUB_STATES = {  # TuningJobState, the detail while running
    "TUNING_JOB_STATE_WAITING_FOR_QUOTA": "waiting for quota",
    "TUNING_JOB_STATE_PROCESSING_DATASET": "processing the dataset",
    "TUNING_JOB_STATE_WAITING_FOR_CAPACITY": "waiting for capacity",
    "TUNING_JOB_STATE_TUNING": "tuning",
    "TUNING_JOB_STATE_POST_PROCESSING": "post-processing",
}
CANCELLED_CODE = 1  # google.rpc.Code.CANCELLED: the error a cancelled job carries
LABEL_RULE = re.compile(r"[^a-z0-9_-]")
CHECKPOINT_MARK = "/checkpoints/"


def _value(enum_or_str: Any) -> str:
    """The string of an SDK enum (or of an unknown value the SDK passed through)."""
    return str(getattr(enum_or_str, "value", enum_or_str) or "")


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def label(value: str) -> str:
    """A Cloud label value: lower-case letters, digits, `_` and `-`, at most 63 characters."""
    return LABEL_RULE.sub("-", value.lower())[:63]


def labels_for(spec: JobSpec, dataset_sha256: str | None, launch_id: str | None) -> dict[str, str]:
    """The job's labels: the user's, the dataset fingerprint, and the launch id that makes retries safe."""
    found = {label(k) or "label": label(v) for k, v in spec.labels.items()}
    if dataset_sha256:
        found["tunedeck-dataset"] = dataset_sha256[:16]
    if launch_id:
        found["tunedeck-launch"] = label(launch_id)
    return found


def split_checkpoint(base_model: str) -> tuple[str, str | None]:
    """A tuned model to continue from and its checkpoint: `projects/…/models/M/checkpoints/2` → (model, "2")."""
    if CHECKPOINT_MARK in base_model:
        model, checkpoint = base_model.split(CHECKPOINT_MARK, 1)
        return model, checkpoint or None
    return base_model, None


def tune_request(spec: JobSpec, training_uri: str, validation_uri: str | None, labels: Mapping[str, str]) -> dict:
    """Keyword arguments of `client.aio.tunings.tune`, with the typed config."""
    from google.genai import types

    base_model, checkpoint = split_checkpoint(spec.base_model)
    hp = spec.hyperparameters
    config = types.CreateTuningJobConfig(
        tuned_model_display_name=spec.display_name or None,
        description=spec.description or None,
        epoch_count=hp.epoch_count,
        learning_rate_multiplier=hp.learning_rate_multiplier,
        adapter_size=types.AdapterSize(ADAPTER_SIZES[hp.adapter_size]) if hp.adapter_size else None,
        validation_dataset=types.TuningValidationDataset(gcs_uri=validation_uri) if validation_uri else None,
        labels=dict(labels) or None,
        export_last_checkpoint_only=True if spec.export_last_checkpoint_only else None,
        pre_tuned_model_checkpoint_id=checkpoint,
    )
    return {"base_model": base_model, "training_dataset": types.TuningDataset(gcs_uri=training_uri), "config": config}


def create_body(spec: JobSpec, training_uri: str, validation_uri: str | None, labels: Mapping[str, str]) -> dict:
    """The JSON google-genai sends for `tune_request` (reference §1.2), for "show the call"; nothing is sent."""
    base_model, checkpoint = split_checkpoint(spec.base_model)
    hp = spec.hyperparameters
    hyper = {k: v for k, v in (("epochCount", hp.epoch_count), ("learningRateMultiplier", hp.learning_rate_multiplier),
                               ("adapterSize", ADAPTER_SIZES.get(hp.adapter_size or 0))) if v is not None}
    tuning: dict[str, Any] = {"trainingDatasetUri": training_uri}
    if validation_uri:
        tuning["validationDatasetUri"] = validation_uri
    if hyper:
        tuning["hyperParameters"] = hyper
    if spec.export_last_checkpoint_only:
        tuning["exportLastCheckpointOnly"] = True
    body: dict[str, Any] = {}
    if "/models/" in base_model:  # continuing from a tuned model: the SDK sends snake_case keys here
        body["preTunedModel"] = {"tuned_model_name": base_model}
        if checkpoint:
            body["preTunedModel"]["checkpoint_id"] = checkpoint
    else:
        body["baseModel"] = base_model
    body["supervisedTuningSpec"] = tuning
    for key, value in (("tunedModelDisplayName", spec.display_name), ("description", spec.description),
                       ("labels", dict(labels))):
        if value:
            body[key] = value
    return body


def hyperparameters_from_sdk(spec: Any) -> Hyperparameters:
    hp = getattr(spec, "hyper_parameters", None)
    if hp is None:
        return Hyperparameters()
    multiplier, rate = hp.learning_rate_multiplier, hp.learning_rate
    fields = {"epoch_count": _int(hp.epoch_count), "batch_size": _int(hp.batch_size),
              "learning_rate_multiplier": multiplier if multiplier else None,
              "learning_rate": rate if rate and not multiplier else None,
              "adapter_size": ADAPTER_NUMBERS.get(_value(hp.adapter_size))}
    try:
        return Hyperparameters(**{k: v for k, v in fields.items() if v is not None})
    except ValueError:
        return Hyperparameters()


def data_stats_from_sdk(stats: Any) -> DataStats | None:
    """The exact counts Vertex reports once it has read the dataset."""
    sft = getattr(stats, "supervised_tuning_data_stats", None)
    if sft is None:
        return None
    dropped = Counter(str(r) for r in (sft.dropped_example_reasons or []))
    return DataStats(examples=_int(sft.tuning_dataset_example_count),
                     billable_tokens=_int(sft.total_billable_token_count),
                     truncated_examples=_int(sft.total_truncated_example_count),
                     dropped_examples=dict(dropped), exact=True)


def estimated_data_stats(examples: int, estimated_tokens: int, epochs: int | None) -> DataStats:
    """Before launch: billable tokens ≈ dataset tokens x epochs (an estimate; Vertex's exact count replaces it)."""
    return DataStats(examples=examples, billable_tokens=estimated_tokens * (epochs or 1) if epochs else None,
                     exact=False)


def checkpoints_from_sdk(tuned: Any) -> list[Checkpoint]:
    return [Checkpoint(checkpoint_id=str(c.checkpoint_id or i + 1), epoch=_int(c.epoch), step=_int(c.step),
                       endpoint=c.endpoint or None)
            for i, c in enumerate(getattr(tuned, "checkpoints", None) or [])]


def state_from_sdk(state: Any, detail: Any) -> tuple[JobState, str | None]:
    """The tunedeck state and the sub-state in words ("waiting for quota", "processing the dataset", …)."""
    mapped, words = STATES.get(_value(state), (JobState.CREATING, None))
    if _value(state) == "JOB_STATE_RUNNING":
        words = SUB_STATES.get(_value(detail)) or "running"
    return mapped, words


def _time(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def job_from_sdk(tuning_job: Any, backend: str) -> Job:
    """A Job from google-genai's TuningJob (Vertex mode), without curves (see `curve_points`)."""
    state, sub_state = state_from_sdk(tuning_job.state, tuning_job.tuning_job_state)
    spec = tuning_job.supervised_tuning_spec
    stats = data_stats_from_sdk(tuning_job.tuning_data_stats)
    sft = getattr(tuning_job.tuning_data_stats, "supervised_tuning_data_stats", None)
    metadata = tuning_job.tuning_job_metadata
    tuned = tuning_job.tuned_model
    error = tuning_job.error
    message = None
    if error is not None and state is JobState.FAILED:
        message = error.message or f"error code {error.code}"
    base = tuning_job.base_model or getattr(tuning_job.pre_tuned_model, "tuned_model_name", None) or ""
    return Job(
        name=tuning_job.name or "",
        backend=backend,
        display_name=tuning_job.tuned_model_display_name or "",
        base_model=base,
        state=state,
        sub_state=sub_state,
        endpoint=getattr(tuned, "endpoint", None) or None,
        hyperparameters=hyperparameters_from_sdk(spec),
        total_steps=_int(getattr(sft, "tuning_step_count", None)) or 0,
        completed_steps=_int(getattr(metadata, "completed_step_count", None)) or 0,
        checkpoints=checkpoints_from_sdk(tuned),
        data_stats=stats,
        error=message,
        dataset_uri=getattr(spec, "training_dataset_uri", None) or None,
        created=_time(tuning_job.create_time),
        updated=_time(tuning_job.update_time),
        started=_time(tuning_job.start_time),
        completed=_time(tuning_job.end_time),
    )


def completed_epochs(tuning_job: Any) -> int | None:
    return _int(getattr(tuning_job.tuning_job_metadata, "completed_epoch_count", None))


def validation_uri(tuning_job: Any) -> str | None:
    return getattr(tuning_job.supervised_tuning_spec, "validation_dataset_uri", None) or None


def curve_points(points: Iterable[RawPoint], steps_per_epoch: float | None) -> list[CurvePoint]:
    """TensorBoard points as CurvePoints; the epoch follows from the step when steps per epoch are known."""
    return [CurvePoint(step=step, value=value, time=time,
                       epoch=max(1, math.ceil(step / steps_per_epoch)) if steps_per_epoch else None)
            for step, value, time in points]


def steps_per_epoch(job: Job) -> float | None:
    epochs = job.hyperparameters.epoch_count
    return job.total_steps / epochs if job.total_steps and epochs else None
