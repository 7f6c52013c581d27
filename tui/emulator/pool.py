"""Runs trainer processes for the server: a bounded pool fed by a queue.

Each job trains in its own `python -m tui.emulator.worker` process (its own session, so
a Ctrl-C meant for the server does not kill it mid-step). The pool turns the worker's
JSON lines into store updates: snapshots and progress, then ACTIVE or FAILED. At most
`size` workers run at once; other jobs wait in CREATING with no completed steps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import orjson

from tui.emulator.store import Store
from tui.emulator.wire import RPC_CODES, stamp
from tui.models import effective_learning_rate

log = logging.getLogger("tunedeck.emulator")


class TrainingPool:
    """Schedules, watches, cancels and stops trainer processes."""

    def __init__(self, store: Store, root: Path, size: int, step_delay: Callable[[], float]) -> None:
        self.store = store
        self.root = root
        self.size = max(1, size)
        self.step_delay = step_delay
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.queued: set[str] = set()
        self.running: dict[str, asyncio.subprocess.Process] = {}
        self.starting: set[str] = set()  # trainer processes being spawned
        self.outcome: dict[str, str] = {}  # model id -> "cancel" | "delete" requested
        self.tasks: list[asyncio.Task] = []
        self.stopping = False
        (root / "models").mkdir(parents=True, exist_ok=True)
        (root / "checkpoints").mkdir(parents=True, exist_ok=True)

    def weights_path(self, model_id: str) -> Path:
        return self.root / "models" / f"{model_id}.npz"

    def checkpoint_path(self, model_id: str) -> Path:
        return self.root / "checkpoints" / f"{model_id}.npz"

    def source_path(self, model_id: str) -> Path:
        """A copy of the source tuned model's weights, for a job tuning a tuned model."""
        return self.root / "checkpoints" / f"{model_id}.source.npz"

    def _drop_files(self, model_id: str, weights: bool) -> None:
        if weights:
            self.weights_path(model_id).unlink(missing_ok=True)
        self.checkpoint_path(model_id).unlink(missing_ok=True)
        self.source_path(model_id).unlink(missing_ok=True)

    def start(self) -> None:
        self.tasks = [asyncio.create_task(self._run_forever(i)) for i in range(self.size)]

    def submit(self, model_id: str) -> None:
        if model_id not in self.queued and model_id not in self.running:
            self.queued.add(model_id)
            self.queue.put_nowait(model_id)

    async def _run_forever(self, slot: int) -> None:
        while True:
            model_id = await self.queue.get()
            self.queued.discard(model_id)
            if self.stopping:
                continue
            record = self.store.get_model(model_id)
            if record is None or record["state"] != "CREATING":
                continue
            try:
                await self._train(record)
            except Exception as exc:  # keep the slot alive; the job must not stay CREATING
                log.exception("trainer for %s crashed", model_id)
                self._fail(model_id, f"the trainer crashed: {type(exc).__name__}: {exc}")

    async def _train(self, record: dict) -> None:
        model_id = record["id"]
        hp = record["hyperparameters"]
        learning_rate = effective_learning_rate(hp.get("learningRate"), hp.get("learningRateMultiplier"))
        source = self.source_path(model_id)
        extra = ("--start-from", str(source)) if record.get("source_model") else ()
        if extra and not source.exists() and not self.checkpoint_path(model_id).exists():
            self._fail(model_id, f"the weights of the source model {record['source_model']} are missing; tune again")
            return
        self.starting.add(model_id)
        try:
            process = await self._spawn(model_id, hp, learning_rate, extra)
        finally:
            self.starting.discard(model_id)
        self.running[model_id] = process
        if model_id in self.outcome:  # cancelled or deleted while the process started
            self._send(model_id, "cancel")
        await self._watch(model_id, record, process)

    async def _spawn(self, model_id: str, hp: dict, learning_rate: float, extra: tuple) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tui.emulator.worker",
            "--db", str(self.store.path), "--model", model_id,
            "--output", str(self.weights_path(model_id)), "--checkpoint", str(self.checkpoint_path(model_id)),
            "--epochs", str(hp["epochCount"]), "--batch-size", str(hp["batchSize"]),
            "--learning-rate", repr(float(learning_rate)), "--step-delay", repr(self.step_delay()), *extra,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )  # fmt: skip

    async def _watch(self, model_id: str, record: dict, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None and process.stderr is not None  # spawned with pipes
        stderr_task = asyncio.create_task(process.stderr.read())
        final: dict | None = None
        try:
            while line := await process.stdout.readline():
                event = orjson.loads(line)
                kind = event.pop("event")
                if kind == "snapshots":
                    self._record(model_id, event["items"])
                elif kind in ("started", "resumed") and self.store.exists(model_id):
                    self.store.replace_snapshots(model_id, event["snapshots"], stamp())
                    if kind == "started":
                        self.store.update_model(model_id, start_time=record["start_time"] or stamp())
                elif kind not in ("started", "resumed"):
                    final = {"event": kind, **event}
            code = await process.wait()
            stderr = (await stderr_task).decode("utf-8", "replace").strip()
        finally:
            self.running.pop(model_id, None)
            if process.returncode is None:
                process.kill()
                await process.wait()
        self._finish(model_id, final, code, stderr)

    def _record(self, model_id: str, snapshots: list[dict]) -> None:
        if snapshots and self.store.exists(model_id):
            self.store.add_snapshots(model_id, snapshots, snapshots[-1]["step"], stamp())

    def _finish(self, model_id: str, final: dict | None, code: int, stderr: str) -> None:
        requested = self.outcome.pop(model_id, None)
        if requested == "delete" or not self.store.exists(model_id):
            self._drop_files(model_id, weights=True)
            return
        final = final or {}
        kind = final.get("event")
        current = self.store.get_model(model_id)
        if current is None or current["state"] != "CREATING":  # ended by the server meanwhile
            self._drop_files(model_id, weights=current is None or current["state"] == "FAILED")
            return
        if kind in ("done", "cancelled", "failed"):
            self.source_path(model_id).unlink(missing_ok=True)
        if kind == "done":
            moment = stamp()
            self.store.update_model(model_id, state="ACTIVE", complete_time=moment, update_time=moment)
        elif kind == "cancelled":
            self._cancelled(model_id, final["step"])
        elif kind == "stopped" or (self.stopping and kind is None):
            return  # stays CREATING; the next server resumes it from the checkpoint
        elif kind == "failed":
            self._fail(model_id, final["message"])
        else:
            last = stderr.splitlines()[-1] if stderr else "no output"
            self._fail(model_id, f"the trainer process ended unexpectedly (exit code {code}): {last}")

    def _cancelled(self, model_id: str, step: int) -> None:
        record = self.store.get_model(model_id) or {"total_steps": "?"}
        moment = stamp()
        message = f"Operation cancelled by the caller after {step} of {record['total_steps']} steps."
        error = {"code": RPC_CODES["CANCELLED"], "message": message}
        # With steps done, the weights of the last completed step are kept and served; quality is unpredictable.
        state = "ACTIVE" if step > 0 and self.weights_path(model_id).exists() else "FAILED"
        self.store.update_model(model_id, state=state, error=error, cancelled=1, complete_time=moment, update_time=moment)

    def _fail(self, model_id: str, message: str) -> None:
        if self.store.exists(model_id):
            moment = stamp()
            error = {"code": RPC_CODES["INTERNAL"], "message": message}
            self.store.update_model(model_id, state="FAILED", error=error, complete_time=moment, update_time=moment)
        self._drop_files(model_id, weights=False)

    def _send(self, model_id: str, command: str) -> None:
        process = self.running.get(model_id)
        if process is not None and process.stdin is not None and not process.stdin.is_closing():
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                process.stdin.write(command.encode() + b"\n")

    def cancel(self, model_id: str) -> bool:
        """Ask a job to end now. False if it is waiting in the queue (the caller ends it)."""
        if model_id in self.starting:
            self.outcome[model_id] = "cancel"
            return True
        if model_id in self.running:
            self.outcome[model_id] = "cancel"
            self._send(model_id, "cancel")
            return True
        return False

    def forget(self, model_id: str) -> None:
        """The tuned model is being deleted: stop its trainer and drop its files."""
        if model_id in self.starting:
            self.outcome[model_id] = "delete"
        elif model_id in self.running:
            self.outcome[model_id] = "delete"
            self._send(model_id, "cancel")
        else:
            self._drop_files(model_id, weights=True)

    def set_step_delay(self, seconds: float) -> None:
        for model_id in list(self.running):
            self._send(model_id, f"delay {seconds}")

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Checkpoint every running job (they resume on the next start) and stop the pool."""
        self.stopping = True
        for model_id in list(self.running):
            self._send(model_id, "stop")
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
