"""The datasets shipped with tunedeck, listed first so a new user can start at once.

Kept apart from `tui.datasets` (which loads numpy) so the app can list them in its
first frame without waiting for the dataset code.
"""

from __future__ import annotations

from pathlib import Path

SAMPLE_ORDER = ("number-increment.jsonl", "classification.jsonl", "summarization.jsonl")


def sample_paths() -> list[Path]:
    """The shipped sample files, in the order a new user sees them."""
    folder = Path(__file__).resolve().parent
    return [folder / name for name in SAMPLE_ORDER if (folder / name).is_file()]
