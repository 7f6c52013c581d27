"""The Vertex AI tuning backend: google-genai in Vertex mode, plus raw REST with the same credentials.

google-genai (`vertexai=True`, api_version v1beta1) makes the tuning calls: tune, get,
list, cancel, generate_content. Raw REST (`rest.Rest`) reads the curves
(`curves.CurveReader`), uploads the dataset (`storage.CloudStorage`) and renames or deletes
tuned models (`models.TunedModels`). The same code reaches Google and the local emulator;
only the base URLs and the credentials differ. Every failure becomes a `BackendError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from tui.jobs.backend import BackendCapabilities, CallPreview, LaunchData
from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.http import client_session
from tui.jobs.polling import PollPolicy
from tui.jobs.vertex import wire
from tui.jobs.vertex.credentials import Authorizer
from tui.jobs.vertex.curves import EVAL_CURVES, LOSS_CURVES, RELIST_S, SERIES, CurveReader
from tui.jobs.vertex.errors import translate
from tui.jobs.vertex.launch import Launch, prepare_files
from tui.jobs.vertex.models import TunedModels
from tui.jobs.vertex.place import VertexPlace
from tui.jobs.vertex.rest import Hint, Rest, hint_text
from tui.jobs.vertex.sdk_jobs import SdkJobs
from tui.jobs.vertex.storage import OBJECT_PREFIX, CloudStorage, gs_uri
from tui.models import BaseModelInfo, Example, Hyperparameters, Job, JobSpec

T = TypeVar("T")
API_VERSION = "v1beta1"
DEFAULT_TIMEOUT_S = 30.0
LIST_PAGE_SIZE = 100
# Tunable base models and the adapter sizes each accepts (reference §3.2, §4).
ADAPTER_SIZES: dict[str, tuple[int, ...]] = {
    "gemini-2.5-flash": (1, 2, 4, 8, 16),
    "gemini-2.5-flash-lite": (1, 2, 4, 8, 16),
    "gemini-2.5-pro": (1, 2, 4, 8),
    "gemini-3.5-flash": (1, 2, 4, 8, 16),
    "gemini-3.1-flash-lite": (1, 2, 4, 8, 16),
}
EXAMPLE_TOKENS = 131_072
DEFAULT_BASE_MODEL = "gemini-2.5-flash"
CAPABILITIES = BackendCapabilities(
    protocol="vertex",
    hyperparameters=frozenset({"epoch_count", "learning_rate_multiplier", "adapter_size"}),
    # Epochs and adapter size left empty are Vertex's to choose (it picks by dataset size and model).
    defaults=Hyperparameters(learning_rate_multiplier=1.0),
    adapter_sizes=ADAPTER_SIZES,
    validation_set=True,
    checkpoints=True,
    reports_cancel=True,
    curves=tuple(SERIES.values()),
    uploads_dataset=True,
)
# Jobs on Google take 15-60+ minutes and report new points every few steps: poll every 15 s
# while they change, back off to a minute when they do not, look for new jobs every 2 minutes.
GOOGLE_POLICY = PollPolicy(fast=15.0, slow=60.0, growth=1.5, backoff_base=5.0, backoff_max=300.0,
                           discover_every=120.0, max_concurrency=8)


class VertexBackend:
    """TuningBackend over Vertex AI (Google's or the local emulator's)."""

    capabilities = CAPABILITIES

    def __init__(self, place: VertexPlace, credentials: Any, *, quota_project: str | None = None, identity: str = "",
                 name: str = "vertex", description: str = "Vertex AI", work_dir: Path | None = None,
                 timeout: float = DEFAULT_TIMEOUT_S, unreachable_hint: Hint = "check your network connection",
                 poll_policy: PollPolicy | None = GOOGLE_POLICY, describe: Callable[[], str] | None = None) -> None:
        from google import genai  # noqa: F401 - loaded now, off the UI's critical path, not on the first call

        self.name = name
        self._description = description
        self._describe = describe
        self.place = place
        self.credentials = credentials
        self.identity = identity
        self.poll_policy = poll_policy
        self.work_dir = work_dir
        self._timeout = timeout
        self._hint = unreachable_hint
        self._where = "the local emulator (Vertex AI)" if name == "vertex-local" else "Vertex AI"
        authorizer = Authorizer(credentials, quota_project, self._where)
        self.rest = Rest(authorizer, place.api_url, where=self._where, unreachable_hint=unreachable_hint,
                         project=place.project, identity=identity, timeout=timeout)
        self.storage = CloudStorage(Rest(authorizer, place.storage_url, where="Cloud Storage",
                                         unreachable_hint=unreachable_hint, project=place.project, identity=identity,
                                         timeout=timeout))
        # Series that are not there yet are looked for again once a minute on Google (jobs take
        # 15+ minutes); the local emulator makes them within a second or two of the job starting.
        self.curves = CurveReader(self.rest, API_VERSION, relist_s=RELIST_S if poll_policy is not None else 1.0)
        self.sdk_jobs = SdkJobs()
        self._partly_read: set[str] = set()  # jobs whose last curve read left some curves out (`get(curves=…)`)
        self.models = TunedModels(self.rest, API_VERSION, place.parent)
        self._bound: tuple[asyncio.AbstractEventLoop, Any, Any] | None = None
        self._bucket_ready = False

    @property
    def description(self) -> str:
        """The header's words; for a user, the account shows once a token refresh has named it."""
        return self._describe() if self._describe is not None else self._description

    @description.setter
    def description(self, value: str) -> None:
        self._description, self._describe = value, None

    @property
    def unreachable_hint(self) -> Hint:
        return self._hint

    @unreachable_hint.setter
    def unreachable_hint(self, hint: Hint) -> None:
        """The next step when the server does not answer, for the SDK's calls and the REST ones alike."""
        self._hint = self.rest.unreachable_hint = self.storage.rest.unreachable_hint = hint

    @property
    def base_url(self) -> str:
        """Where the tuning calls go (Google's host for the location, or the emulator's URL)."""
        return self.place.api_url

    async def retarget(self, base_url: str, description: str) -> None:
        """Follow a local emulator to a new address (tuning, TensorBoard and Cloud Storage all live there)."""
        await self.close()
        self.place = replace(self.place, base_url=base_url, storage_url=base_url)
        self.rest.base_url = self.storage.rest.base_url = base_url.rstrip("/")
        self.description = description if description.startswith("Vertex AI") else f"Vertex AI · {description}"

    # -- the SDK client ----------------------------------------------------------------------

    @property
    def _client(self) -> Any:
        """google-genai's client on this event loop's HTTP session (made on first use)."""
        loop = asyncio.get_running_loop()
        if self._bound is None or self._bound[0] is not loop:
            from google import genai
            from google.genai import types

            session = client_session(self.place.api_url)
            options = types.HttpOptions(
                base_url=self.place.base_url, api_version=API_VERSION, timeout=int(self._timeout * 1000),
                retry_options=types.HttpRetryOptions(attempts=1),  # the job manager owns retries and Retry-After
                aiohttp_client=session)
            client = genai.Client(vertexai=True, project=self.place.project, location=self.place.location,
                                  credentials=self.credentials, http_options=options)
            self._bound = (loop, client, session)
        return self._bound[1]

    async def _guard(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except Exception as exc:  # noqa: BLE001 - every failure is translated (cancellation passes through)
            raise translate(exc, self._where, hint_text(self.unreachable_hint), project=self.place.project,
                            identity=self.identity) from None

    # -- launching ---------------------------------------------------------------------------

    async def create(self, spec: JobSpec, dataset: LaunchData,
                     progress: Callable[[int, int], None] | None = None) -> Job:
        """Convert the dataset to `contents` JSONL, upload it (unless already there), then tune."""
        if dataset.retry and dataset.job_id and (earlier := await self.find_launch(dataset.job_id)) is not None:
            return earlier
        if not self.place.bucket:
            raise BackendError(ErrorKind.INVALID, "no Cloud Storage bucket is set for the dataset upload",
                               'set one with --bucket, TUNEDECK_BUCKET or "bucket" in config.json (create it with '
                               f"`gcloud storage buckets create gs://NAME --location={self.place.location}`)")
        if self.name == "vertex-local" and not self._bucket_ready:  # the emulator's bucket is ours to make
            await self.storage.create_bucket(self.place.bucket, self.place.project)
            self._bucket_ready = True
        work_dir = self.work_dir or dataset.path.parent
        launch: Launch = await asyncio.to_thread(prepare_files, spec, dataset, work_dir)
        try:
            uris = await launch.upload(self.storage, self.place.bucket, progress)
            labels = wire.labels_for(spec, launch.conversion.training.sha256, dataset.job_id)
            request = wire.tune_request(spec, uris[0], uris[1], labels)
            with warnings.catch_warnings():  # google-genai's "tuning is experimental": on stderr it would scribble
                warnings.simplefilter("ignore")  # over the terminal UI (warned when the call is made, not awaited)
                call = self._client.aio.tunings.tune(**request)
            created = await self._guard(call)
        finally:
            launch.remove_files()
        job = wire.job_from_sdk(created, self.name)
        return job.model_copy(update=launch.job_fields(job, spec, uris))

    def preview_create(self, spec: JobSpec, examples: Sequence[Example]) -> CallPreview:
        """The tuningJobs create request, with the dataset's Cloud Storage objects named as the
        launch will name them (the content hash of the converted file is only known at launch)."""
        bucket = self.place.bucket or "BUCKET"
        training = gs_uri(bucket, f"{OBJECT_PREFIX}<sha256 of the converted dataset>.jsonl")
        validation = gs_uri(bucket, f"{OBJECT_PREFIX}<sha256 of the validation set>.jsonl") if spec.validation else None
        labels = wire.labels_for(spec, None, None)
        path = f"/{API_VERSION}/projects/{self.place.project}/locations/{self.place.location}/tuningJobs"
        return CallPreview("POST", path, wire.create_body(spec, training, validation, labels))

    async def find_launch(self, launch_id: str) -> Job | None:
        """The job an earlier attempt of this launch created, found by its label."""
        wanted = wire.label(launch_id)
        for job in await self._list_sdk():
            if (job.labels or {}).get("tunedeck-launch") == wanted:
                return wire.job_from_sdk(job, self.name)
        return None

    # -- watching ----------------------------------------------------------------------------

    async def get(self, name: str, known: Job | None = None, curves: Collection[str] | None = None) -> Job:
        """The job, with the curve points `known` does not hold yet (all of them without `known`).
        With `curves`, a training job's other curves are not read (one TensorBoard export fewer
        each): their points come, all of them, with the next read without `curves`. A finished
        job's curves are all read."""
        tuning_job = await self._tuning_job(name)
        job = wire.job_from_sdk(tuning_job, self.name)
        if job.state.finished:
            self.curves.forget(name)  # the last read resolves the chain afresh: no series may be missed
        only = None if job.state.finished else curves
        skipped_before = only is None and name in self._partly_read
        if tuning_job.experiment and (skipped_before or self._curves_may_have_moved(job, known)):
            after = {curve: points[-1].step for curve, points in (known.curves if known else {}).items() if points}
            expect_eval = wire.validation_uri(tuning_job) is not None
            try:
                raw = await self.curves.read(name, tuning_job.experiment, after, expect_eval=expect_eval, only=only)
                (self._partly_read.add if only is not None else self._partly_read.discard)(name)
            except BackendError as exc:
                if exc.kind is not ErrorKind.NOT_FOUND:
                    raise
                # The experiment or its run is not there yet (or was replaced): no points this time. Never
                # NOT_FOUND from here: the job itself exists, and the manager would take it for deleted.
                self.curves.forget(name)
                raw = {}
            per_epoch = wire.steps_per_epoch(job)
            job = job.model_copy(update={"curves": {c: wire.curve_points(p, per_epoch) for c, p in raw.items()}})
            if not job.completed_steps:
                last = max((p[-1][0] for c, p in raw.items() if c not in EVAL_CURVES and p), default=0)
                job = job.model_copy(update={"completed_steps": max(last, known.completed_steps if known else 0)})
        if job.state.finished:
            self.curves.forget(name)
        return job

    async def fresh(self, known: Job) -> Job:
        """`known` with the new points of its loss curves (train, and eval when there is a validation
        set): one TensorBoard export per curve, no read of the job. Its state, progress and the
        accuracy curves come with the next `get`. A job whose curves were never read is read whole."""
        chain = self.curves.chains.get(known.name)
        if chain is None or known.state.finished or not known.curves:
            return await self.get(known.name, known)
        after = {curve: points[-1].step for curve, points in known.curves.items() if points}
        raw = await self.curves.read_chain(known.name, chain, after, only=LOSS_CURVES)  # a replaced run: {}
        self._partly_read.add(known.name)
        per_epoch = wire.steps_per_epoch(known)
        last = max((points[-1][0] for curve, points in raw.items() if curve not in EVAL_CURVES and points), default=0)
        return known.model_copy(update={
            "curves": {curve: wire.curve_points(points, per_epoch) for curve, points in raw.items()},
            "completed_steps": max(known.completed_steps, last),
        })

    async def _tuning_job(self, name: str) -> Any:
        """google-genai's TuningJob, read over REST and built with the SDK's own wire mapping (`SdkJobs`)."""
        return self.sdk_jobs.of(await self.rest.call("GET", f"{API_VERSION}/{name}"))

    async def _get_plain(self, name: str) -> Job:
        """The job without its curves."""
        return wire.job_from_sdk(await self._guard(self._client.aio.tunings.get(name=name)), self.name)

    @staticmethod
    def _curves_may_have_moved(job: Job, known: Job | None) -> bool:
        """Skip the curve requests when the job reports the same steps and state as the known job."""
        if known is None or not known.curves:
            return True
        if known.state.finished:
            return False
        if job.state is not known.state:
            return True  # a finished job's last points are read once more
        return not job.completed_steps or job.completed_steps != known.completed_steps

    async def _list_sdk(self) -> list[Any]:
        """Every tuning job as google-genai's TuningJob, listed over REST (as `_tuning_job` reads one)."""
        found: list[Any] = []
        token = ""
        while True:
            query = {"pageSize": LIST_PAGE_SIZE, **({"pageToken": token} if token else {})}
            page = await self.rest.call("GET", f"{API_VERSION}/{self.place.parent}/tuningJobs", query=query)
            found += [self.sdk_jobs.of(body) for body in page.get("tuningJobs") or [] if isinstance(body, dict)]
            token = str(page.get("nextPageToken") or "")
            if not token:
                return found

    async def list_jobs(self) -> list[Job]:
        return [wire.job_from_sdk(job, self.name) for job in await self._list_sdk()]

    async def cancel(self, job: Job) -> Job:
        """Ask Vertex to cancel (best effort: a job in post-processing may still finish), then read it back."""
        await self._guard(self._client.aio.tunings.cancel(name=job.name))
        return await self.get(job.name)

    # -- the library -------------------------------------------------------------------------

    async def delete(self, name: str) -> None:
        """Delete the tuned model (`name`: the model, or the job that made it) and the endpoints serving it,
        in order (see `models.TunedModels`); the tuning job's record stays."""
        await self.models.delete(await self.models.plan_delete(name))

    async def rename(self, name: str, display_name: str) -> Job:
        """Rename the tuned model of job `name` (its display name); the tuning job keeps the name it was
        launched with."""
        job = await self._get_plain(name)
        await self.models.rename(name, display_name)
        return job.model_copy(update={"display_name": display_name})

    async def base_models(self) -> list[BaseModelInfo]:
        return [BaseModelInfo(name=name, display_name=name, input_token_limit=EXAMPLE_TOKENS) for name in ADAPTER_SIZES]

    async def generate(self, target: str, prompt: str, temperature: float | None = None,
                       max_output_tokens: int | None = None, system_instruction: str | None = None) -> str:
        """Call a tuned model's or a checkpoint's endpoint, or a base model (with `systemInstruction` when given)."""
        config: dict[str, Any] = {}
        if temperature is not None:
            config["temperature"] = temperature
        if max_output_tokens is not None:
            config["max_output_tokens"] = max_output_tokens
        if system_instruction:
            config["system_instruction"] = system_instruction
        response = await self._guard(self._client.aio.models.generate_content(model=target, contents=prompt,
                                                                              config=config or None))
        return response.text or ""

    async def close(self) -> None:
        bound, self._bound = self._bound, None
        if bound is not None:
            _loop, client, session = bound
            with contextlib.suppress(Exception):  # closing never fails the caller
                await client.aio.aclose()
                await session.close()
        await self.rest.close()
        await self.storage.rest.close()
