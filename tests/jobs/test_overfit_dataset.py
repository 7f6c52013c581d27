"""The dataset made to overfit (tests/data/overfit-*.jsonl) overfits on the emulator's real trainer, and the
advice reads its eval curve right: eval loss bottoms out, then rises while train loss keeps falling, and the
advice names that epoch and the overfitting after it. Once with the trainer directly (three job seeds), once
through the Vertex protocol end to end (`tune --validation ... --watch`, then `jobs show --json`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli_env import use_emulator
from tests.jobs.test_cli import run
from tui.jobs.curve import epoch_means, suggest_epochs
from tui.models import CurvePoint

DATA = Path(__file__).resolve().parents[1] / "data"
TRAIN = DATA / "overfit-train.jsonl"
VALIDATION = DATA / "overfit-validation.jsonl"
EPOCHS = 8
MULTIPLIER = 3  # x the default rate 0.001; the Vertex form and CLI take the multiplier


def examples(path: Path) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(row["text_input"], row["output"]) for row in rows]


def train_with_eval(seed: int) -> tuple[list[CurvePoint], list[CurvePoint]]:
    """Train as a Vertex job does (batch size 4 under 1,000 examples, eval at each epoch's end): both curves."""
    from tui.emulator.trainer import Trainer
    from tui.emulator.vertex.runner import learning_rate
    from tui.emulator.vertex.stats import batch_size_for

    train = examples(TRAIN)
    trainer = Trainer(train, EPOCHS, batch_size_for(len(train)), learning_rate(MULTIPLIER), seed=seed)
    held_out = trainer.encode(examples(VALIDATION))
    epoch_ends = {trainer.steps_through_epoch(epoch) for epoch in range(1, EPOCHS + 1)}
    loss: list[CurvePoint] = []
    evals: list[CurvePoint] = []
    while trainer.step < trainer.total_steps:
        epoch = trainer.epoch_of(trainer.step)
        value = trainer.train_step()
        loss.append(CurvePoint(step=trainer.step, epoch=epoch, value=value))
        if trainer.step in epoch_ends:  # Vertex's eval points carry no epoch; the advice places them
            evals.append(CurvePoint(step=trainer.step, value=trainer.evaluate(held_out)[0]))
    return loss, evals


@pytest.mark.parametrize("seed", [0, 1_234_567, 2_718_281_828])
def test_the_trainer_overfits_the_dataset_and_the_advice_says_where(seed):
    loss, evals = train_with_eval(seed)
    eval_by_epoch = [point.value for point in evals]
    train_by_epoch = [value for _, value in epoch_means(loss)]
    best = min(range(EPOCHS), key=eval_by_epoch.__getitem__) + 1
    assert 1 < best < EPOCHS, f"eval loss should bottom out part-way: {eval_by_epoch}"
    assert eval_by_epoch[-1] > 1.15 * eval_by_epoch[best - 1], f"eval loss should rise after epoch {best}"
    assert train_by_epoch[-1] < train_by_epoch[best - 1] / 4, f"train loss should keep falling: {train_by_epoch}"

    advice = suggest_epochs(loss, EPOCHS, evals)
    assert advice.epochs == best and advice.best_epoch == best
    assert advice.overfitting_from is not None and advice.overfitting_from > best
    assert f"overfitting from epoch {advice.overfitting_from}" in advice.reason
    assert f"Relaunch with {best} epochs" in advice.reason


@pytest.fixture
def vertex_local(emulator, tmp_path, monkeypatch):
    """The CLI on the Vertex protocol against a fresh emulator, with nothing from the developer's environment."""
    return use_emulator(emulator, tmp_path, monkeypatch, protocol=None)


def test_a_vertex_job_on_the_dataset_is_advised_to_stop_where_eval_loss_bottoms_out(vertex_local, capsys):
    code, out, err = run(
        capsys, "--backend", "vertex-local", "tune", str(TRAIN), "--validation", str(VALIDATION),
        "--epochs", str(EPOCHS), "--learning-rate-multiplier", str(MULTIPLIER), "--display-name", "overfit",
        "--watch",
    )  # fmt: skip
    assert code == 0, err
    assert "(+24 for validation)" in out and "is ready" in out

    code, out, _ = run(capsys, "--backend", "vertex-local", "jobs", "list", "--json")
    assert code == 0
    [job] = json.loads(out)
    code, out, _ = run(capsys, "--backend", "vertex-local", "jobs", "show", job["id"], "--json")
    assert code == 0
    shown = json.loads(out)
    evals = [CurvePoint(**point) for point in shown["curves"]["eval_loss"]]
    assert len(evals) == EPOCHS, "one eval point at each epoch's end"
    best = min(evals, key=lambda point: point.value)
    best_epoch = [point.step for point in evals].index(best.step) + 1
    assert 1 < best_epoch < EPOCHS and evals[-1].value > 1.05 * best.value  # the job's seed is its random id

    advice = shown["advice"]
    assert advice["epochs"] == best_epoch == advice["best_epoch"]
    found = re.search(r"overfitting from epoch (\d+)", advice["reason"])
    assert found and int(found.group(1)) > best_epoch, advice["reason"]
    assert f"Relaunch with {best_epoch} epochs" in advice["reason"]
