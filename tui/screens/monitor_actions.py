"""The Monitor's job actions: cancel, delete, relaunch, try, refresh and export as CSV.

On Vertex AI, cancelling first says what it means (best effort, the bill, what remains:
`tui.jobs.cancel_notice`), and deleting removes the job's tuned model and the endpoints
serving it (planned and confirmed: `tui.screens.model_delete`); the job's record stays.

`JobActions` is the typed base of `MonitorScreen`: what the actions need from the screen
(`selected_job`, `manager`, `suggestion()`) is declared here, abstract, so the type checker
holds the screen to it. Destructive actions ask first; a failed action is reported by the
screen's one worker-error path (`AppScreen.worker_failed`) with the backend's own words
(which never contain a secret).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work

from tui.jobs.cancel_notice import cancel_notice_for
from tui.jobs.library import registry_of
from tui.messages import Relaunch, TryModel
from tui.models import TRAIN_LOSS, Job
from tui.screens.base import AppScreen
from tui.screens.dialogs import ConfirmDialog
from tui.screens.model_delete import delete_with_confirmation
from tui.screens.monitor_dialogs import DetailsDialog
from tui.screens.monitor_format import CANCEL_WARNING, job_title
from tui.widgets.monitor_job_table import JobTable

if TYPE_CHECKING:
    from tui.jobs.curve import Suggestion
    from tui.jobs.manager import JobManager

FAILED = {"cancel": "Could not cancel", "delete": "Could not delete", "export": "Could not write the CSV"}


class JobActions(AppScreen[None]):
    """Actions on the selected job; the screen provides the job, the manager and the advice."""

    @property
    def selected_job(self) -> Job | None:
        raise NotImplementedError

    @property
    def manager(self) -> JobManager | None:
        raise NotImplementedError

    def suggestion(self, job: Job) -> Suggestion:
        raise NotImplementedError

    def worker_failed(self, group: str, error: BaseException) -> None:
        if group == "export" and isinstance(error, OSError):
            self.notify(
                f"Could not write the CSV: {error}. Check that the data folder is writable.",
                severity="error",
                timeout=10,
            )
        elif group in FAILED:
            self.notify(f"{FAILED[group]}: {error}", severity="error", timeout=10)
        else:
            super().worker_failed(group, error)

    def _require_job(self) -> tuple[Job, JobManager] | None:
        job = self.selected_job
        if job is None:
            self.notify("Select a job first.", severity="warning")
            return None
        if self.manager is None:
            self.notify("The backend is not connected yet; try again in a moment.", severity="warning")
            return None
        return job, self.manager

    def action_cancel_job(self) -> None:
        chosen = self._require_job()
        if chosen is None:
            return
        job, manager = chosen
        if job.state.finished:
            self.notify(
                f"{job_title(job)} has already ended ({job.state_word}); nothing to cancel.", severity="warning"
            )
            return
        notice = cancel_notice_for(job, self._price())

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._cancel(manager, job.name, vertex=notice is not None)

        if notice is None:  # the Gemini API: the tuning guide's warning
            dialog = ConfirmDialog(f"Cancel {job_title(job)}?", CANCEL_WARNING, confirm_label="Cancel job", danger=True)
        else:
            dialog = DetailsDialog(f"Cancel {job_title(job)} on Vertex AI?", notice.paragraphs(),
                                   confirm_label="Cancel job")
        self.app.push_screen(dialog, confirmed)

    def _price(self) -> float | None:
        """The user's price per million training tokens, when the settings carry one."""
        return self.app.settings.training_price

    @work(group="cancel", exit_on_error=False)
    async def _cancel(self, manager: JobManager, name: str, vertex: bool = False) -> None:
        job = await manager.cancel(name)
        if vertex:
            self.notify(f"Cancel requested ({job.state_word} now). Vertex AI cancels on a best-effort basis: "
                        "the job may still finish; its state will say.", timeout=10)
        else:
            self.notify("Cancel requested. The job stops at its next step.")

    def action_delete_job(self) -> None:
        chosen = self._require_job()
        if chosen is None:
            return
        job, manager = chosen
        if registry_of(manager) is not None:  # Vertex AI: the model and its endpoints, planned and confirmed
            self._delete_registered(manager, job)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(manager, job.name)

        detail = f"The tuned model {job.name} is removed from the backend. This cannot be undone."
        dialog = ConfirmDialog(f"Delete {job_title(job)}?", detail, confirm_label="Delete", danger=True)
        self.app.push_screen(dialog, confirmed)

    @work(group="delete", exit_on_error=False)
    async def _delete_registered(self, manager: JobManager, job: Job) -> None:
        registry = registry_of(manager)
        if registry is None:
            return

        def status(text: str, error: bool) -> None:
            if error:
                self.notify(text, severity="error", timeout=30)

        await delete_with_confirmation(self, registry, job.name, job_title(job), status)

    @work(group="delete", exit_on_error=False)
    async def _delete(self, manager: JobManager, name: str) -> None:
        await manager.delete(name)
        self.notify(f"Deleted {name}.")

    def action_relaunch(self) -> None:
        chosen = self._require_job()
        if chosen is None:
            return
        job, _manager = chosen
        suggestion = self.suggestion(job)
        epochs = suggestion.epochs
        if epochs is None:
            self.notify(f"No epoch advice yet ({suggestion.reason}) The form keeps this job's epochs.", timeout=8)
        if not job.dataset_path:
            self.notify("This job's dataset is not known here: pick it in the form.", severity="warning", timeout=8)
        self.post_message(Relaunch(job, epochs))

    def action_try_model(self) -> None:
        chosen = self._require_job()
        if chosen is not None:
            self.post_message(TryModel(chosen[0].name))

    def action_refresh_jobs(self) -> None:
        self._refresh()

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def _refresh(self) -> None:
        if not await self.app.refresh_jobs() or self.manager is None:
            return
        self.query_one(JobTable).set_jobs(list(self.manager.jobs))
        self._update_empty()
        self._show_job(self.query_one(JobTable).selected_name)
        self.notify("Jobs refreshed.")

    def _update_empty(self) -> None:
        raise NotImplementedError

    def _show_job(self, name: str | None) -> None:
        raise NotImplementedError

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
        target = export_snapshots(job, self.app.settings.data_dir / "exports")
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
            writer.writerow(
                [point.step, epoch, repr(point.value), point.time.isoformat() if point.time else "", *extra]
            )
    return target
