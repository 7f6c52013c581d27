"""Numbers about a dataset: counts, lengths, labels, the detected preamble and markers,
and a histogram of input and output lengths drawn with plotext.

Everything is filled in when the dataset's lint ends, while the tab may be hidden: the
histogram is drawn in a thread worker (tui/widgets/length_histogram.py), so showing the tab
is only a change of what is displayed. plotext is imported only when the first histogram is
drawn, never before the first frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

if TYPE_CHECKING:
    from tui.datasets import FormatProfile
    from tui.models import DatasetStats, LengthSummary


def _lengths(label: str, summary: LengthSummary) -> str:
    if not summary or not summary.count:
        return f"{label:<8} –"
    return (
        f"{label:<8} min {summary.min:,} · median {summary.p50:,} · mean {summary.mean:,.0f} · "
        f"p95 {summary.p95:,} · max {summary.max:,} chars"
    )


def describe_stats(stats: DatasetStats) -> str:
    """The stats as a few lines of plain text."""
    lines = [
        f"examples {stats.examples:,}",
        _lengths("input", stats.input_chars),
        _lengths("output", stats.output_chars),
        f"tokens   ≈{stats.estimated_tokens:,} (estimate: characters / 4, not a tokenizer count)",
        f"inline   {stats.inline_bytes / 1024:,.1f} KiB of 4,096 KiB allowed in one request",
        f"repeats  {stats.duplicates:,} exact duplicates · {stats.conflicting_inputs:,} inputs with different outputs",
    ]
    if stats.labels:
        total = sum(stats.labels.values()) or 1
        top = sorted(stats.labels.items(), key=lambda item: -item[1])[:8]
        labels = " · ".join(f"{name} {count} ({100 * count / total:.0f}%)" for name, count in top)
        lines.append(f"labels   {labels}")
    return "\n".join(lines)


def describe_profile(profile: FormatProfile | None) -> str:
    """The detected preamble and markers: what production prompts must repeat."""
    if profile is None:
        return "No format profile."
    preamble = getattr(profile, "preamble", None)
    markers = list(getattr(profile, "markers", None) or [])
    lines = [f"preamble {preamble!r}" if preamble else "preamble none detected"]
    lines.append("markers  " + (" → ".join(markers) if markers else "none detected"))
    if preamble or markers:
        lines.append("Prompts sent to the tuned model must use the same preamble and markers, in this order.")
    return "\n".join(lines)


class DatasetStatsView(VerticalScroll):
    """Stats text, the format profile and a length histogram."""

    DEFAULT_CSS = """
    DatasetStatsView { padding: 0 1; scrollbar-gutter: stable; }
    DatasetStatsView .stats-label { color: $text-accent; text-style: bold; margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static("No dataset open.", id="stats-text", markup=False)
        yield Static("format", classes="stats-label")
        yield Static("", id="stats-profile", markup=False)
        yield Static("length histogram", classes="stats-label")

    def clear(self) -> None:
        """Show no stats (no dataset is open)."""
        self.query_one("#stats-text", Static).update("No dataset open.")
        self.query_one("#stats-profile", Static).update("")
        self.query("#stats-histogram").remove()

    def show(self, stats: DatasetStats, profile: FormatProfile | None = None) -> None:
        """Show the stats of a linted dataset."""
        self.query_one("#stats-text", Static).update(describe_stats(stats))
        self.query_one("#stats-profile", Static).update(describe_profile(profile))
        self._draw_histogram(stats)

    def _draw_histogram(self, stats: DatasetStats) -> None:
        from tui.widgets.length_histogram import LengthHistogram

        plots = self.query("#stats-histogram")
        if plots:
            plot = plots.first(LengthHistogram)
        else:
            plot = LengthHistogram(id="stats-histogram")
            self.mount(plot)
        plot.show(stats)
