"""A trainer process: `python -m tui.emulator.worker --plan PLAN.json`.

Trains one job and reports on stdout, one JSON object per line, none growing with the job:
`{"event": "started"}` or `{"event": "resumed", "step": S}` (the server drops any curve
point after S: those steps are trained again), `{"event": "dataset", ...}` once a Vertex
job's files are read, `{"event": "points", "items": [...], "sync": bool}` (at most
`MAX_ITEMS` new curve points), `{"event": "post_processing"}`, then one of `done`,
`cancelled` (with `step`), `stopped` (with `step`) or `failed` (with `message`).

Commands on stdin, one per line: `cancel` (save the weights as they are and end), `discard`
(end keeping nothing: the job is being deleted), `stop`
(save a checkpoint and end; the server resumes from it later), `delay SECONDS`, and
`ack STEP`: the server has stored every point up to STEP. The points sent but not yet
acknowledged (a few milliseconds' worth, more while the server is busy) are saved with each
resume checkpoint and sent again on resume, so a checkpoint never holds a step whose point
the server may have missed. End of stdin means the server is gone: same as `stop`.

The plan (written by the server) says what to train on and with what settings; see
`tui.emulator.pool.WorkerPlan` for its fields.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

# One BLAS thread per trainer: the server keeps a core for answering requests.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import threading  # noqa: E402
import time  # noqa: E402
from collections import deque  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import orjson  # noqa: E402

CHECKPOINT_SECONDS = 5.0  # a crash loses at most this much training; a clean stop loses nothing
REPORT_SECONDS = 0.05
MAX_ITEMS = 200  # curve points per message: well under the server's line limit


class Controls:
    """Commands from the server, read on a background thread."""

    def __init__(self, step_delay: float) -> None:
        self.step_delay = step_delay
        self.command: str | None = None  # "cancel", "discard" or "stop"
        self.acked = 0
        self.wake = threading.Event()

    def listen(self) -> None:
        for line in sys.stdin:
            word, _, arg = line.strip().partition(" ")
            if word == "delay":
                self.step_delay = max(0.0, float(arg or 0))
                self.wake.set()
            elif word == "ack":
                self.acked = max(self.acked, int(arg))
            elif word in ("cancel", "discard", "stop"):
                self.command = self.command or word
                self.wake.set()
        self.command = self.command or "stop"
        self.wake.set()


def emit(event: dict) -> None:
    sys.stdout.buffer.write(orjson.dumps(event) + b"\n")
    sys.stdout.buffer.flush()


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _examples(plan: dict[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]], int] | None:
    """Training and validation examples and the batch size; None if the job failed (already reported)."""
    if plan.get("db"):
        from tui.emulator.store import read_examples

        return read_examples(Path(plan["db"]), plan["model"]), [], int(plan["batch_size"])
    from tui.emulator.vertex.stats import DatasetProblem, process

    dataset = plan["dataset"]
    parsed = Path(dataset["parsed"])
    if parsed.exists():
        saved = orjson.loads(parsed.read_bytes())
        return [tuple(e) for e in saved["train"]], [tuple(e) for e in saved["validation"]], saved["batch_size"]
    train = (Path(dataset["train"][0]), dataset["train"][1])
    validation = (Path(dataset["validation"][0]), dataset["validation"][1]) if dataset.get("validation") else None
    try:
        result = process(train, validation, int(plan["epochs"]))
    except DatasetProblem as exc:
        emit({"event": "failed", "message": str(exc), "code": 3})
        return None
    tmp = parsed.with_name(parsed.name + ".tmp")
    tmp.write_bytes(
        orjson.dumps({"train": result.train, "validation": result.validation, "batch_size": result.batch_size})
    )
    tmp.replace(parsed)
    emit({"event": "dataset", "stats": result.stats, "batchSize": result.batch_size, "totalSteps": result.total_steps})
    return result.train, result.validation, result.batch_size


def train(plan: dict[str, Any], controls: Controls) -> None:
    from tui.emulator.model import Model, Shape
    from tui.emulator.trainer import Trainer

    checkpoint = Path(plan["checkpoint"])
    output = Path(plan["output"])
    loaded = _examples(plan)
    if loaded is None:
        return
    examples, held_out, batch_size = loaded
    start_from = None
    if plan.get("start_from") and not checkpoint.exists():
        try:
            start_from, _ = Model.load(Path(plan["start_from"]))
        except Exception as exc:  # noqa: BLE001 - any unreadable file is reported as the job failing
            emit({"event": "failed", "message": f"cannot read the source tuned model's weights: {exc}"})
            return
    trainer = Trainer(
        examples,
        epochs=int(plan["epochs"]),
        batch_size=batch_size,
        learning_rate=float(plan["learning_rate"]),
        seed=int(plan["seed"]),
        shape=Shape(hidden=int(plan["hidden"])) if plan.get("hidden") else None,
        start_from=start_from,
    )
    pending: deque[dict] = deque()  # points sent, not yet acknowledged
    unsent: list[dict] = []
    if checkpoint.exists():
        try:
            notes = trainer.load_checkpoint(checkpoint)
            unsent += orjson.loads(notes) if notes else []  # points the server may have missed
        except Exception as exc:  # noqa: BLE001 - a damaged or foreign file: say so, do not guess
            emit({"event": "failed", "message": f"cannot resume from checkpoint {checkpoint.name}: {exc}"})
            return
        emit({"event": "resumed", "step": trainer.step})
    else:
        emit({"event": "started"})

    evaluation = trainer.encode(held_out) if held_out else None
    epoch_ends = {trainer.steps_through_epoch(e): e for e in range(1, trainer.epochs + 1)}
    saved_epochs = {int(e): Path(p) for e, p in (plan.get("epoch_weights") or {}).items()}
    eval_every = max(1, int(plan.get("eval_interval") or 0)) if plan.get("eval_interval") else 0
    last_report = last_checkpoint = time.monotonic()

    def report() -> None:
        nonlocal last_report
        while unsent:
            batch, unsent[:] = unsent[:MAX_ITEMS], unsent[MAX_ITEMS:]
            pending.extend(batch)
            emit({"event": "points", "items": batch})
        last_report = time.monotonic()

    def save_checkpoint() -> None:
        """The resume state, with the points the server has not acknowledged yet (sent again on resume)."""
        while pending and pending[0]["step"] <= controls.acked:
            pending.popleft()
        trainer.save_checkpoint(checkpoint, orjson.dumps([*pending, *unsent]))

    while trainer.step < trainer.total_steps:
        if controls.command == "stop":  # checkpoint first: the server may already be gone
            save_checkpoint()
            report()
            emit({"event": "stopped", "step": trainer.step})
            return
        if controls.command in ("cancel", "discard"):  # discard: the job is being deleted, keep nothing
            report()
            if trainer.step and controls.command == "cancel":
                trainer.model.save(output)
            checkpoint.unlink(missing_ok=True)
            emit({"event": "cancelled", "step": trainer.step})
            return
        epoch = trainer.epoch_of(trainer.step)
        loss = trainer.train_step()
        point: dict[str, Any] = {
            "step": trainer.step,
            "epoch": epoch,
            "time": now(),
            "loss": loss,
            "accuracy": trainer.last_correct / max(1, trainer.last_predictions),
            "predictions": trainer.last_predictions,
        }
        ended = epoch_ends.get(trainer.step)
        if evaluation is not None and (ended is not None or (eval_every and trainer.step % eval_every == 0)):
            eval_loss, eval_accuracy, eval_predictions = trainer.evaluate(evaluation)
            point["eval"] = {"loss": eval_loss, "accuracy": eval_accuracy, "predictions": eval_predictions}
        for done_epoch in (e for s, e in epoch_ends.items() if s == trainer.step):
            if done_epoch in saved_epochs and done_epoch != trainer.epochs:
                trainer.model.save(saved_epochs[done_epoch])
        unsent.append(point)
        if controls.step_delay > 0 or time.monotonic() - last_report >= REPORT_SECONDS or len(unsent) >= MAX_ITEMS:
            report()
        if trainer.step < trainer.total_steps and time.monotonic() - last_checkpoint > CHECKPOINT_SECONDS:
            save_checkpoint()
            last_checkpoint = time.monotonic()
        if controls.step_delay > 0 and controls.command is None:
            controls.wake.clear()
            controls.wake.wait(controls.step_delay)
    report()
    emit({"event": "post_processing"})
    trainer.model.save(output)
    checkpoint.unlink(missing_ok=True)
    emit({"event": "done", "step": trainer.step})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tui.emulator.worker")
    parser.add_argument("--plan", type=Path, required=True, help="the job's plan, written by the server")
    args = parser.parse_args(argv)
    plan = orjson.loads(args.plan.read_bytes())
    with contextlib.suppress(OSError):
        os.nice(10)  # requests to the server come first; training takes the leftover CPU
    controls = Controls(float(plan.get("step_delay") or 0.0))
    threading.Thread(target=controls.listen, daemon=True).start()
    try:
        train(plan, controls)
    except BrokenPipeError:  # the server went away; the last acknowledged checkpoint stands
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush to
        return 0
    except Exception as exc:  # noqa: BLE001 - any failure ends the job as failed, with its reason
        with contextlib.suppress(BrokenPipeError):
            emit({"event": "failed", "message": f"training failed: {type(exc).__name__}: {exc}"})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
