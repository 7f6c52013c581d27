"""The monitor's job list: newest first, filterable, with marks for the compare view."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from tui.models import Job
from tui.screens.monitor_format import ago, ago_changes_in, job_title, last_heard, loss_text, percent

# (key, label, width); the job column takes the width the others leave, within its bounds.
COLUMNS = (
    ("mark", " ", 1),
    ("job", "Job", 0),
    ("state", "State", 9),
    ("progress", "Done", 4),
    ("loss", "Loss", 6),
    ("updated", "Updated", 10),
)
JOB_WIDTH = (14, 40)  # narrowest and widest job column
OPTIONAL = ("updated", "progress")  # left out in this order when the job column would be too narrow
PADDING = 1  # cell padding on each side
# Theme variables, so the states stay readable in every theme.
STATE_COLOURS = {
    "PENDING": "text-muted",
    "CREATING": "text-warning",
    "ACTIVE": "text-success",
    "FAILED": "text-error",
    "CANCELLED": "text-error",
    "DELETED": "text-muted",
}
MARK = "●"
AGE_SLACK_S = 1.0  # an "updated" label may lag this much so that labels change together
# DataTable's caches of a row's cell values, and of its renders by cell, by row and by line.
CACHES = ("_row_renderable_cache", "_cell_render_cache", "_row_render_cache", "_line_cache")


def fit_columns(width: int, clocks: bool = True) -> tuple[tuple[str, str, int], ...]:
    """The columns for a list `width` cells wide: every one that fits beside a job column of
    at least JOB_WIDTH[0] (dropping OPTIONAL ones in order), the job column taking the rest."""
    columns = [column for column in COLUMNS if clocks or column[0] != "updated"]
    job_width = 0
    for optional in (*OPTIONAL, None):
        others = sum(w + 2 * PADDING for key, _, w in columns if key != "job")
        job_width = width - others - 2 * PADDING
        if job_width >= JOB_WIDTH[0] or optional is None:
            break
        columns = [column for column in columns if column[0] != optional]
    job_width = max(JOB_WIDTH[0], min(JOB_WIDTH[1], job_width))
    return tuple((key, label, job_width if key == "job" else w) for key, label, w in columns)


def _newest_first(job: Job) -> tuple[float, str]:
    created = job.created.timestamp() if job.created else 0.0
    return (-created, job.name)


class JobTable(DataTable):
    """Jobs with state, progress, latest loss and when they were last heard of."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="jobs.down"),
        Binding("k", "cursor_up", "Up", show=False, id="jobs.up"),
    ]

    def __init__(self, *, relative_times: bool = True, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.relative_times = relative_times
        self._jobs: dict[str, Job] = {}
        self._filter = ""
        self._shown: dict[tuple[str, str], str] = {}  # (row, column) -> text on screen
        self._layout: tuple[tuple[str, str, int], ...] = ()
        self.marked: list[str] = []

    def on_mount(self) -> None:
        self._fit(self.size.width or 80)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        """Lay the columns out for this width: all that fit, the job names taking the rest."""
        layout = fit_columns(width, self.relative_times)
        if layout == self._layout:
            return
        self._layout = layout
        self.clear(columns=True)
        for key, label, column_width in layout:
            self.add_column(label, key=key, width=column_width)
        self._rebuild()

    # -- content ---------------------------------------------------------------------

    @property
    def jobs(self) -> list[Job]:
        return sorted(self._jobs.values(), key=_newest_first)

    @property
    def matching(self) -> list[Job]:
        """The jobs the filter lets through, newest first (not `visible`: that is Textual's)."""
        return [job for job in self.jobs if self._matches(job)]

    @property
    def selected_name(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def job(self, name: str) -> Job | None:
        return self._jobs.get(name)

    def set_jobs(self, jobs: list[Job]) -> None:
        self._jobs = {job.name: job for job in jobs}
        self.marked = [name for name in self.marked if name in self._jobs]
        self._rebuild()

    def upsert(self, job: Job) -> None:
        """Add a job or update its row in place."""
        known = job.name in self._jobs
        self._jobs[job.name] = job
        if known and job.name in self.rows and self._matches(job):
            for key, value in self._cells(job).items():
                self._set(job.name, key, value)
        else:
            self._rebuild()

    def remove_job(self, name: str) -> None:
        if self._jobs.pop(name, None) is not None:
            if name in self.marked:
                self.marked.remove(name)
            self._rebuild()

    def set_filter(self, text: str) -> None:
        self._filter = text.strip().lower()
        self._rebuild()

    def toggle_mark(self, name: str) -> bool:
        """Mark or unmark a job for comparison; True when it is now marked."""
        if name in self.marked:
            self.marked.remove(name)
        else:
            self.marked.append(name)
        if name in self.rows:
            self._set(name, "mark", MARK if name in self.marked else "")
        return name in self.marked

    def select(self, name: str) -> bool:
        """Move the cursor to a job (clearing the filter if it hides the job)."""
        if name not in self._jobs:
            return False
        if name not in self.rows:
            self.set_filter("")
        self.move_cursor(row=self.get_row_index(name))
        return True

    def _set(self, name: str, column: str, value: object) -> None:
        """Update a cell only when its text changes: every update repaints the whole table."""
        if ColumnKey(column) not in self.columns:
            return  # not shown at this width (or no clocks in test mode)
        text = str(value)
        if self._shown.get((name, column)) == text:
            return
        self._shown[(name, column)] = text
        self._set_cell(name, column, value)

    def _set_cell(self, name: str, column: str, value: object) -> None:
        """`update_cell`, repainting only the cell: Textual's version repaints every row, and
        renders every cell on screen again (its caches are keyed on a count of updates).
        Here only the cell's own cached renders are dropped, and the lines that show it."""
        data = getattr(self, "_data", None)
        row = self._row_locations.get(RowKey(name)) if data is not None else None
        renderables, cells, rows, lines = (getattr(self, cache, None) for cache in CACHES)
        if data is None or row is None or not (
            isinstance(renderables, LRUCache) and isinstance(cells, LRUCache) and isinstance(rows, LRUCache)
            and isinstance(lines, LRUCache)
        ):
            self.update_cell(name, column, value)  # Textual internals changed: repaint it all
            return
        row_key, column_key = RowKey(name), ColumnKey(column)
        data[row_key][column_key] = value
        for key in [key for key in renderables.keys() if key[1] == row]:  # noqa: SIM118 - a copy: discard changes it
            renderables.discard(key)
        for key in [key for key in cells.keys() if key[0] == row_key and key[1] == column_key]:  # noqa: SIM118
            cells.discard(key)
        for key in [key for key in rows.keys() if key[0] == row_key]:  # noqa: SIM118 - a copy: discard changes it
            rows.discard(key)
        lines.clear()  # keyed by line on screen; rebuilt from the rows, which stay cached but for this one
        self.refresh_coordinate(Coordinate(row, self.get_column_index(column)))

    def tick(self, latest: Callable[[str], Job | None] | None = None) -> float | None:
        """Refresh the 'updated … ago' column; returns the seconds until it should be again.

        `latest` gives the current view of a job when the rows may lag behind it (its other
        cells are updated in batches). The wait covers every label due to change within
        AGE_SLACK_S of the soonest one, so rows ageing together cost one repaint (None:
        nothing on screen will age).
        """
        if not self.relative_times:
            return None
        now = datetime.now(UTC)
        changes: list[float] = []
        for job in self._jobs.values():
            if job.name in self.rows:
                current = (latest(job.name) if latest is not None else None) or job
                moment = last_heard(current)
                self._set(job.name, "updated", ago(moment, now))
                change = ago_changes_in(moment, now)
                if change is not None:
                    changes.append(change)
        if not changes:
            return None
        soonest = min(changes)
        return max(change for change in changes if change <= soonest + AGE_SLACK_S)

    # -- internals -------------------------------------------------------------------

    def _matches(self, job: Job) -> bool:
        if not self._filter:
            return True
        return any(self._filter in text.lower() for text in (job_title(job), job.name, job.state.value, job.state_word))

    def _cells(self, job: Job) -> dict[str, object]:
        """The job's cells in the columns shown."""
        cells: dict[str, object] = {
            "mark": MARK if job.name in self.marked else "",
            "job": job_title(job),
            "state": Text(job.state_word, style=self._state_style(job)),
            "progress": percent(job),
            "loss": loss_text(job.latest_loss),
            "updated": ago(last_heard(job), datetime.now(UTC)),
        }
        return {key: cells[key] for key, _, _ in self._layout}

    def _state_style(self, job: Job) -> str:
        colour = self.app.theme_variables.get(STATE_COLOURS.get(job.state.value, ""), "")
        return "dim" if not colour.startswith("#") else colour  # "auto 60%" is Textual-only

    def _rebuild(self) -> None:
        selected = self.selected_name
        self.clear()
        self._shown.clear()
        for job in self.matching:
            cells = self._cells(job)
            self.add_row(*cells.values(), key=job.name)
            self._shown.update({(job.name, column): str(value) for column, value in cells.items()})
        if selected is not None and selected in self.rows:
            self.move_cursor(row=self.get_row_index(selected), animate=False)
