"""The Monitor's job actions: cancel, delete, relaunch, try, refresh and export as CSV.

A mixin for `MonitorScreen`, which provides `selected_job`, `manager` and `suggestion()`.
Destructive actions ask first; every failure is shown where the user is, with the
backend's own words (which never contain a secret).
"""

from __future__ import annotations

import csv
from pathlib import Path

from textual import work

from tui.models import TRAIN_LOSS, Job
from tui.screens.dialogs import ConfirmDialog
from tui.widgets.monitor_format import CANCEL_WARNING, job_title
from tui.widgets.monitor_job_table import JobTable


class JobActions:
    """Actions on the selected job (mixed into a Screen)."""

    def _require_job(self) -> Job | None:
        job = self.selected_job
        if job is None:
            self.notify("Select a job first.", severity="warning")
        elif self.manager is None:
            self.notify("The backend is not connected yet; try again in a moment.", severity="warning")
            return None
        return job

    def action_cancel_job(self) -> None:
        job = self._require_job()
        if job is None:
            return
        if job.state.finished:
            self.notify(f"{job_title(job)} has already ended ({job.state.value}); nothing to cancel.", severity="warning")
            return
        question = f"Cancel {job_title(job)}?"
        self.app.push_screen(
            ConfirmDialog(question, CANCEL_WARNING, confirm_label="Cancel job", danger=True),
            lambda yes: self._cancel(job.name) if yes else None,
        )

    @work(group="job-action", exit_on_error=False)
    async def _cancel(self, name: str) -> None:
        try:
            await self.manager.cancel(name)
        except Exception as exc:  # noqa: BLE001 - shown to the user, who decides what next
            self.notify(f"Could not cancel: {exc}", severity="error", timeout=10)
        else:
            self.notify("Cancel requested. The job stops at its next step.")

    def action_delete_job(self) -> None:
        job = self._require_job()
        if job is None:
            return
        detail = f"The tuned model {job.name} is removed from the backend. This cannot be undone."
        self.app.push_screen(
            ConfirmDialog(f"Delete {job_title(job)}?", detail, confirm_label="Delete", danger=True),
            lambda yes: self._delete(job.name) if yes else None,
        )

    @work(group="job-action", exit_on_error=False)
    async def _delete(self, name: str) -> None:
        try:
            await self.manager.delete(name)
        except Exception as exc:  # noqa: BLE001
            self.notify(f"Could not delete: {exc}", severity="error", timeout=10)
        else:
            self.notify(f"Deleted {name}.")

    async def action_relaunch(self) -> None:
        job = self._require_job()
        if job is None:
            return
        suggestion = self.suggestion(job)
        epochs = suggestion.epochs
        if epochs is None:
            self.notify(f"No epoch advice yet ({suggestion.reason}) The form keeps this job's epochs.", timeout=8)
        if not job.dataset_path:
            self.notify("This job's dataset is not known here: pick it in the form.", severity="warning", timeout=8)
        await self.app.relaunch(job, epochs)

    async def action_try_model(self) -> None:
        job = self._require_job()
        if job is not None:
            await self.app.try_model(job.name)

    def action_refresh_jobs(self) -> None:
        self._refresh()

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def _refresh(self) -> None:
        if not await self.app.refresh_jobs():
            return
        self.query_one(JobTable).set_jobs(list(self.manager.jobs))
        self._update_empty()
        self._show_job(self.query_one(JobTable).selected_name)
        self.notify("Jobs refreshed.")

    def action_export(self) -> None:
        job = self.selected_job
        if job is None:
            self.notify("Select a job first.", severity="warning")
            return
        if not job.loss_curve:
            self.notify("This job has no loss points yet; nothing to export.", severity="warning")
            return
        self._export(job)

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self, job: Job) -> None:
        try:
            target = export_snapshots(job, self.app.settings.data_dir / "exports")
        except OSError as exc:
            message = f"Could not write the CSV: {exc}. Check that the data folder is writable."
            self.app.call_from_thread(self.notify, message, severity="error", timeout=10)
            return
        self.app.call_from_thread(self.notify, f"Saved {len(job.loss_curve)} loss points to {target}", timeout=10)


def export_snapshots(job: Job, folder: Path) -> Path:
    """Write a job's training loss as CSV (step, epoch, mean_loss, compute_time), with one more
    column per other curve the backend reported (its value at that step); returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{job.id}-snapshots.csv"
    others = [name for name in job.curves if name != TRAIN_LOSS]
    by_step = {name: {p.step: p.value for p in job.curve(name)} for name in others}
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["step", "epoch", "mean_loss", "compute_time", *others])
        for point in job.loss_curve:
            extra = [repr(by_step[name][point.step]) if point.step in by_step[name] else "" for name in others]
            epoch = "" if point.epoch is None else point.epoch
            writer.writerow([point.step, epoch, repr(point.value), point.time.isoformat() if point.time else "", *extra])
    return target
