"""Advice from the eval curve: where eval loss bottoms out, and overfitting when it rises."""

from __future__ import annotations

from tui.jobs.curve import suggest_epochs
from tui.models import CurvePoint

STEPS_PER_EPOCH = 10


def train_curve(epochs: int) -> list[CurvePoint]:
    """Train loss that keeps falling, epoch after epoch."""
    return [
        CurvePoint(step=step, epoch=(step - 1) // STEPS_PER_EPOCH + 1, value=2.0 / step**0.5)
        for step in range(1, epochs * STEPS_PER_EPOCH + 1)
    ]


def eval_curve(values: list[float], with_epochs: bool = True) -> list[CurvePoint]:
    """One eval point at the end of each epoch (the epoch left out, as Vertex reports it, unless asked)."""
    return [
        CurvePoint(step=epoch * STEPS_PER_EPOCH, epoch=epoch if with_epochs else None, value=value)
        for epoch, value in enumerate(values, start=1)
    ]


def test_eval_loss_rising_while_train_falls_is_overfitting():
    advice = suggest_epochs(train_curve(6), 6, eval_curve([1.2, 0.8, 0.6, 0.65, 0.75, 0.9], with_epochs=False))
    assert advice.epochs == 3 and advice.best_epoch == 3 and advice.overfitting_from == 4
    assert "overfitting from epoch 4" in advice.reason and "Relaunch with 3 epochs" in advice.reason


def test_eval_loss_bottoming_out_sets_the_epochs():
    advice = suggest_epochs(train_curve(6), 6, eval_curve([1.2, 0.8, 0.6, 0.59, 0.6, 0.6]))
    assert advice.epochs == 4 and advice.overfitting_from is None
    assert "Eval loss is lowest at epoch 4" in advice.reason


def test_eval_loss_still_falling_asks_for_more_epochs():
    advice = suggest_epochs(train_curve(4), 4, eval_curve([1.2, 0.9, 0.7, 0.5]))
    assert advice.epochs == 6 and "still falling" in advice.reason


def test_eval_loss_falling_while_the_job_runs_says_so_once():
    advice = suggest_epochs(train_curve(3), 8, eval_curve([1.2, 0.9, 0.7]))
    assert advice.epochs is None and advice.best_epoch == 3
    assert advice.reason == "Eval loss is still falling: mean 0.700 at epoch 3 of 8 so far."


def test_eval_loss_flattening_by_the_last_epoch_suggests_where_it_flattens():
    advice = suggest_epochs(train_curve(6), 6, eval_curve([0.012, 0.0012, 0.0009, 0.0005, 0.0004, 0.0003]))
    assert advice.epochs == 4 and advice.best_epoch == 6 and "flattens from epoch 4" in advice.reason
    assert "more epochs" not in advice.reason


def test_without_a_validation_set_the_train_rule_stays():
    train = train_curve(6)
    assert suggest_epochs(train, 6, []) == suggest_epochs(train, 6)
    assert suggest_epochs(train, 6, eval_curve([1.0])) == suggest_epochs(train, 6)  # one epoch cannot tell
