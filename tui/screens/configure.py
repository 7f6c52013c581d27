"""The Configure screen: the job form, the computed steps, the exact call, and Launch.

Launch is refused, with the reason, while the open dataset has lint errors; the job
manager checks again on its side. After a launch the Monitor opens on the new job.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Header, Input, Select, Static

from tui.datasets.opened import OpenedDataset, read_and_check
from tui.datasets.wording import examples_text, plural
from tui.errors import TunedeckError
from tui.jobs.backend import BackendCapabilities
from tui.jobs.errors import LaunchRefused
from tui.jobs.upload import size_text
from tui.messages import OpenJob, WorkProgress
from tui.models import JobSpec, Severity
from tui.screens.base import AppScreen
from tui.screens.paths import display_path, fold_path
from tui.widgets.fields import FieldInput
from tui.widgets.job_form import JobForm
from tui.widgets.key_footer import KeyFooter
from tui.widgets.upload_progress import UploadProgress

SMALL_DATASET = 100  # below this, the guide's advice is a smaller learning rate


def steps_text(spec: JobSpec | None, dataset: OpenedDataset | None, capabilities: BackendCapabilities | None) -> str:
    """Total steps as the API counts them: ceil(examples × epochs / batch size)."""
    if dataset is None:
        return "Steps: open a dataset to see how many training steps this job takes."
    if spec is None:
        return f"Steps: fix the marked fields ({dataset.examples:,} examples)."
    hyper = spec.hyperparameters
    rate = hyper.effective_learning_rate(capabilities.base_learning_rate if capabilities else None)
    rate_text = f" · learning rate {rate:g}" if rate is not None else ""
    total = hyper.total_steps(dataset.examples)
    if total is None or hyper.epoch_count is None:
        return f"Steps: the backend counts them ({dataset.examples:,} examples){rate_text}"
    per_epoch = total / hyper.epoch_count
    return (
        f"Steps: {total:,} in total = ⌈{dataset.examples:,} examples × "
        f"{hyper.epoch_count} epochs ÷ batch {hyper.batch_size}⌉ (≈{per_epoch:,.1f} per epoch){rate_text}"
    )


def estimate_text(
    spec: JobSpec | None, dataset: OpenedDataset | None, capabilities: BackendCapabilities | None, price: float | None
) -> str:
    """Billable tokens (and the cost at the user's price) before launch, for a backend that bills by tokens.

    The tokens are the lint's estimate, counted once when the dataset was opened: nothing is read here."""
    if dataset is None or capabilities is None or capabilities.protocol != "vertex":
        return ""
    if spec is None:
        return "Estimate: fix the marked fields to see the billable tokens."
    from tui.jobs.estimate import estimate, estimate_parts

    split = spec.validation.split if spec.validation is not None else None
    figures = estimate(dataset.report.stats, spec.hyperparameters.epoch_count, split)
    held = dataset.report.stats.examples - figures.examples
    examples = plural(figures.examples, "training example") + (f" (+{held:,} for validation)" if held else "")
    tokens, dollars = estimate_parts(figures, price)
    cost = dollars or "Cost: set training_price_per_million_tokens in config.json to see it."
    note = "Tokens are estimated (characters / 4); after launch the Monitor shows Vertex's exact count."
    return "\n".join((f"Estimate for {examples}", tokens, cost, note))


def movable_preamble(dataset: OpenedDataset | None) -> str | None:
    """The dataset's shared preamble when it stands on a line of its own (only such a one can become
    Vertex's system instruction; an inline one stays in the prompts)."""
    profile = dataset.report.profile if dataset is not None else None
    if profile is None or not profile.preamble or profile.preamble_inline:
        return None
    return profile.preamble


def refusal(dataset: OpenedDataset | None) -> str | None:
    """Why launching must wait, or None when the dataset may be used."""
    if dataset is None:
        return "Open a dataset first: press 1 for Datasets and pick a sample or a file."
    errors = dataset.errors
    if errors:
        first = errors[0]
        where = f"{dataset.path.name}:{first.line}" if first.line else dataset.path.name
        return (
            f"Launch refused: {dataset.path.name} has {len(errors)} lint error(s), e.g. {where}: {first.message}. "
            "Fix them (1 → f lists them), then reload the file with r."
        )
    return None


class ConfigureScreen(AppScreen[None]):
    """Fill in a tuning job and launch it on the active backend."""

    CSS_PATH = "configure.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+l", "launch", "Launch", tooltip="Start the tuning job on the active backend", id="configure.launch"
        ),
        Binding(
            "ctrl+o", "show_call", "Show call", tooltip="The exact request the launch sends", id="configure.show-call"
        ),
        Binding("ctrl+r", "reset", "Defaults", tooltip="Put the guide's defaults back", id="configure.defaults"),
        Binding(
            "escape",
            "leave_field",
            "Leave field",
            tooltip="Stop typing so 1-5 switch screens",
            show=False,
            id="configure.leave-field",
        ),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="configure-body"):
            with VerticalScroll(id="form-column"):
                yield Static("Tuning job", classes="section-title")
                yield JobForm(id="job-form")
            with Vertical(id="summary-column"):
                yield Static("Dataset", classes="section-title")
                yield Static("", id="configure-dataset")
                yield Static("", id="configure-steps")
                yield Static("", id="configure-estimate")
                yield Static("", id="launch-status")
                yield UploadProgress(id="upload")
                with Horizontal(id="configure-buttons"):
                    yield Button("Launch (^l)", id="launch", variant="primary")
                    yield Button("Show call (^o)", id="show-call")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.app.dataset_changed.subscribe(self, self._dataset_changed)
        self.app.manager_ready.subscribe(self, lambda _manager: self._manager_ready())
        if self.app.manager is not None:
            self._manager_ready()
        self._refresh_summary()
        self.query_one("#display_name", Input).focus()

    # -- dataset and summary ----------------------------------------------------------------

    @property
    def dataset(self) -> OpenedDataset | None:
        return self.app.dataset

    def _dataset_changed(self, _dataset: OpenedDataset | None) -> None:
        self._refresh_summary()

    @on(events.Resize)
    def _resized(self) -> None:
        self.call_after_refresh(self._refresh_summary)  # the path is folded to the column's new width

    def _refresh_summary(self) -> None:
        dataset = self.dataset
        form = self.query_one(JobForm)
        form.set_preamble(movable_preamble(dataset))
        spec, errors = form.validate()
        form.show_errors(errors)
        if dataset is None:
            text = "No dataset open. Press 1 for Datasets."
        else:
            counts = examples_text(dataset.examples, dataset.report.stats.examples)
            width = self.query_one("#configure-dataset", Static).content_size.width or 50
            path = fold_path(display_path(dataset.path), width)
            text = f"{path}\n{counts} · {plural(len(dataset.errors), 'lint error')}"
        self.query_one("#configure-dataset", Static).update(text)
        self.query_one("#configure-steps", Static).update(steps_text(spec, dataset, form.capabilities))
        estimate = estimate_text(spec, dataset, form.capabilities, self.app.settings.training_price)
        shown = self.query_one("#configure-estimate", Static)
        shown.update(estimate)
        shown.display = bool(estimate)
        note = ""
        if dataset is not None and dataset.examples < SMALL_DATASET:
            note = f"This dataset is small ({dataset.examples} examples): consider a rate below the default."
        form.set_advice_note("rate", note)
        reason = refusal(dataset)
        if reason is None and spec is None:
            reason = "Fix the marked fields before launching."
        status = self.query_one("#launch-status", Static)
        status.update(reason or "Ready to launch on " + self.app.backend_label + ".")
        status.set_class(reason is not None and dataset is not None, "error-text")

    @on(JobForm.Changed)
    def _form_changed(self) -> None:
        self._refresh_summary()

    # -- the backend ---------------------------------------------------------------------------

    def _manager_ready(self) -> None:
        if self.app.manager is not None:
            self.query_one(JobForm).set_capabilities(self.app.manager.backend.capabilities)
            self._load_base_models()

    @work(exclusive=True, group="base-models", exit_on_error=False)
    async def _load_base_models(self) -> None:
        if self.app.manager is None:
            return
        models = await self.app.manager.base_models()
        self.query_one(JobForm).set_base_models([model.name for model in models])

    def worker_failed(self, group: str, error: BaseException) -> None:
        if group == "base-models":
            self.query_one(JobForm).set_advice_note("base_model", f"Could not list base models: {error}")
        elif group == "launch":
            self._launch_failed(error)
        elif group == "dataset":
            self.app.report_error(error, "Could not open the job's dataset")
        else:
            super().worker_failed(group, error)

    # -- the public entry used by relaunch ----------------------------------------------------

    def load(self, spec: JobSpec, dataset_path: str | None) -> None:
        """Fill the form from `spec` and open `dataset_path` if it is not the open dataset."""
        self.query_one(JobForm).load(spec)
        if dataset_path and (self.dataset is None or Path(dataset_path) != self.dataset.path):
            self._open_dataset(Path(dataset_path))
        self._refresh_summary()

    @work(thread=True, exclusive=True, group="dataset", exit_on_error=False)
    def _open_dataset(self, path: Path) -> None:
        def progress(stage: str, done: float, total: float | None) -> None:
            self.post_message(WorkProgress(stage, done, total))

        opened = read_and_check(path, None, progress)
        self.app.call_from_thread(self._dataset_opened, opened)

    def _dataset_opened(self, opened: OpenedDataset) -> None:
        self.app.dataset = opened
        self.app.dataset_changed.publish(opened)

    def on_work_progress(self, message: WorkProgress) -> None:
        self.query_one("#configure-dataset", Static).update(f"{message.stage}…")

    # -- actions --------------------------------------------------------------------------------

    def action_leave_field(self) -> None:
        self.set_focus(None)

    def action_reset(self) -> None:
        name = self.query_one("#display_name", FieldInput)
        typed = name.value
        # The guide's defaults are hyperparameters: the name and the base model chosen stay
        # (the spec's own default base model is the Gemini API's, which Vertex AI refuses).
        chosen = self.query_one("#base_model", Select).value
        self.query_one(JobForm).load(JobSpec(base_model=chosen) if isinstance(chosen, str) else JobSpec())
        name.put(typed)
        self._refresh_summary()

    def action_show_call(self) -> None:
        spec, errors = self.query_one(JobForm).validate()
        if spec is None:
            self.query_one(JobForm).show_errors(errors)
            self.notify("Fix the marked fields to see the call.", title="Show call", severity="warning")
            return
        if self.app.manager is None:
            self.notify("The backend is still starting; try again in a moment.", title="Show call", severity="warning")
            return
        from tui.screens.call_preview import SHOWN_EXAMPLES, request_preview
        from tui.screens.dialogs import TextDialog

        backend, dataset, label = self.app.manager.backend, self.dataset, self.app.backend_label
        try:
            text = request_preview(backend, spec, dataset, label)
        except Exception as exc:  # noqa: BLE001 - a broken file must not crash the app
            self.app.report_error(exc, "Could not build the call")
            return
        expand = None
        if dataset is not None and dataset.examples > SHOWN_EXAMPLES:
            expand = lambda: request_preview(backend, spec, dataset, label, every_example=True)  # noqa: E731
        self.app.push_screen(TextDialog("The launch request", text, expand=expand))

    def action_launch(self) -> None:
        if self.query_one("#launch", Button).disabled:  # a launch is under way: another would cancel its upload
            self.notify("A launch is under way; wait for it to finish.", title="Launch", severity="warning")
            return
        form = self.query_one(JobForm)
        spec, errors = form.validate()
        form.show_errors(errors)
        if spec is None:
            self.notify("Some fields are not valid: see the messages under them.", title="Launch", severity="error")
            return
        reason = refusal(self.dataset)
        if reason is not None or self.dataset is None:
            self.query_one("#launch-status", Static).update(reason or "")
            self.notify(reason or "", title="Launch", severity="error", timeout=10)
            return
        if self.app.manager is None:
            self.notify("The backend is still starting; try again in a moment.", title="Launch", severity="warning")
            return
        uploads = self.app.manager.backend.capabilities.uploads_dataset
        status = self.query_one("#launch-status", Static)
        status.update("Launching: the dataset goes to Cloud Storage first." if uploads else "Launching…")
        status.remove_class("error-text")
        if uploads:
            self.query_one(UploadProgress).start("Preparing the upload: checking and converting the dataset…")
        self.query_one("#launch", Button).disabled = True
        self._launch(spec, str(self.dataset.path), uploads)

    @work(exclusive=True, group="launch", exit_on_error=False)
    async def _launch(self, spec: JobSpec, dataset_path: str, uploads: bool = False) -> None:
        if self.app.manager is None:
            return
        upload = self.query_one(UploadProgress)
        job = await self.app.manager.launch(spec, dataset_path, progress=upload.report if uploads else None)
        self.query_one("#launch", Button).disabled = False
        name = job.display_name or job.name
        skipped = ""
        if uploads:
            upload.stop(keep=False)
            if upload.state.finished and not upload.state.sending:
                skipped = " The dataset was already uploaded: nothing was sent."
        self.query_one("#launch-status", Static).update(f"Launched {name}.{skipped}")
        self.notify(f"Launched {name} ({job.name}).{skipped}", title="Launch")
        self.post_message(OpenJob(job.name))

    def _launch_failed(self, error: BaseException) -> None:
        self.query_one("#launch", Button).disabled = False
        upload = self.query_one(UploadProgress)
        # Converting or sending when it failed (a lint refusal comes before either).
        uploading = upload.has_class("-shown") and not upload.state.finished and not isinstance(error, LaunchRefused)
        if upload.has_class("-shown"):
            upload.stop(keep=uploading)
        next_step = error.next_step if isinstance(error, TunedeckError) else ""
        if isinstance(error, LaunchRefused):
            errors = [f for f in error.report.findings if f.severity is Severity.ERROR]
            first = errors[0] if errors else None
            detail = f" e.g. line {first.line}: {first.message}" if first is not None else ""
            message = (
                f"Launch refused: the dataset has {len(errors)} lint error(s).{detail} Fix them and reload the file."
            )
        elif uploading:  # said in place, next to the bar: the form keeps everything typed
            state = upload.state
            where = (
                f"The upload stopped at {size_text(state.done)} of {size_text(state.total)}"
                if state.reports
                else "The dataset was not uploaded"
            )
            reason = error.message if isinstance(error, TunedeckError) else str(error)
            message = f"Launch failed: {where}: {reason}"
            message += f"\nNext: {next_step}." if next_step else "\nNext: check the bucket, then press ^l again."
        else:
            message = f"Launch failed: {error}"
            if isinstance(error, TunedeckError) and next_step:
                from tui.screens.dialogs import ErrorDialog

                self.app.push_screen(ErrorDialog("Launch failed", error.message, next_step))
        status = self.query_one("#launch-status", Static)
        status.update(message)
        status.add_class("error-text")
        self.notify(message, title="Launch", severity="error", timeout=15)

    @on(Button.Pressed, "#launch")
    def _launch_pressed(self) -> None:
        self.action_launch()

    @on(Button.Pressed, "#show-call")
    def _show_call_pressed(self) -> None:
        self.action_show_call()
