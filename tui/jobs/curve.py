"""Loss-curve analysis: per-epoch means, smoothing, downsampling and a suggested epoch count.

Pure functions over curve points (`CurvePoint` lists) and plain numbers; no I/O, no UI. The suggestion
follows the tuning guide's rule: stop at the lowest point of the curve just before it
flattens (a curve that plateaus around epochs 4-6 means 4 epochs give the same result).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from numpy.typing import NDArray

from tui.models import CurvePoint

# An epoch is on the plateau when every later epoch improves on it by at most this share
# of the curve's total drop.
PLATEAU_SHARE = 0.05
# Below this relative drop (first epoch to lowest) the loss is considered not to have moved.
FLAT_SHARE = 0.02


@dataclass(frozen=True)
class Suggestion:
    """What the loss curve says about the number of epochs, in numbers and in words."""

    epochs: int | None  # advised epoch count for the next run; None when the curve cannot tell
    best_epoch: int | None  # epoch with the lowest mean loss
    plateau_epoch: int | None  # first epoch after which the loss stays flat
    reason: str
    overfitting_from: int | None = None  # first epoch whose eval loss rose while train loss fell


def epoch_means(points: Iterable[CurvePoint]) -> list[tuple[int, float]]:
    """Mean value of each epoch, in epoch order: [(epoch, mean), ...]; points without an epoch are left out."""
    sums: dict[int, float] = {}
    counts: dict[int, int] = {}
    for point in points:
        if point.epoch is None:
            continue
        sums[point.epoch] = sums.get(point.epoch, 0.0) + point.value
        counts[point.epoch] = counts.get(point.epoch, 0) + 1
    return [(epoch, sums[epoch] / counts[epoch]) for epoch in sorted(sums)]


def ema(values: Sequence[float], alpha: float = 0.1) -> list[float]:
    """Exponential moving average: s0 = v0, s_t = alpha * v_t + (1 - alpha) * s_(t-1)."""
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    out: list[float] = []
    current: float | None = None
    for value in values:
        current = value if current is None else alpha * value + (1 - alpha) * current
        out.append(current)
    return out


def downsample(
    xs: Sequence[Any] | NDArray[Any], ys: Sequence[float] | NDArray[Any], max_points: int
) -> tuple[list, list]:
    """Reduce a curve to at most `max_points` points, keeping each bucket's min and max.

    The first and last points and the global extremes always survive, so a chart of the
    result has the same range and the same spikes as the full curve.
    """
    n = len(xs)
    if n != len(ys):
        raise ValueError(f"xs and ys differ in length ({n} vs {len(ys)})")
    if max_points < 4:
        raise ValueError(f"max_points must be at least 4, got {max_points}")
    if n <= max_points:
        return list(xs), list(ys)

    import numpy as np  # lazy: the app's first frame must not wait for numpy

    x = np.asarray(xs)
    y = np.asarray(ys, dtype=float)
    buckets = (max_points - 2) // 2
    size = math.ceil(n / buckets)
    buckets = math.ceil(n / size)
    padded = buckets * size
    low = np.full(padded, np.inf)
    low[:n] = y
    high = np.full(padded, -np.inf)
    high[:n] = y
    offsets = np.arange(buckets) * size
    keep = np.concatenate(
        (
            [0, n - 1],
            offsets + low.reshape(buckets, size).argmin(axis=1),
            offsets + high.reshape(buckets, size).argmax(axis=1),
        )
    )
    keep = np.unique(keep[keep < n])
    return x[keep].tolist(), y[keep].tolist()


def _plateau_epoch(means: list[tuple[int, float]], tolerance: float) -> int | None:
    """First epoch (not the last) that no later epoch improves on by more than `tolerance`."""
    for i in range(len(means) - 1):
        later_best = min(loss for _, loss in means[i + 1 :])
        if means[i][1] - later_best <= tolerance:
            return means[i][0]
    return None


def _with_epochs(points: Sequence[CurvePoint], train: Sequence[CurvePoint]) -> list[CurvePoint]:
    """Eval points with their epoch: their own, else that of the training step they follow."""
    steps = [(point.step, point.epoch) for point in train if point.epoch is not None]
    placed = []
    for point in points:
        epoch = point.epoch
        if epoch is None:
            before = [e for step, e in steps if step <= point.step]
            epoch = before[-1] if before else None
        if epoch is not None:
            placed.append(point if point.epoch == epoch else point.model_copy(update={"epoch": epoch}))
    return placed


def suggest_from_eval(
    train: Sequence[CurvePoint], evals: Sequence[CurvePoint], epochs_run: int | None
) -> Suggestion | None:
    """Advise from the eval curve: the epoch count where eval loss bottoms out, and
    overfitting when eval loss rises after it while train loss keeps falling. None when
    the eval curve covers fewer than two epochs."""
    means = epoch_means(_with_epochs(evals, train))
    if len(means) < 2:
        return None
    seen = means[-1][0]
    epochs_run = epochs_run or seen
    running = seen < epochs_run
    so_far = f" (epoch {seen} of {epochs_run} so far)" if running else ""
    best_epoch, best = min(means, key=lambda item: item[1])
    first = means[0][1]
    tolerance = PLATEAU_SHARE * max(first - best, abs(best) * FLAT_SHARE)
    train_means = dict(epoch_means(train))
    after = [(epoch, value) for epoch, value in means if epoch > best_epoch]
    rising = [epoch for epoch, value in after if value > best + tolerance]
    train_falling = (
        best_epoch in train_means and seen in train_means and train_means[seen] < train_means[best_epoch]
    )
    if rising and train_falling:
        worst = max(value for _, value in after)
        return Suggestion(
            best_epoch,
            best_epoch,
            None,
            f"Eval loss bottoms out at epoch {best_epoch} (mean {best:.3f}) and rises after it (up to {worst:.3f}) "
            f"while train loss keeps falling: the model is overfitting from epoch {rising[0]}{so_far}. "
            f"Relaunch with {best_epoch} epochs (or a smaller learning rate).",
            overfitting_from=rising[0],
        )
    if best_epoch == seen:
        if means[-2][1] - best <= tolerance:  # lowest at the end, but hardly lower than before: a plateau
            plateau, level = next((epoch, value) for epoch, value in means if value <= best + tolerance)
            return Suggestion(
                plateau,
                best_epoch,
                None,
                f"Eval loss flattens from epoch {plateau} (mean {level:.3g}); later epochs lower it only to "
                f"{best:.3g} at epoch {best_epoch}{so_far}. {plateau} epochs give about the same held-out loss.",
            )
        if running:
            reason = f"Eval loss is still falling: mean {best:.3f} at epoch {seen} of {epochs_run} so far."
            return Suggestion(None, best_epoch, None, reason)
        more = min(1000, epochs_run + max(2, round(epochs_run / 2)))
        reason = f"Eval loss was still falling at the last epoch ({best:.3f}); try more epochs, e.g. {more}."
        return Suggestion(more, best_epoch, None, reason)
    return Suggestion(
        best_epoch,
        best_epoch,
        None,
        f"Eval loss is lowest at epoch {best_epoch} (mean {best:.3f}){so_far}; later epochs do not improve it. "
        f"{best_epoch} epochs give the best held-out loss.",
    )


def suggest_epochs(
    loss: Sequence[CurvePoint], epochs_run: int | None, eval_loss: Sequence[CurvePoint] = ()
) -> Suggestion:
    """Advise an epoch count from a job's loss curves.

    With an eval curve (a validation set) the advice follows eval loss (`suggest_from_eval`);
    otherwise the training loss's plateau. `epochs_run` is the epoch count the job was
    launched with (None when the backend did not say); when the curve stops earlier the job
    is still training and the advice says so.
    """
    if eval_loss and (from_eval := suggest_from_eval(loss, eval_loss, epochs_run)) is not None:
        return from_eval
    means = epoch_means(loss)
    if len(means) < 2:
        return Suggestion(
            None, means[0][0] if means else None, None, "Needs at least two epochs of loss to judge the curve."
        )

    seen = means[-1][0]
    if epochs_run is None:
        epochs_run = seen
    running = seen < epochs_run
    so_far = f" (epoch {seen} of {epochs_run} so far)" if running else ""
    best_epoch, best_loss = min(means, key=lambda item: item[1])
    first_loss = means[0][1]
    drop = first_loss - best_loss

    if drop <= FLAT_SHARE * abs(first_loss):
        return Suggestion(
            None,
            best_epoch,
            None,
            f"The loss hardly moved ({first_loss:.3f} at epoch {means[0][0]} to {best_loss:.3f} at best){so_far}; "
            "more epochs are unlikely to help: check the data or try a higher learning rate.",
        )

    tolerance = PLATEAU_SHARE * drop
    plateau = _plateau_epoch(means, tolerance)
    if plateau is None:
        previous, last = means[-2][1], means[-1][1]
        fall = f"mean {previous:.3f} at epoch {means[-2][0]} to {last:.3f} at epoch {seen}"
        if running:
            return Suggestion(None, best_epoch, None, f"The loss is still falling{so_far} ({fall}); no plateau yet.")
        more = min(1000, epochs_run + max(2, round(epochs_run / 2)))
        return Suggestion(
            more,
            best_epoch,
            None,
            f"The loss was still falling at the last epoch ({fall}); try more epochs, e.g. {more}.",
        )

    plateau_loss = dict(means)[plateau]
    rest = "later epochs do not improve it"
    if plateau_loss > best_loss:
        rest = f"later epochs lower it only to {best_loss:.3f} at epoch {best_epoch}"
    elif means[-1][1] > best_loss + tolerance:
        rest = f"the loss rises after epoch {best_epoch}, a sign of overfitting"
    if running:
        return Suggestion(
            plateau,
            best_epoch,
            plateau,
            f"The loss has been flat since epoch {plateau} (mean {plateau_loss:.3f}){so_far}; {rest}. "
            f"{plateau} epochs would give about the same result.",
        )
    if plateau >= epochs_run:
        return Suggestion(
            epochs_run, best_epoch, plateau, f"The loss flattens at epoch {plateau}; keep {epochs_run} epochs."
        )
    return Suggestion(
        plateau,
        best_epoch,
        plateau,
        f"The loss flattens from epoch {plateau} (mean {plateau_loss:.3f}); {rest}. "
        f"{plateau} epochs give about the same result as {epochs_run}.",
    )
