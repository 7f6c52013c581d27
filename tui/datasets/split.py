"""A seeded validation split, stratified by label when the outputs are class labels.

The split is planned from one pass over the records' labels (the text of each example's
last model turn) and then applied while the converted examples are written: the same
seed and data always give the same split. When the outputs look like class labels (a few
distinct short outputs, as `stats.categorical_labels` decides), each label keeps its share
of the validation set; otherwise the validation examples are drawn from all records.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from tui.datasets.stats import MAX_LABEL_CHARS, MAX_LABELS, categorical_labels

MAX_VALIDATION_EXAMPLES = 5000  # Vertex's limit (reference §3.2)
ALL = "\x00all"  # the one stratum of data without class labels


@dataclass(frozen=True)
class ValidationSplit:
    """How much of the dataset to keep for validation, and the seed that picks it."""

    fraction: float
    seed: int = 0
    stratify: bool = True  # by label, when the dataset is a classification one
    limit: int = MAX_VALIDATION_EXAMPLES

    def __post_init__(self) -> None:
        if not 0 < self.fraction < 1:
            raise ValueError(f"validation split {self.fraction} must be between 0 and 1 (e.g. 0.1 for 10 %)")

    def size(self, valid: int) -> int:
        """How many of `valid` examples go to validation (at least one, never all of them, at most `limit`)."""
        return min(self.limit, max(1, math.floor(valid * self.fraction + 0.5)), max(0, valid - 1))


def label_key(record: dict | None) -> str | None:
    """The text of a `contents` record's last model turn, when it is short enough to be a label."""
    if record is None:
        return None
    last = record["contents"][-1]
    text = "".join(part.get("text") or "" for part in last["parts"]).strip()
    return text if text and len(text) <= MAX_LABEL_CHARS else None


@dataclass
class SplitPlan:
    """Which valid examples go to validation: per stratum, their positions among that stratum's examples."""

    chosen: dict[str, set[int]]
    stratified: bool
    seen: Counter = field(default_factory=Counter)

    @property
    def size(self) -> int:
        return sum(map(len, self.chosen.values()))

    def takes(self, record: dict) -> bool:
        """Whether this valid example (met in file order) belongs to the validation set."""
        stratum = (label_key(record) or ALL) if self.stratified else ALL
        position = self.seen[stratum]
        self.seen[stratum] += 1
        return position in self.chosen.get(stratum, ())


def _allocate(counts: dict[str, int], total: int) -> dict[str, int]:
    """`total` split across strata in proportion to their sizes (largest remainder), none emptied."""
    size = sum(counts.values())
    exact = {k: total * n / size for k, n in counts.items()}
    taken = {k: min(int(v), max(0, counts[k] - 1)) for k, v in exact.items()}
    order = sorted(counts, key=lambda k: (-(exact[k] - int(exact[k])), k))
    spare = total - sum(taken.values())
    for k in order * 2:
        if spare <= 0:
            break
        if taken[k] < counts[k] - 1:
            taken[k] += 1
            spare -= 1
    return taken


def plan_split(labels: Iterable[str | None], split: ValidationSplit) -> SplitPlan:
    """Plan the split from the label key of every valid example, in file order (see `label_key`)."""
    counts: Counter[str] = Counter()
    valid = 0
    categorical = split.stratify
    for key in labels:
        valid += 1
        if categorical and key is not None:
            counts[key] += 1
            if len(counts) > MAX_LABELS:
                categorical = False
        elif categorical:
            categorical = False
    labelled = categorical_labels(dict(counts), valid) if categorical else None
    strata = dict(sorted(labelled.items())) if labelled else ({ALL: valid} if valid else {})
    wanted = split.size(valid)
    allocation = _allocate(strata, wanted) if strata and wanted > 0 else {}
    rng = random.Random(split.seed)
    chosen = {k: set(rng.sample(range(strata[k]), n)) for k, n in allocation.items() if n}
    return SplitPlan(chosen, stratified=labelled is not None)
