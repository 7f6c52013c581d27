"""Runs trainer processes for the server: a bounded pool fed by a queue.

Each job trains in its own `python -m tui.emulator.worker` process (its own session, so a
Ctrl-C meant for the server does not kill it mid-step). What a job trains on, and what its
progress means for the API, belongs to a `JobRunner`: `GeminiRunner` for tuned models
(keys are tuned model ids), `tui.emulator.vertex.runner.VertexRunner` for tuning jobs
(keys start with `vertex/`). The pool spawns, watches, cancels and stops processes, turns
their JSON lines into runner calls, and acknowledges stored curve points (`ack STEP`) so a
worker never writes a resume checkpoint ahead of the stored curve.

Every message is bounded (the worker sends at most 200 points per line, a resume says
only its step), so a job of any length resumes. At most `size` workers run at once. What a
runner records is retried while the database is locked by another process (`busy.retry`),
so a job never fails for that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import orjson

from tui.emulator.busy import retry
from tui.emulator.gemini_runner import GeminiRunner
from tui.emulator.store import Store

log = logging.getLogger("tunedeck.emulator")
LINE_LIMIT = 1 << 20  # bytes per worker line; messages stay far below it


class JobRunner(Protocol):
    """One kind of job as the pool sees it."""

    def plan(self, key: str) -> dict[str, Any] | None:
        """The worker plan for `key`, or None if it has nothing to train (already ended, or failed here)."""

    def plan_path(self, key: str) -> Path: ...

    def on_event(self, key: str, event: dict[str, Any]) -> None:
        """Progress from the worker: started, resumed, dataset, points, post_processing."""

    def on_end(
        self, key: str, final: dict[str, Any], code: int, stderr: str, requested: str | None, stopping: bool
    ) -> None:
        """The worker ended; `final` is its last event ({} if none), `requested` "cancel"/"delete" if asked."""

    def on_crash(self, key: str, message: str) -> None: ...

    def discard(self, key: str) -> None:
        """Drop the files of a job that is being deleted and has no trainer running."""


class TrainingPool:
    """Schedules, watches, cancels and stops trainer processes."""

    def __init__(self, store: Store, root: Path, size: int, step_delay: Callable[[], float]) -> None:
        self.store = store
        self.root = root
        self.size = max(1, size)
        self.step_delay = step_delay
        self.gemini = GeminiRunner(store, root)
        self.runners: dict[str, JobRunner] = {}  # key prefix -> runner (the Gemini runner has none)
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.queued: set[str] = set()
        self.running: dict[str, asyncio.subprocess.Process] = {}
        self.starting: set[str] = set()  # trainer processes being spawned
        self.outcome: dict[str, str] = {}  # key -> "cancel" | "delete" requested
        self.tasks: list[asyncio.Task] = []
        self.stopping = False

    # -- Gemini tuned model files (kept here for the routes) ------------------------------
    def weights_path(self, model_id: str) -> Path:
        return self.gemini.weights_path(model_id)

    def checkpoint_path(self, model_id: str) -> Path:
        return self.gemini.checkpoint_path(model_id)

    def source_path(self, model_id: str) -> Path:
        return self.gemini.source_path(model_id)

    def add_runner(self, prefix: str, runner: JobRunner) -> None:
        self.runners[prefix] = runner

    def runner(self, key: str) -> JobRunner:
        for prefix, runner in self.runners.items():
            if key.startswith(prefix):
                return runner
        return self.gemini

    def start(self) -> None:
        self.tasks = [asyncio.create_task(self._run_forever(i)) for i in range(self.size)]

    def submit(self, key: str) -> None:
        if key not in self.queued and key not in self.running:
            self.queued.add(key)
            self.queue.put_nowait(key)

    async def _run_forever(self, slot: int) -> None:
        while True:
            key = await self.queue.get()
            self.queued.discard(key)
            if self.stopping:
                continue
            runner = self.runner(key)
            try:
                plan = await retry(f"starting {key}", runner.plan, key)
                if plan is not None:
                    await self._train(key, runner, plan)
            except Exception as exc:  # keep the slot alive; the job must not stay in training
                log.exception("trainer for %s crashed", key)
                message = f"the trainer crashed: {type(exc).__name__}: {exc}"
                await retry(f"recording the crash of {key}", runner.on_crash, key, message)

    async def _train(self, key: str, runner: JobRunner, plan: dict[str, Any]) -> None:
        plan["step_delay"] = self.step_delay()
        path = runner.plan_path(key)
        path.write_bytes(orjson.dumps(plan))
        self.starting.add(key)
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tui.emulator.worker",
                "--plan",
                str(path),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
                limit=LINE_LIMIT,
            )
        finally:
            self.starting.discard(key)
        self.running[key] = process
        if key in self.outcome:  # cancelled or deleted while the process started
            self._send(key, "discard" if self.outcome[key] == "delete" else "cancel")
        await self._watch(key, runner, process)

    async def _watch(self, key: str, runner: JobRunner, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None and process.stderr is not None  # spawned with pipes
        stderr_task = asyncio.create_task(process.stderr.read())
        final: dict[str, Any] = {}
        code = -1
        stderr = ""
        try:
            while line := await process.stdout.readline():
                event = orjson.loads(line)
                if event["event"] in ("done", "cancelled", "stopped", "failed"):
                    final = event
                    continue
                if self.outcome.get(key) != "delete":
                    await retry(f"recording progress of {key}", runner.on_event, key, event)
                if event["event"] == "points" and event["items"]:
                    self._send(key, f"ack {event['items'][-1]['step']}")
                elif event["event"] == "resumed":
                    self._send(key, f"ack {event['step']}")
            code = await process.wait()
            stderr = (await stderr_task).decode("utf-8", "replace").strip()
        finally:
            self.running.pop(key, None)
            if process.returncode is None:
                process.kill()
                await process.wait()
        requested = self.outcome.pop(key, None)
        await retry(f"recording the end of {key}", runner.on_end, key, final, code, stderr, requested, self.stopping)

    def _send(self, key: str, command: str) -> None:
        process = self.running.get(key)
        if process is not None and process.stdin is not None and not process.stdin.is_closing():
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                process.stdin.write(command.encode() + b"\n")

    def cancel(self, key: str) -> bool:
        """Ask a job to end now. False if it is waiting in the queue (the caller ends it)."""
        if key in self.starting:
            self.outcome[key] = "cancel"
            return True
        if key in self.running:
            self.outcome[key] = "cancel"
            self._send(key, "cancel")
            return True
        return False

    def forget(self, key: str) -> None:
        """The job is being deleted: stop its trainer and drop its files."""
        if key in self.starting:
            self.outcome[key] = "delete"
        elif key in self.running:
            self.outcome[key] = "delete"
            self._send(key, "discard")
        else:
            self.runner(key).discard(key)

    def set_step_delay(self, seconds: float) -> None:
        for key in list(self.running):
            self._send(key, f"delay {seconds}")

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Checkpoint every running job (they resume on the next start) and stop the pool."""
        self.stopping = True
        for key in list(self.running):
            self._send(key, "stop")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.running and loop.time() < deadline:
            await asyncio.sleep(0.05)
        for process in list(self.running.values()):
            if process.returncode is None:
                process.kill()
        while self.running and loop.time() < deadline + 2:
            await asyncio.sleep(0.05)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
