"""Domain models shared by every layer: examples, datasets, findings, hyperparameters, jobs.

The dataset side (examples, findings, stats, formats, tasks) lives in `tui.datasets.values`,
free of pydantic; its names are re-exported here.

Backend-neutral: no wire names (camelCase) and no protocol words; each backend module
translates its protocol to and from these types.

Validated once at the edge (file reader, form, HTTP body) and trusted inside. This module
imports nothing heavier than pydantic so the first frame of the app never waits for it.
"""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tui.datasets.values import ADVISED_EXAMPLES as ADVISED_EXAMPLES
from tui.datasets.values import MAX_INLINE_BYTES as MAX_INLINE_BYTES
from tui.datasets.values import MAX_INPUT_CHARS as MAX_INPUT_CHARS
from tui.datasets.values import MAX_OUTPUT_CHARS as MAX_OUTPUT_CHARS
from tui.datasets.values import MIN_EXAMPLES as MIN_EXAMPLES
from tui.datasets.values import Dataset as Dataset
from tui.datasets.values import DatasetFormat as DatasetFormat
from tui.datasets.values import DatasetStats as DatasetStats
from tui.datasets.values import Example as Example
from tui.datasets.values import Finding as Finding
from tui.datasets.values import LengthSummary as LengthSummary
from tui.datasets.values import Severity as Severity
from tui.datasets.values import Task as Task

# Advice and limits from the Gemini tuning guide (reference/seed.md); the Gemini backend
# offers these defaults for a new job through its capabilities.
DEFAULT_EPOCHS = 5
DEFAULT_BATCH_SIZE = 4
DEFAULT_LEARNING_RATE = 0.001
MAX_EPOCHS = 1000
MAX_BATCH_SIZE = 1024
DEFAULT_BASE_MODEL = "models/gemini-1.5-flash-001-tuning"


def total_steps(examples: int, epochs: int, batch_size: int) -> int:
    """Steps of a tuning job: ceil(examples x epochs / batch size)."""
    return math.ceil(examples * epochs / batch_size)


def effective_learning_rate(learning_rate: float | None, multiplier: float | None) -> float:
    """The learning rate a job trains with: the rate given, else multiplier x the default."""
    if learning_rate is not None:
        return learning_rate
    return (multiplier or 1.0) * DEFAULT_LEARNING_RATE


class Frozen(BaseModel):
    """Base for immutable value objects."""

    model_config = ConfigDict(frozen=True, extra="forbid")


ADAPTER_SIZES = (1, 2, 4, 8, 16, 32)
# Names of the curves a job can carry (`Job.curves`); a backend reports the ones it knows.
TRAIN_LOSS = "train_loss"
EVAL_LOSS = "eval_loss"
TRAIN_ACCURACY = "train_accuracy"
EVAL_ACCURACY = "eval_accuracy"


class Hyperparameters(Frozen):
    """Tuning settings. A value the backend did not report stays None: never a default.

    Learning rate and multiplier are mutually exclusive. Defaults for a new job come from
    the backend's capabilities (`with_defaults`).
    """

    epoch_count: int | None = Field(None, ge=1, le=MAX_EPOCHS)
    batch_size: int | None = Field(None, ge=1, le=MAX_BATCH_SIZE)
    learning_rate: float | None = Field(None, gt=0, le=1)
    learning_rate_multiplier: float | None = Field(None, gt=0, le=100)
    adapter_size: int | None = Field(None, description="LoRA adapter size: 1, 2, 4, 8, 16 or 32")

    @model_validator(mode="after")
    def _check(self) -> Hyperparameters:
        if self.learning_rate is not None and self.learning_rate_multiplier is not None:
            raise ValueError("give a learning rate or a learning-rate multiplier, not both")
        if self.adapter_size is not None and self.adapter_size not in ADAPTER_SIZES:
            raise ValueError(f"adapter size must be one of {', '.join(map(str, ADAPTER_SIZES))}")
        return self

    def with_defaults(self, defaults: Hyperparameters) -> Hyperparameters:
        """These values, with `defaults` where a value is missing (one learning-rate option at most)."""
        given = self.model_dump(exclude_none=True)
        values = {**defaults.model_dump(exclude_none=True), **given}
        if "learning_rate" in given:
            values.pop("learning_rate_multiplier", None)
        elif "learning_rate_multiplier" in given:
            values.pop("learning_rate", None)
        return Hyperparameters(**values)

    def effective_learning_rate(self, base_rate: float | None) -> float | None:
        """The learning rate the job trains with: the rate, or multiplier x the backend's base rate."""
        if self.learning_rate is not None:
            return self.learning_rate
        if base_rate is None:
            return None
        return (self.learning_rate_multiplier or 1.0) * base_rate

    def total_steps(self, examples: int) -> int | None:
        """Steps a job takes: ceil(examples x epochs / batch size); None when either is unknown."""
        if self.epoch_count is None or self.batch_size is None:
            return None
        return total_steps(examples, self.epoch_count, self.batch_size)


class JobState(StrEnum):
    """State of a tuning job as the app shows it (TunedModel.state plus what we know)."""

    PENDING = "PENDING"  # launched here, no answer from the backend yet
    CREATING = "CREATING"  # training
    ACTIVE = "ACTIVE"  # ready
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"  # cancelled by the user; the backend may call it FAILED or ACTIVE
    DELETED = "DELETED"  # gone from the backend

    @property
    def finished(self) -> bool:
        return self not in (JobState.PENDING, JobState.CREATING)


VERTEX_STATE_WORDS = {JobState.CREATING: "RUNNING", JobState.ACTIVE: "SUCCEEDED"}  # Vertex AI's JOB_STATE_* words


class CurvePoint(Frozen):
    """One point of a named curve (loss or accuracy) at a training step."""

    step: int
    value: float
    epoch: int | None = None
    time: datetime | None = None


class Checkpoint(Frozen):
    """A saved state of a tuned model during training, callable at its own endpoint."""

    checkpoint_id: str
    epoch: int | None = None
    step: int | None = None
    endpoint: str | None = None


class DataStats(Frozen):
    """What the backend counted in the uploaded dataset."""

    examples: int | None = None
    billable_tokens: int | None = None
    truncated_examples: int | None = None
    dropped_examples: dict[str, int] = Field(default_factory=dict, description="reason -> count")
    exact: bool = Field(True, description="False when the backend estimated from a sample")


class ValidationChoice(Frozen):
    """Where validation examples come from: a file, or a share of the training set split off."""

    path: str | None = None
    split: float | None = Field(None, gt=0, lt=1)
    seed: int = 0

    @model_validator(mode="after")
    def _one_source(self) -> ValidationChoice:
        if (self.path is None) == (self.split is None):
            raise ValueError("give a validation file or a split fraction, not both or neither")
        return self


class JobSpec(Frozen):
    """What the user asks for when launching a tuning job."""

    display_name: str = Field("", max_length=40)
    base_model: str = DEFAULT_BASE_MODEL
    hyperparameters: Hyperparameters = Hyperparameters()
    description: str = ""
    validation: ValidationChoice | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    export_last_checkpoint_only: bool = False
    system_instruction_from_preamble: bool = False


class Job(BaseModel):
    """A tuning job: a tuned model on a backend, as known to this app."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="the backend's resource name, e.g. tunedModels/ID")
    backend: str = Field("local", description="backend key: 'local', 'gemini', 'vertex' or 'vertex-local'")
    display_name: str = ""
    base_model: str = DEFAULT_BASE_MODEL
    state: JobState = JobState.PENDING
    sub_state: str | None = Field(None, description="what the backend is doing, e.g. 'processing the dataset'")
    operation: str | None = Field(None, description="the backend's long-running operation, when it has one")
    endpoint: str | None = Field(None, description="what to call for inference once tuned")
    hyperparameters: Hyperparameters = Hyperparameters()
    total_steps: int = 0
    completed_steps: int = 0
    curves: dict[str, list[CurvePoint]] = Field(default_factory=dict)
    checkpoints: list[Checkpoint] = Field(default_factory=list)
    data_stats: DataStats | None = None
    error: str | None = None
    dataset_path: str | None = None
    dataset_sha256: str | None = None
    dataset_examples: int | None = None
    dataset_uri: str | None = Field(None, description="the uploaded dataset object, when the backend takes uploads")
    validation_examples: int | None = None
    validation: ValidationChoice | None = Field(None, description="the validation set asked for at launch")
    system_instruction: str | None = Field(
        None, description="the system instruction the job was tuned with; sent with every prompt to its model"
    )
    launched_here: bool = False
    created: datetime | None = None
    updated: datetime | None = None
    started: datetime | None = None
    completed: datetime | None = None
    last_polled: datetime | None = None

    @property
    def id(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @property
    def state_word(self) -> str:
        """The state as the job's own service names it: Vertex AI says RUNNING and SUCCEEDED where
        the Gemini API says CREATING and ACTIVE (`state` stays the same for both)."""
        if self.backend.startswith("vertex"):
            return VERTEX_STATE_WORDS.get(self.state, self.state.value)
        return self.state.value

    @property
    def progress(self) -> float:
        """Fraction done, 0..1."""
        if self.state is JobState.ACTIVE:
            return 1.0
        return min(1.0, self.completed_steps / self.total_steps) if self.total_steps else 0.0

    def curve(self, name: str) -> list[CurvePoint]:
        """The points of one named curve (empty when the backend reported none)."""
        return self.curves.get(name, [])

    @property
    def loss_curve(self) -> list[CurvePoint]:
        """The training loss: the curve every backend reports."""
        return self.curves.get(TRAIN_LOSS, [])

    @property
    def latest_loss(self) -> float | None:
        points = self.curves.get(TRAIN_LOSS)
        return points[-1].value if points else None

    @property
    def current_epoch(self) -> int | None:
        """The epoch of the last training-loss point, when the backend says."""
        points = self.curves.get(TRAIN_LOSS)
        return points[-1].epoch if points else None


class BaseModelInfo(Frozen):
    """A model on the backend that can be tuned."""

    name: str
    display_name: str = ""
    input_token_limit: int | None = None
    output_token_limit: int | None = None
