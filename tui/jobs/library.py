"""The tuned-model library, backend-neutral: what Models and `tunedeck models` list, rename and delete.

On the Gemini API a tuned model *is* its job (`tunedModels/ID`), so the library is the job
list. On Vertex AI a tuning job leaves a Model in the Model Registry and Endpoints serving
it; the backend's `models` registry (`tui.jobs.vertex.models.TunedModels`) lists them, renames
a model's display name and deletes it in planned steps: undeploy it from each endpoint,
delete each endpoint nothing else is deployed on, then delete the model (Vertex refuses to
delete a model while an endpoint serves it). A step that fails stops the delete and says
what was done, what failed and what is left (`DeletionFailed`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from tui.jobs.errors import BackendError, ErrorKind
from tui.models import Job, JobSpec, JobState

if TYPE_CHECKING:
    from tui.jobs.manager import JobManager

Action = Literal["undeploy", "delete-endpoint", "delete-model"]
MAX_DISPLAY_NAME: int = JobSpec.model_fields["display_name"].metadata[0].max_length  # the job form's limit too


def display_name_problem(value: str, limit: int = MAX_DISPLAY_NAME) -> str | None:
    """Why `value` cannot be a tuned model's display name, in the job form's words; None when it can."""
    if not value.strip():
        return "A display name cannot be empty."
    if len(value) > limit:
        return f"Display name is {len(value)} characters; at most {limit} fit (shorten it by {len(value) - limit})."
    return None


@dataclass(frozen=True)
class TunedModel:
    """One tuned model: its name on the backend, what it is called, what it came from and where it is served."""

    name: str
    display_name: str
    base_model: str
    endpoints: tuple[str, ...] = ()
    created: datetime | None = None
    job: str | None = None  # the tuning job it came from
    state: JobState | None = None  # the Gemini API's tuned models have a state (their job's)

    @property
    def id(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "id": self.id, "display_name": self.display_name, "base_model": self.base_model,
                "endpoints": list(self.endpoints), "created": self.created.isoformat() if self.created else None,
                "job": self.job, "state": self.state.value if self.state else None}


@dataclass(frozen=True)
class DeletionStep:
    """One call of a delete: undeploy the model from an endpoint, delete an endpoint, or delete the model."""

    action: Action
    resource: str  # the endpoint, or the model
    deployed_model_id: str | None = None

    def words(self, model: str = "the model") -> str:
        if self.action == "undeploy":
            return f"undeploy {model} from endpoint {self.resource}"
        if self.action == "delete-endpoint":
            return f"delete endpoint {self.resource}"
        return f"delete model {self.resource}"

    def as_json(self) -> dict[str, Any]:
        return {"action": self.action, "resource": self.resource}


@dataclass(frozen=True)
class DeletionPlan:
    """What a delete will do, in order, and what it leaves alone."""

    model: str
    display_name: str
    steps: tuple[DeletionStep, ...]
    shared_endpoints: tuple[str, ...] = ()  # endpoints that also serve other models: undeployed, kept
    job: str | None = None

    @property
    def endpoints(self) -> tuple[str, ...]:
        """The endpoints the delete removes."""
        return tuple(s.resource for s in self.steps if s.action == "delete-endpoint")

    def what_goes(self) -> list[str]:
        """The confirmation's paragraphs: exactly what goes, and what stays."""
        title = f"“{self.display_name}” " if self.display_name else ""
        lines = [f"This deletes the tuned model {title}({self.model})."]
        if self.endpoints:
            count = len(self.endpoints)
            lines.append(f"With it go the {count} endpoint{'s' if count > 1 else ''} serving it (each checkpoint "
                         "is served at its own endpoint): " + ", ".join(self.endpoints) + ".")
        else:
            lines.append("No endpoint serves it now.")
        if self.shared_endpoints:
            lines.append("Also serving other models, so kept (the model is only undeployed from them): "
                         + ", ".join(self.shared_endpoints) + ".")
        undeploys = sum(s.action == "undeploy" for s in self.steps)
        order = [f"undeploy it from {undeploys} endpoint{'s' if undeploys != 1 else ''}"] if undeploys else []
        if self.endpoints:
            order.append(f"delete {'those endpoints' if len(self.endpoints) > 1 else 'that endpoint'}")
        if any(s.action == "delete-model" for s in self.steps):
            order.append("delete the model")
        lines.append(f"In order: {', then '.join(order)} (Vertex AI deletes no model an endpoint still serves).")
        if self.job:
            lines.append(f"The tuning job's record ({self.job}) and the uploaded dataset stay. This cannot be undone.")
        else:
            lines.append("This cannot be undone.")
        return lines

    def as_json(self) -> dict[str, Any]:
        return {"model": self.model, "display_name": self.display_name, "job": self.job,
                "endpoints": list(self.endpoints), "shared_endpoints": list(self.shared_endpoints),
                "steps": [s.as_json() for s in self.steps]}


@dataclass
class DeletionProgress:
    """Steps done so far (with whether the resource was already gone)."""

    done: list[DeletionStep] = field(default_factory=list)
    already_gone: list[DeletionStep] = field(default_factory=list)


class DeletionFailed(BackendError):
    """A step of a delete failed: the steps before it are done, it and the ones after are not."""

    def __init__(self, plan: DeletionPlan, progress: DeletionProgress, failed: DeletionStep, cause: BackendError):
        self.plan, self.progress, self.failed, self.cause = plan, progress, failed, cause
        left = plan.steps[plan.steps.index(failed):]
        done = "; ".join(s.words() for s in progress.done) or "nothing"
        message = (f"deleting {plan.model} stopped at step {len(progress.done) + 1} of {len(plan.steps)}: "
                   f"{failed.words()} failed ({cause}). Done: {done}. Not done: {'; '.join(s.words() for s in left)}")
        super().__init__(cause.kind, message, "run the delete again: it starts from what is left", cause.status,
                         cause.retry_after)

    def as_json(self) -> dict[str, Any]:
        left = self.plan.steps[self.plan.steps.index(self.failed):]
        return {"done": [s.as_json() for s in self.progress.done], "failed": self.failed.as_json(),
                "not_done": [s.as_json() for s in left], "cause": self.cause.message}


StepDone = Callable[[DeletionStep], None]


class ModelRegistry(Protocol):
    """A backend's tuned models apart from its jobs (Vertex AI's Model Registry)."""

    async def list(self) -> list[TunedModel]: ...

    async def rename(self, name: str, display_name: str) -> TunedModel: ...

    async def plan_delete(self, name: str) -> DeletionPlan: ...

    async def delete(self, plan: DeletionPlan, on_step: StepDone | None = None) -> DeletionProgress: ...


def registry_of(manager: JobManager) -> ModelRegistry | None:
    """The backend's model registry, or None when its tuned models are its jobs (the Gemini API)."""
    registry = getattr(manager.backend, "models", None)
    return registry if registry is not None and hasattr(registry, "plan_delete") else None


def from_job(job: Job) -> TunedModel:
    """A Gemini API tuned model (its job)."""
    return TunedModel(name=job.name, display_name=job.display_name, base_model=job.base_model,
                      endpoints=(job.endpoint,) if job.endpoint else (), created=job.created, job=job.name,
                      state=job.state)


async def list_models(manager: JobManager) -> list[TunedModel]:
    """Every tuned model on the backend, newest first."""
    registry = registry_of(manager)
    if registry is None:
        return [from_job(job) for job in manager.jobs if job.state is not JobState.DELETED]
    return await registry.list()


def find(models: Sequence[TunedModel], wanted: str) -> TunedModel:
    """The model named by its full name (with or without @version), its id, or the job it came from (or its id)."""
    bare = wanted.split("@", 1)[0]
    for model in models:
        if bare in (model.name, model.id):
            return model
    for model in models:
        if model.job and bare in (model.job, model.job.rsplit("/", 1)[-1]):
            return model
    raise BackendError(ErrorKind.NOT_FOUND, f"no tuned model {wanted}",
                       "see `tunedeck models list` for the names and ids")
