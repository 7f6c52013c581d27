"""What a tuning job is billed for: billable tokens and, at the user's price, the cost.

Vertex AI bills supervised tuning by the tokens of the training examples times the epochs.
Before launch tunedeck estimates the tokens the way the lint counts them (characters / 4,
not a tokenizer: `DatasetStats.estimated_tokens`, counted once when the dataset is opened);
once Vertex has read the dataset, its exact `tuningDataStats` replace the estimate. The
price per million training tokens is the user's (config key
`training_price_per_million_tokens`): prices differ by model and change, so none is assumed.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.models import DatasetStats, DataStats

MILLION = 1_000_000


@dataclass(frozen=True)
class Estimate:
    """The training examples of a launch and their estimated tokens, per epoch."""

    examples: int
    tokens: int
    epochs: int | None

    @property
    def billable_tokens(self) -> int | None:
        """Tokens x epochs; None while the backend chooses the epochs."""
        return self.tokens * self.epochs if self.epochs else None


def estimate(stats: DatasetStats, epochs: int | None, validation_share: float | None = None) -> Estimate:
    """The estimate for a dataset's lint stats; a validation share leaves the held-out examples out."""
    from tui.datasets.split import ValidationSplit  # numpy behind it: only once a share is asked for

    examples, tokens = stats.examples, stats.estimated_tokens
    if validation_share and examples:
        held = ValidationSplit(validation_share).size(examples)
        tokens = round(tokens * (examples - held) / examples)
        examples -= held
    return Estimate(examples, tokens, epochs)


def amount(tokens: float) -> str:
    """`950`, `1.5 k`, `240 k`, `1.2 M`: a count of tokens for reading, not for adding up."""
    if tokens >= MILLION:
        return f"{tokens / MILLION:,.1f} M"
    if tokens >= 10_000:
        return f"{tokens / 1000:.0f} k"
    if tokens >= 1000:
        return f"{tokens / 1000:.1f} k"
    return f"{tokens:.0f}"


def money(dollars: float) -> str:
    """`$3.60`; `< $0.01` for what rounds to nothing."""
    if 0 < dollars < 0.005:
        return "< $0.01"
    return f"${dollars:,.2f}"


def cost(billable_tokens: int, price: float) -> float:
    """Dollars for `billable_tokens` at `price` per million."""
    return billable_tokens * price / MILLION


def cost_text(billable_tokens: int, price: float, *, exact: bool) -> str:
    """`≈ $3.60 at $3.00 / M` (or without ≈ for an exact count of tokens)."""
    dollars = money(cost(billable_tokens, price))
    sign = "" if exact or dollars.startswith("<") else "≈ "
    return f"{sign}{dollars} at {money(price)} / M"


def estimate_parts(figures: Estimate, price: float | None) -> tuple[str, str | None]:
    """The tokens (`≈ 1.2 M billable tokens (estimated: 240 k tokens × 5 epochs)`) and, at a price,
    the cost (`≈ $3.60 at $3.00 / M`); per epoch while the backend chooses the epochs."""
    billable = figures.billable_tokens
    if billable is None:
        tokens = f"≈ {amount(figures.tokens)} billable tokens per epoch (estimated); the backend chooses the epochs"
        return tokens, None if price is None else cost_text(figures.tokens, price, exact=False) + " per epoch"
    per_epoch = f"{amount(figures.tokens)} tokens × {figures.epochs} epochs"
    tokens = f"≈ {amount(billable)} billable tokens (estimated: {per_epoch})"
    return tokens, None if price is None else cost_text(billable, price, exact=False)


def estimate_text(figures: Estimate, price: float | None) -> str:
    """`≈ 1.2 M billable tokens (estimated: 240 k tokens × 5 epochs) · ≈ $3.60 at $3.00 / M`."""
    tokens, dollars = estimate_parts(figures, price)
    return tokens if dollars is None else f"{tokens} · {dollars}"


def estimate_json(stats: DataStats | None, price: float | None) -> dict | None:
    """Billable tokens and cost as `--json` carries them, or None when the backend reported no tokens."""
    if stats is None or stats.billable_tokens is None:
        return None
    data: dict = {"billable_tokens": stats.billable_tokens, "exact": stats.exact,
                  "price_per_million_tokens": price, "cost": None}
    if price is not None:
        data["cost"] = round(cost(stats.billable_tokens, price), 4)
    return data
