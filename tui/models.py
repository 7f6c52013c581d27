"""Domain models shared by every layer: examples, datasets, findings, hyperparameters, jobs.

Validated once at the edge (file reader, form, HTTP body) and trusted inside. This module
imports nothing heavier than pydantic so the first frame of the app never waits for it.
"""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Advice and limits from the Gemini tuning guide (reference/seed.md).
DEFAULT_EPOCHS = 5
DEFAULT_BATCH_SIZE = 4
DEFAULT_LEARNING_RATE = 0.001
MAX_EPOCHS = 1000
MAX_BATCH_SIZE = 1024
MIN_EXAMPLES = 20
ADVISED_EXAMPLES = (100, 500)
MAX_INPUT_CHARS = 40_000
MAX_OUTPUT_CHARS = 5_000
MAX_INLINE_BYTES = 4 * 1024 * 1024
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


class DatasetFormat(StrEnum):
    """On-disk formats a dataset can be read from."""

    JSONL = "jsonl"  # one {"text_input", "output"} object per line
    JSON = "json"  # a JSON array of such objects
    CSV = "csv"
    TSV = "tsv"
    VERTEX = "vertex"  # {"contents": [{"role", "parts": [{"text"}]}], "systemInstruction"?}
    CHAT = "chat"  # {"messages": [{"role", "content"}]}


class Task(StrEnum):
    """What the tuned model is for; decides how many examples are advised."""

    CLASSIFICATION = "classification"
    SUMMARIZATION = "summarization"
    DOCUMENT_SEARCH = "document-search"
    GENERATION = "generation"


class Example(Frozen):
    """One training example: an input prompt and the output the model should give."""

    text_input: str
    output: str
    line: int = Field(default=0, description="1-based line (or record) in the source file")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Finding(Frozen):
    """Something the lint engine found, with where it is and what to do about it."""

    rule: str
    severity: Severity
    message: str
    hint: str = ""
    path: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None


class LengthSummary(Frozen):
    """Distribution of lengths in characters."""

    count: int = 0
    min: int = 0
    max: int = 0
    mean: float = 0.0
    p50: int = 0
    p95: int = 0
    histogram: tuple[int, ...] = ()
    bin_edges: tuple[int, ...] = ()


class DatasetStats(Frozen):
    """Numbers about a dataset, computed in one pass."""

    examples: int = 0
    input_chars: LengthSummary = LengthSummary()
    output_chars: LengthSummary = LengthSummary()
    estimated_tokens: int = Field(0, description="an estimate (chars / 4), not a tokenizer count")
    duplicates: int = 0
    conflicting_inputs: int = 0
    labels: dict[str, int] | None = None
    inline_bytes: int = 0


class Dataset(Frozen):
    """Metadata of a dataset file; the rows stay on disk behind a lazy index."""

    path: Path
    format: DatasetFormat
    size_bytes: int
    examples: int
    sha256: str | None = None
    input_column: str | None = None
    output_column: str | None = None


class Hyperparameters(Frozen):
    """Tuning settings. Learning rate and multiplier are mutually exclusive."""

    epoch_count: int = Field(DEFAULT_EPOCHS, ge=1, le=MAX_EPOCHS)
    batch_size: int = Field(DEFAULT_BATCH_SIZE, ge=1, le=MAX_BATCH_SIZE)
    learning_rate: float | None = Field(None, gt=0, le=1)
    learning_rate_multiplier: float | None = Field(None, gt=0, le=100)

    @model_validator(mode="after")
    def _one_learning_rate_option(self) -> Hyperparameters:
        if self.learning_rate is not None and self.learning_rate_multiplier is not None:
            raise ValueError("give a learning rate or a learning-rate multiplier, not both")
        return self

    @property
    def effective_learning_rate(self) -> float:
        """The learning rate the job trains with (multiplier x default, per the API)."""
        return effective_learning_rate(self.learning_rate, self.learning_rate_multiplier)

    def total_steps(self, examples: int) -> int:
        """Steps the API reports for a job: ceil(examples x epochs / batch size)."""
        return total_steps(examples, self.epoch_count, self.batch_size)

    def to_api(self) -> dict:
        """The camelCase `hyperparameters` object of a TunedModel."""
        body: dict = {"epochCount": self.epoch_count, "batchSize": self.batch_size}
        if self.learning_rate_multiplier is not None:
            body["learningRateMultiplier"] = self.learning_rate_multiplier
        else:
            body["learningRate"] = self.effective_learning_rate
        return body


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


class Snapshot(Frozen):
    """One point of the loss curve: a TuningSnapshot."""

    step: int
    epoch: int
    mean_loss: float
    compute_time: datetime | None = None


class JobSpec(Frozen):
    """What the user asks for when launching a tuning job."""

    display_name: str = Field("", max_length=40)
    base_model: str = DEFAULT_BASE_MODEL
    hyperparameters: Hyperparameters = Hyperparameters()
    description: str = ""


class Job(BaseModel):
    """A tuning job: a tuned model on a backend, as known to this app."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="tunedModels/ID")
    backend: str = Field("local", description="'local' or 'gemini'")
    display_name: str = ""
    base_model: str = DEFAULT_BASE_MODEL
    state: JobState = JobState.PENDING
    operation: str | None = None
    hyperparameters: Hyperparameters = Hyperparameters()
    total_steps: int = 0
    completed_steps: int = 0
    snapshots: list[Snapshot] = Field(default_factory=list)
    error: str | None = None
    dataset_path: str | None = None
    dataset_sha256: str | None = None
    dataset_examples: int | None = None
    launched_here: bool = False
    created: datetime | None = None
    updated: datetime | None = None
    started: datetime | None = None
    completed: datetime | None = None
    last_polled: datetime | None = None

    @property
    def id(self) -> str:
        return self.name.removeprefix("tunedModels/")

    @property
    def progress(self) -> float:
        """Fraction done, 0..1."""
        if self.state is JobState.ACTIVE:
            return 1.0
        return min(1.0, self.completed_steps / self.total_steps) if self.total_steps else 0.0

    @property
    def latest_loss(self) -> float | None:
        return self.snapshots[-1].mean_loss if self.snapshots else None


class BaseModelInfo(Frozen):
    """A model on the backend that can be tuned."""

    name: str
    display_name: str = ""
    input_token_limit: int | None = None
    output_token_limit: int | None = None
