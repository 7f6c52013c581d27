"""A trainer process: `python -m tui.emulator.worker --db ... --model ID ...`.

Trains one tuned model and reports on stdout, one JSON object per line:
`{"event": "started"|"resumed", "snapshots": [...]}`, `{"event": "snapshots", "items": [...]}`
(new snapshots, sent at most every `REPORT_SECONDS` unless steps are slowed down),
then one of `done`, `cancelled` (with `step`),
`stopped` or `failed` (with `message`). It reads commands on stdin, one per line:
`cancel` (save the weights as they are and end), `stop` (save a checkpoint and end; the
server resumes from it later), `delay SECONDS`. End of stdin means the server is gone:
same as `stop`.
"""

from __future__ import annotations

import argparse
import os
import sys

# One BLAS thread per trainer: the server keeps a core for answering requests.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import threading  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import orjson  # noqa: E402

from tui.emulator.wire import float32  # noqa: E402

CHECKPOINT_SECONDS = 5.0  # a crash loses at most this much training; a clean stop loses nothing
REPORT_SECONDS = 0.05


class Controls:
    """Commands from the server, read on a background thread."""

    def __init__(self, step_delay: float) -> None:
        self.step_delay = step_delay
        self.command: str | None = None  # "cancel" or "stop"
        self.wake = threading.Event()

    def listen(self) -> None:
        for line in sys.stdin:
            word, _, arg = line.strip().partition(" ")
            if word == "delay":
                self.step_delay = max(0.0, float(arg or 0))
                self.wake.set()
            elif word in ("cancel", "stop"):
                self.command = self.command or word
                self.wake.set()
        self.command = self.command or "stop"
        self.wake.set()


def emit(event: dict) -> None:
    sys.stdout.buffer.write(orjson.dumps(event) + b"\n")
    sys.stdout.buffer.flush()


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def train(args: argparse.Namespace, controls: Controls) -> None:
    from tui.emulator.model import Model
    from tui.emulator.store import read_examples
    from tui.emulator.trainer import Trainer

    examples = read_examples(args.db, args.model)
    start_from = None
    if args.start_from is not None and not args.checkpoint.exists():
        try:
            start_from, _ = Model.load(args.start_from)
        except Exception as exc:
            emit({"event": "failed", "message": f"cannot read the source tuned model's weights: {exc}"})
            return
    trainer = Trainer(
        examples,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        seed=zlib.crc32(args.model.encode()),
        start_from=start_from,
    )
    snapshots: list[dict] = []
    if args.checkpoint.exists():
        try:
            snapshots = orjson.loads(trainer.load_checkpoint(args.checkpoint))
        except Exception as exc:  # a damaged or foreign file: say so, do not guess
            emit({"event": "failed", "message": f"cannot resume from checkpoint {args.checkpoint.name}: {exc}"})
            return
        emit({"event": "resumed", "step": trainer.step, "snapshots": snapshots})
    else:
        emit({"event": "started", "snapshots": []})

    last_checkpoint = time.monotonic()
    unsent: list[dict] = []
    last_report = time.monotonic()

    def report() -> None:
        nonlocal last_report
        if unsent:
            emit({"event": "snapshots", "items": unsent})
            unsent.clear()
        last_report = time.monotonic()

    while trainer.step < trainer.total_steps:
        if controls.command == "stop":  # checkpoint first: the server may already be gone
            trainer.save_checkpoint(args.checkpoint, orjson.dumps(snapshots))
            report()
            emit({"event": "stopped", "step": trainer.step})
            return
        if controls.command == "cancel":
            report()
            if trainer.step:
                trainer.model.save(args.output)
            args.checkpoint.unlink(missing_ok=True)
            emit({"event": "cancelled", "step": trainer.step})
            return
        epoch = trainer.epoch_of(trainer.step)
        loss = trainer.train_step()
        snapshot = {"step": trainer.step, "epoch": epoch, "meanLoss": float32(loss), "computeTime": now()}
        snapshots.append(snapshot)
        unsent.append(snapshot)
        if controls.step_delay > 0 or time.monotonic() - last_report >= REPORT_SECONDS:
            report()
        if trainer.step < trainer.total_steps and time.monotonic() - last_checkpoint > CHECKPOINT_SECONDS:
            trainer.save_checkpoint(args.checkpoint, orjson.dumps(snapshots))
            last_checkpoint = time.monotonic()
        if controls.step_delay > 0 and controls.command is None:
            controls.wake.clear()
            controls.wake.wait(controls.step_delay)
    trainer.model.save(args.output)
    report()
    args.checkpoint.unlink(missing_ok=True)
    emit({"event": "done", "step": trainer.step})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tui.emulator.worker")
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--model", required=True, help="tuned model id (without tunedModels/)")
    parser.add_argument("--output", type=Path, required=True, help="where the trained weights go")
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--learning-rate", type=float, required=True)
    parser.add_argument("--step-delay", type=float, default=0.0)
    parser.add_argument("--start-from", type=Path, help="weights to start from (tuning a tuned model)")
    args = parser.parse_args(argv)
    try:
        os.nice(10)  # requests to the server come first; training takes the leftover CPU
    except OSError:
        pass
    controls = Controls(args.step_delay)
    threading.Thread(target=controls.listen, daemon=True).start()
    try:
        train(args, controls)
    except BrokenPipeError:  # the server went away; the last checkpoint stands
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush to
        return 0
    except Exception as exc:
        try:
            emit({"event": "failed", "message": f"training failed: {type(exc).__name__}: {exc}"})
        except BrokenPipeError:
            pass
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
