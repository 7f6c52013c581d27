"""The job manager: launches, watches and remembers tuning jobs, and tells subscribers.

An asyncio service over one `TuningBackend` and the SQLite `History`. One watcher task per
unfinished job polls it (one request in flight per job, a semaphore bounding requests
across jobs), merges what the backend reports into the known job without ever dropping a
curve point, records it, and publishes typed events. Failures are published and retried with
backoff; a watcher never dies of a backend error. While a local emulator does not answer,
its `EmulatorLink` is asked every second where it is (or to restart it); once it answers,
the backend is pointed there and every watcher polls at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, TypeVar

from tui.jobs.backend import LaunchData, TuningBackend
from tui.jobs.errors import BackendError, ErrorKind, LaunchRefused
from tui.jobs.events import (
    BackendFailed,
    BackendMoved,
    BackendRecovered,
    CurvePointsAdded,
    Event,
    HistoryFailed,
    JobAdded,
    JobFinished,
    JobProgress,
    JobRemoved,
    JobStateChanged,
    JobUpdated,
)
from tui.jobs.fold import fold
from tui.jobs.history import History, HistoryError
from tui.jobs.launching import create_job, read_dataset
from tui.jobs.polling import PollPolicy
from tui.jobs.subscription import Broadcaster, Subscription
from tui.models import TRAIN_LOSS, BaseModelInfo, CurvePoint, Job, JobSpec, JobState

if TYPE_CHECKING:
    from tui.jobs.local import EmulatorLink

T = TypeVar("T")
_EPOCH = datetime.min.replace(tzinfo=UTC)


FOCUS_PACE_POINTS = 9  # the last points whose times tell the pace of the job on screen
LIST_CURVES = (TRAIN_LOSS,)  # what a job in the background is read for: the job list shows its last training loss


def _ending(job: Job) -> bool:
    """Whether a job has done all its steps (what comes next, its end, is read whole)."""
    return bool(job.total_steps) and job.completed_steps >= job.total_steps


def _points(job: Job) -> int:
    return sum(len(points) for points in job.curves.values())


@dataclass(frozen=True)
class Health:
    """Result of `JobManager.check()`."""

    reachable: bool
    message: str
    base_models: tuple[BaseModelInfo, ...] = ()


class JobManager:
    """Launch, watch, cancel, delete and rename jobs on one backend; publish what happens."""

    def __init__(self, settings, backend: TuningBackend, history: History, *, policy: PollPolicy | None = None) -> None:
        self.settings = settings
        self.backend = backend
        self.history = history
        self.policy = policy or PollPolicy()
        self.emulator = None  # the RunningEmulator in use, when the backend is local
        self.link: EmulatorLink | None = None  # finds the local emulator again when it stops answering
        self._wake = asyncio.Event()  # set when the backend answers again: sleeping pollers go at once
        self.history_problem: HistoryError | None = None  # set once the history file fails; memory stands in
        self.requests_sent = 0
        self._jobs: dict[str, Job] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._watchers: dict[str, asyncio.Task] = {}
        self._cancelling: set[str] = set()
        self._broadcast = Broadcaster()
        self._semaphore: asyncio.Semaphore | None = None
        self._not_before = 0.0
        self._discovery: asyncio.Task | None = None
        self._followed: set[str] = set()  # jobs followed on their own (`watch`): read with every curve
        self._focused: str | None = None  # the job the user is watching: polled every policy.focus seconds
        self._wakers: dict[str, asyncio.Future] = {}  # a watcher's sleep between polls, by job
        self._unrecorded: dict[str, dict[str, list[CurvePoint]]] = {}  # in-between reads' points, not yet in history
        self._background = True
        self._closed = False

    # -- reading -------------------------------------------------------------------------

    @property
    def backend_description(self) -> str:
        return self.backend.description

    @property
    def jobs(self) -> list[Job]:
        """All known jobs, newest first."""
        return sorted(self._jobs.values(), key=lambda job: job.created or _EPOCH, reverse=True)

    def job(self, name: str) -> Job | None:
        return self._jobs.get(name) or self._jobs.get(f"tunedModels/{name}")

    def events(self) -> Subscription:
        """A new subscription; it receives every event published from now on."""
        return self._broadcast.subscribe()

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self, background: bool = True) -> None:
        """Load history; with `background`, resume watching unfinished jobs and look for new ones.

        One-shot commands pass `background=False` and call `refresh()` or `watch()` themselves.
        """
        self._semaphore = asyncio.Semaphore(self.policy.max_concurrency)
        self._background = background
        try:
            known = self.history.load(self.backend.name)
        except HistoryError as exc:
            self.history_failed(exc)
            known = []
        for job in known:
            self._jobs[job.name] = job
            self._publish(JobAdded(job))
            if background and not job.state.finished:
                self._watch(job.name)
        if background:
            self._discovery = asyncio.create_task(self._discover_loop(), name="tunedeck-discover")

    def watch(self, name: str) -> None:
        """Poll this job until it finishes (no-op if it has finished), every curve of it at each
        read: it is the one being followed (`tunedeck jobs watch`)."""
        job = self._require(name)
        self._followed.add(job.name)
        if not job.state.finished:
            self._watch(job.name)

    def focus(self, name: str | None) -> None:
        """Poll this job every `policy.focus` seconds while it trains, starting now: it is
        the one on screen (None: none is). Every other job keeps its usual pace."""
        self._focused = name
        waker = self._wakers.get(name) if name is not None else None
        if waker is not None and not waker.done():
            waker.set_result(None)

    async def close(self) -> None:
        """Stop polling and release the backend; a detached emulator keeps running."""
        if self._closed:
            return
        self._closed = True
        if self.link is not None:
            await self.link.close()
        tasks = [*self._watchers.values(), *([self._discovery] if self._discovery else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._watchers.clear()
        for name in list(self._unrecorded):
            if (job := self._jobs.get(name)) is not None:
                self._record(job, self._unrecorded.pop(name))
        await self.backend.close()
        self.history.close()
        self._broadcast.close()

    def history_failed(self, error: HistoryError) -> None:
        """Keep going in memory after the history file failed; say so once (HistoryFailed)."""
        if self.history_problem is not None:
            return
        self.history_problem = error
        broken, self.history = self.history, History.in_memory()
        for job in self._jobs.values():
            self.history.record(job, job.curves)
        broken.close()
        self._publish(HistoryFailed(error))

    def _record(
        self, job: Job, curves: Mapping[str, Iterable[CurvePoint]] | None = None, cancelled: bool = False
    ) -> None:
        """Write a job (and new curve points) to history; a failing file is replaced by memory, not fatal."""
        try:
            self.history.record(job, curves)
            if cancelled:
                self.history.mark_cancelled(job.backend, job.name)
        except HistoryError as exc:
            if not self.history.persistent:
                raise
            self.history_failed(exc)
            self._record(job, curves, cancelled)

    # -- actions -------------------------------------------------------------------------

    async def launch(self, spec: JobSpec, dataset_path, *, format=None, force: bool = False, on_lint=None,
                     progress=None) -> Job:
        """Lint the dataset for the backend's protocol, refuse when it has errors (unless forced), create the job.

        `on_lint(report)` is called with the lint report before anything is submitted;
        `progress(done, total)` with the bytes of an upload, for a backend that uploads the dataset.
        """
        path = Path(dataset_path)
        capabilities = self.backend.capabilities
        dataset, examples, report = await asyncio.to_thread(
            read_dataset, path, format, capabilities.protocol, not capabilities.uploads_dataset)
        if on_lint is not None:
            on_lint(report)
        if report.has_errors and not force:
            raise LaunchRefused(report, str(path))
        data = LaunchData(path=path, dataset=dataset, examples=examples)
        job = await create_job(
            self._call, self.backend, spec, data, self.policy, lambda e: self._publish(BackendFailed(e)), progress
        )
        job = job.model_copy(
            update={
                "dataset_path": str(path.resolve()),
                "dataset_sha256": dataset.sha256,
                "dataset_examples": job.dataset_examples if job.dataset_examples is not None else len(examples),
                "launched_here": True,
                "validation": spec.validation,
                "created": job.created or datetime.now(UTC),
            }
        )
        self._jobs[job.name] = job
        self._record(job)
        self._publish(JobAdded(job))
        if self._background:
            self._watch(job.name)
        return job

    async def cancel(self, name: str) -> Job:
        """Cancel a training job. It shows as CANCELLED from now on, whatever the backend says,
        unless the backend reports cancels itself (Vertex AI: best effort, so the job may go on
        to succeed); then it shows what the backend says, from "cancelling" on."""
        job = self._require(name)
        if job.state.finished:
            raise BackendError(
                ErrorKind.FAILED_PRECONDITION, f"{job.name} has already finished ({job.state_word})",
                "nothing to cancel",
            )
        async with self._lock(job.name):
            self._cancelling.add(job.name)
            try:
                fetched = await self._call(lambda: self.backend.cancel(self._jobs[job.name]))
            finally:
                self._cancelling.discard(job.name)
            sticks = not self.backend.capabilities.reports_cancel
            self._record(self._jobs[job.name], cancelled=sticks)
            return self._merge(job.name, fetched, cancelled=sticks)

    async def delete(self, name: str) -> None:
        """Delete the tuned model on the backend and drop it from the list (history keeps a DELETED row)."""
        job = self.job(name)
        full = job.name if job else (name if name.startswith("tunedModels/") else f"tunedModels/{name}")
        async with self._lock(full):
            try:
                await self._call(lambda: self.backend.delete(full))
            except BackendError as exc:
                if exc.kind is not ErrorKind.NOT_FOUND or job is None:
                    raise
        watcher = self._watchers.pop(full, None)
        if watcher:
            watcher.cancel()
        if job := self._jobs.pop(full, None):
            self._record(job.model_copy(update={"state": JobState.DELETED, "updated": datetime.now(UTC)}))
        self._publish(JobRemoved(full))

    async def rename(self, name: str, display_name: str) -> Job:
        if len(display_name) > 40:
            raise BackendError(
                ErrorKind.INVALID,
                f"display name is {len(display_name)} characters; the API allows at most 40",
                "shorten it",
            )
        job = self._require(name)
        fetched = await self._call(lambda: self.backend.rename(job.name, display_name))
        renamed = self._jobs[job.name].model_copy(update={"display_name": fetched.display_name or display_name})
        self._jobs[job.name] = renamed
        self._record(renamed)
        self._publish(JobUpdated(renamed))
        return renamed

    async def refresh(self, name: str | None = None) -> None:
        """Poll now: one job, or look for new jobs and poll every unfinished one."""
        if name is not None:
            try:
                await self._poll(self._require(name).name)
            except BackendError as exc:
                self._publish(BackendFailed(exc, name))
                raise
            return
        listed = await self._discover()  # a listing carries state and curves of every job in it
        names = [job.name for job in self._jobs.values() if not job.state.finished and job.name not in listed]
        results = await asyncio.gather(*(self._poll(n) for n in names), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def base_models(self) -> list[BaseModelInfo]:
        return await self._call(self.backend.base_models)

    async def generate(
        self,
        target: str,
        prompt: str,
        temperature: float | None = None,
        max_output_tokens: int | None = None,
        system_instruction: str | None = None,
    ) -> str:
        """Call a tuned model's endpoint (or a checkpoint's, or a base model), with the system instruction
        the model was tuned with when it has one."""
        return await self._call(
            lambda: self.backend.generate(target, prompt, temperature, max_output_tokens, system_instruction)
        )

    async def check(self) -> Health:
        """Is the backend reachable, and does it offer a tunable base model?"""
        try:
            models = await self.base_models()
        except BackendError as exc:
            return Health(False, str(exc))
        if not models:
            return Health(True, f"{self.backend_description} answers, but offers no tunable base model")
        names = ", ".join(m.name for m in models)
        return Health(True, f"{self.backend_description} answers; tunable base models: {names}", tuple(models))

    # -- internals -----------------------------------------------------------------------

    def _publish(self, event: Event) -> None:
        self._broadcast.publish(event)

    def publish(self, event: Event) -> None:
        """Tell every subscriber (for the emulator link, which notices a dead emulator itself)."""
        self._broadcast.publish(event)

    def _require(self, name: str) -> Job:
        job = self.job(name)
        if job is None:
            raise BackendError(ErrorKind.NOT_FOUND, f"no job named {name}", "see `tunedeck jobs list` for the names")
        return job

    def _lock(self, name: str) -> asyncio.Lock:
        return self._locks.setdefault(name, asyncio.Lock())

    async def _call(self, make: Callable[[], Awaitable[T]]) -> T:
        """One backend request: waits out a Retry-After, then runs under the concurrency bound."""
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.policy.max_concurrency)
        loop = asyncio.get_running_loop()
        while (wait := self._not_before - loop.time()) > 0:
            await asyncio.sleep(wait)
        async with self._semaphore:
            self.requests_sent += 1
            try:
                return await make()
            except BackendError as exc:
                if exc.kind is ErrorKind.RATE_LIMITED and exc.retry_after:
                    self._not_before = max(self._not_before, loop.time() + exc.retry_after)
                if exc.kind is ErrorKind.UNREACHABLE and self.link is not None:
                    self.link.lost()
                raise

    async def repoint(self, url: str, description: str, news: str = "") -> None:
        """The backend answers again (at `url`): talk to it there, say so, and let every poller go at once."""
        retarget = getattr(self.backend, "retarget", None)  # only a backend with an address can move
        if retarget is not None and url != getattr(self.backend, "base_url", url):
            await retarget(url, description)
        if news:
            self._publish(BackendMoved(news, self.backend_description))
        self._publish(BackendRecovered())
        self._wake.set()
        self._wake = asyncio.Event()

    async def _sleep(self, delay: float, name: str | None = None) -> None:
        """Sleep `delay` seconds, or less if the backend answers again meanwhile or, for the
        watcher of job `name`, when `focus` picks that job."""
        if name is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            return
        focused = asyncio.get_running_loop().create_future()
        self._wakers[name] = focused
        answered = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({focused, answered}, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            answered.cancel()
            focused.cancel()
            if self._wakers.get(name) is focused:
                del self._wakers[name]

    def _watch(self, name: str) -> None:
        task = self._watchers.get(name)
        if task is None or task.done():
            self._watchers[name] = asyncio.create_task(self._watch_loop(name), name=f"tunedeck-watch-{name}")

    async def _watch_loop(self, name: str) -> None:
        """Poll a job until it finishes: read whole every `interval` (see `PollPolicy`), and, while
        it is the job on screen, its new points in between, as they come (`PollPolicy.focus_wait`)."""
        interval, failures, moved = self.policy.fast, 0, False
        whole_due = 0.0  # when the job is next read whole (the in-between reads fetch only new points)
        was_focused = False
        while (job := self._jobs.get(name)) is not None and not job.state.finished:
            focused = name == self._focused
            whole = not focused or not was_focused or monotonic() >= whole_due or _ending(job)
            was_focused = focused
            try:
                # A job in the background is read for what the list shows: its state, progress and loss.
                every = focused or name in self._followed or _ending(job)
                changed = await self._poll(name, whole=whole, curves=None if every else LIST_CURVES)
            except Exception as exc:  # noqa: BLE001 - a watcher outlives every failure
                failures += 1
                error = (
                    exc
                    if isinstance(exc, BackendError)
                    else BackendError(ErrorKind.SERVER, f"polling {name} failed: {exc!r}")
                )
                self._publish(BackendFailed(error, name))
                delay = self.policy.backoff(failures, error.retry_after)
                whole_due = 0.0
            else:
                if failures:
                    self._publish(BackendRecovered(name))
                failures, moved = 0, moved or changed
                if whole:
                    interval, moved = self.policy.next_interval(interval, moved), False
                    whole_due = self.policy.on_beat(monotonic() + interval)
                delay = max(0.0, whole_due - monotonic())
            if (job := self._jobs.get(name)) is None or job.state.finished:
                break
            if name == self._focused and not failures:
                delay = min(delay, self._focus_wait(job))
            await self._sleep(delay, name)
        self._watchers.pop(name, None)

    def _focus_wait(self, job: Job) -> float:
        """The wait before the next read of the job on screen, timed to its pace (`PollPolicy.focus_wait`)."""
        times = [point.time for point in job.loss_curve[-FOCUS_PACE_POINTS:] if point.time is not None]
        return self.policy.focus_wait(times, datetime.now(UTC))

    async def _poll(self, name: str, whole: bool = True, curves: Collection[str] | None = None) -> bool:
        """Fetch one job (or, not `whole`, its new points; with `curves`, only those curves) and merge
        it; returns whether anything changed."""
        async with self._lock(name):
            if (job := self._jobs.get(name)) is None:
                return False
            try:
                read = partial(self.backend.get, name, known=job, curves=curves) if whole else partial(
                    self.backend.fresh, job)
                fetched = await self._call(read)
            except BackendError as exc:
                if exc.kind is not ErrorKind.NOT_FOUND:
                    raise
                gone = job.model_copy(update={"error": "the backend no longer has this tuned model", "curves": {}})
                self._merge(name, gone.model_copy(update={"state": JobState.DELETED}))
                return True
            before = self._jobs[name]
            after = self._merge(name, fetched, record=whole)
            seen = (before.state, before.completed_steps, _points(before))
            return seen != (after.state, after.completed_steps, _points(after))

    def _merge(self, name: str, fetched: Job, cancelled: bool = False, record: bool = True) -> Job:
        """Fold a fetched job into the known one, record it and publish what changed. Without
        `record` (an in-between read) its new points wait for the next recorded merge: history is
        written at the whole reads' pace, and what an exit could lose is read again on start."""
        old = self._jobs.get(name) or fetched
        if name in self._cancelling and fetched.state.finished:
            fetched = fetched.model_copy(update={"state": old.state})  # the cancel's own answer decides
        new, added = fold(old, fetched, cancelled, cancel_sticks=not self.backend.capabilities.reports_cancel)
        self._jobs[name] = new
        waiting = self._unrecorded.setdefault(name, {})
        for curve, points in added.items():
            waiting.setdefault(curve, []).extend(points)
        if record:
            self._record(new, self._unrecorded.pop(name))
        if added:
            self._publish(CurvePointsAdded(new, {curve: tuple(points) for curve, points in added.items()}))
        if new.completed_steps != old.completed_steps:
            self._publish(JobProgress(new))
        if new.state is not old.state:
            self._publish(JobStateChanged(new, old.state, new.state))
            if new.state.finished and not old.state.finished:
                self._publish(JobFinished(new))
        return new

    async def _discover(self) -> set[str]:
        """List the backend: add jobs made elsewhere, fold in news about known ones."""
        listed = await self._call(self.backend.list_jobs)
        ended: list[Job] = []
        for fetched in listed:
            known = self._jobs.get(fetched.name)
            if known is None:
                self._jobs[fetched.name] = fetched
                self._record(fetched, fetched.curves)
                self._publish(JobAdded(fetched))
            elif fetched.state.finished and not known.state.finished:
                ended.append(fetched)  # its end is read whole, every curve, as its watcher would
            elif known.state is not JobState.DELETED:
                self._merge(fetched.name, fetched)
            if self._background and not self._jobs[fetched.name].state.finished:
                self._watch(fetched.name)
        for fetched in ended:
            try:
                await self._poll(fetched.name)
            except BackendError:
                self._merge(fetched.name, fetched)  # what the listing says, at least
        return {job.name for job in listed}

    async def _discover_loop(self) -> None:
        failing = False
        while True:
            try:
                await self._discover()
            except Exception as exc:  # noqa: BLE001 - discovery keeps going
                error = (
                    exc
                    if isinstance(exc, BackendError)
                    else BackendError(ErrorKind.SERVER, f"listing jobs failed: {exc!r}")
                )
                self._publish(BackendFailed(error))
                failing = True
            else:
                if failing:
                    self._publish(BackendRecovered())
                failing = False
            await self._sleep(self.policy.discover_every)
