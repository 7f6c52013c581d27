"""Trainer benchmark: quality on the classification sample and speed at 500 examples x 5 epochs.

Run: `.venv/bin/python benchmarks/bench_trainer.py`. Prints one line per figure with the
bar it must meet. Speed is also given as a ratio to a baseline measured in the same run:
a forward pass (no gradients, no update) over the same 625 batches, so the ratio says
what training costs on top of merely reading the data through the model.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

# The same setting the trainer process runs with (tui/emulator/worker.py): one BLAS thread.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from tui.emulator.trainer import Trainer  # noqa: E402


def load_sample(name: str = "classification") -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in (ROOT / f"tui/samples/{name}.jsonl").read_text().splitlines() if line.strip()]
    return [(r["text_input"], r["output"]) for r in rows]


def answer(trainer: Trainer, prompt: str) -> str:
    out = bytes(b for b, _ in trainer.model.sample(prompt) if b is not None)
    return out.decode("utf-8", "replace")


def quality() -> None:
    examples = load_sample()
    train = [e for i, e in enumerate(examples) if i % 5 != 4]
    held_out = [e for i, e in enumerate(examples) if i % 5 == 4]
    for seed in (1, 2, 3):
        trainer = Trainer(train, epochs=5, batch_size=4, learning_rate=0.001, seed=seed)
        losses = [trainer.train_step() for _ in range(trainer.total_steps)]
        per_epoch = [[] for _ in range(5)]
        for step, loss in enumerate(losses):
            per_epoch[trainer.epoch_of(step) - 1].append(loss)
        ratio = statistics.mean(per_epoch[-1]) / statistics.mean(per_epoch[0])
        train_acc = sum(answer(trainer, a) == b for a, b in train) / len(train)
        held_acc = sum(answer(trainer, a) == b for a, b in held_out) / len(held_out)
        print(
            f"quality seed={seed}: train exact {train_acc:.1%} (bar >= 95%), held-out exact {held_acc:.1%} "
            f"(bar >= 80%), last/first epoch loss {ratio:.4f} (bar <= 0.20)  [{len(train)} train, {len(held_out)} held "
            "out]"
        )


def other_samples() -> None:
    """No bar: how the shipped generation samples fare (they need copying from the prompt)."""
    for name in ("number-increment", "summarization"):
        examples = load_sample(name)
        train = [e for i, e in enumerate(examples) if i % 5 != 4]
        held_out = [e for i, e in enumerate(examples) if i % 5 == 4]
        for epochs in (5, 20):
            trainer = Trainer(train, epochs=epochs, batch_size=4, learning_rate=0.001, seed=1)
            for _ in range(trainer.total_steps):
                trainer.train_step()
            train_acc = sum(answer(trainer, a) == b for a, b in train) / len(train)
            held_acc = sum(answer(trainer, a) == b for a, b in held_out) / len(held_out)
            print(
                f"sample {name}, {epochs} epochs: train exact {train_acc:.1%}, held-out exact {held_acc:.1%} (no bar)"
            )


def forward_only(trainer: Trainer, steps: int) -> float:
    """Baseline: the forward pass of each batch, no gradients and no update."""
    p = trainer.model.params
    started = time.perf_counter()
    for step in range(steps):
        batch = [trainer.examples[i] for i in trainer.batch_indices(step)]
        for e in batch:
            pooled = e.weights @ p["E"][e.ids]
            pre = pooled + p["P"][e.positions] + p["Q"][e.copies] + p["b1"]
            for j in range(trainer.shape.context):
                pre = pre + p["C"][j][e.contexts[:, j]]
            logits = np.maximum(pre, 0) @ p["W"] + p["b2"]
            np.exp(logits - logits.max(axis=1, keepdims=True))
    return time.perf_counter() - started


def speed() -> None:
    sample = load_sample()
    examples = [(f"{a} (#{i})", b) for i, (a, b) in enumerate(sample * 3)][:500]
    started = time.perf_counter()
    trainer = Trainer(examples, epochs=5, batch_size=4, learning_rate=0.001, seed=0)
    prepared = time.perf_counter() - started
    step_times = []
    for _ in range(trainer.total_steps):
        t = time.perf_counter()
        trainer.train_step()
        step_times.append(time.perf_counter() - t)
    total = time.perf_counter() - started
    baseline = forward_only(trainer, trainer.total_steps)
    print(
        f"speed: {len(examples)} examples x 5 epochs = {trainer.total_steps} steps in {total:.2f} s (bar <= 15 s); "
        f"featurising {prepared:.2f} s, median step {statistics.median(step_times) * 1000:.2f} ms; "
        f"forward-only baseline {baseline:.2f} s, training / baseline = {sum(step_times) / baseline:.1f}x"
    )
    # A 10-token answer: a model trained on the summarization sample (long outputs), capped at 10.
    rows = [
        json.loads(line) for line in (ROOT / "tui/samples/summarization.jsonl").read_text().splitlines() if line.strip()
    ]
    summarizer = Trainer([(r["text_input"], r["output"]) for r in rows], epochs=2, batch_size=4, learning_rate=0.001)
    while summarizer.step < summarizer.total_steps:
        summarizer.train_step()
    prompt = rows[3]["text_input"]
    latencies, produced = [], []
    for i in range(100):
        t = time.perf_counter()
        produced = [
            b for b, _ in summarizer.model.sample(prompt, max_bytes=10, temperature=0.7, rng=np.random.default_rng(i))
        ]
        latencies.append(time.perf_counter() - t)
    latencies.sort()
    print(
        f"generation: {len([b for b in produced if b is not None])}-token answer, median "
        f"{statistics.median(latencies) * 1000:.2f} ms, p99 {latencies[98] * 1000:.2f} ms (bar <= 50 ms; in-process, "
        "no HTTP: see bench_emulator.py for the served figure)"
    )


if __name__ == "__main__":
    quality()
    speed()
    other_samples()
