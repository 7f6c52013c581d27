"""The job list renders again only the cells that changed (Textual's update_cell renders every cell again)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.cache import LRUCache

from tests.monitor.conftest import seeded_jobs
from tui.models import TRAIN_LOSS, CurvePoint
from tui.widgets.monitor_job_table import JobTable


class ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield JobTable(relative_times=False)


async def test_a_new_loss_renders_that_cell_alone_and_shows_it():
    app = ListApp()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(JobTable)
        jobs = seeded_jobs()
        table.set_jobs(jobs)
        await pilot.pause()
        await pilot.pause()
        table.refresh()  # every cell rendered, and cached, as the table now stands (its widths settled)
        await pilot.pause()
        rendered: list[tuple[str | None, str | None]] = []  # (row, column) of each cell rendered afresh

        class Counting(LRUCache):
            def set(self, key, value):
                rendered.append((key[0].value, key[1].value))
                return super().set(key, value)

            __setitem__ = set

        kept = table._cell_render_cache
        table._cell_render_cache = Counting(kept.maxsize)
        for key in list(kept.keys()):
            LRUCache.set(table._cell_render_cache, key, kept[key])
        job = jobs[1]
        last = job.curve(TRAIN_LOSS)[-1]
        lower = job.model_copy(update={"curves": {TRAIN_LOSS: [*job.curve(TRAIN_LOSS),
                                                               CurvePoint(step=last.step + 1, value=0.0123)]}})
        table.upsert(lower)
        await pilot.pause()
        await pilot.pause()
        assert rendered == [(job.name, "loss")]  # Textual's update_cell: every cell on screen
        assert str(table.get_cell(job.name, "loss")) == "0.0123"
        line = app.screen._compositor.render_strips()[table.get_row_index(job.name) + 1]  # under the header row
        assert "0.0123" in line.text
