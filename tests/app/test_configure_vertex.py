"""The job form on Vertex AI (the emulator's Vertex routes, the real google-genai SDK): the
estimate of billable tokens and cost before launch, following epochs and validation; the
exact counts replacing it after launch; the upload's progress bar, an upload that sends
nothing, and an upload error said in place."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest
from textual.widgets import ProgressBar, Static

from tests.app.conftest import SIZE, open_path, open_sample, settle
from tests.ui_fixtures import fast_manager
from tui.app import make_app
from tui.config import BackendKind
from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.estimate import amount
from tui.jobs.vertex.storage import CHUNK_UNIT
from tui.samples import sample_paths
from tui.screens.configure import ConfigureScreen
from tui.screens.dialogs import ErrorDialog
from tui.screens.monitor import MonitorScreen
from tui.widgets.job_form import JobForm
from tui.widgets.upload_progress import UploadProgress

PRICE = 250.0  # dollars per million training tokens: large, so a small sample costs whole cents


@pytest.fixture
def vertex_settings(settings):
    return replace(settings, backend=BackendKind.VERTEX_LOCAL)


@pytest.fixture
async def vertex_manager(vertex_settings):
    async with fast_manager(vertex_settings) as manager:
        yield manager


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def wait_for(pilot, condition, rounds: int = 600) -> None:
    """Let the app run until `condition()` holds (no clock in the assertion: a bounded number of turns)."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app never reached the expected state")


async def to_form(app, pilot, sample: str = "classification.jsonl") -> None:
    await pilot.press("escape")  # leave a field first: 1 would be typed into it
    await open_sample(app, pilot, sample)
    await pilot.press("2")
    await settle(app, pilot)
    await wait_for(pilot, lambda: app.screen.query_one("#configure-estimate", Static).display)


async def set_field(app, pilot, field: str, value: str) -> None:
    app.screen.query_one(f"#{field}").value = value
    await settle(app, pilot)


def launched(manager, display_name: str) -> list:
    """The jobs of this name (the emulator is shared by the module: other tests' jobs are listed too)."""
    return [job for job in manager.jobs if job.display_name == display_name]


def dollars(tokens: int, price: float) -> str:
    return f"${tokens * price / 1e6:,.2f}"


async def test_estimate_follows_epochs_and_validation_without_a_price(vertex_manager, vertex_settings):
    app = make_app(vertex_settings, vertex_manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await to_form(app, pilot)
        stats = app.dataset.report.stats
        tokens, examples = stats.estimated_tokens, stats.examples
        assert tokens > 0

        # Vertex chooses the epochs while the field is empty: tokens per epoch only.
        assert app.screen.query_one("#epochs").value == ""
        shown = text_of(app, "#configure-estimate")
        assert f"Estimate for {examples} training examples" in shown
        assert f"≈ {amount(tokens)} billable tokens per epoch" in shown and "chooses the epochs" in shown
        assert "training_price_per_million_tokens" in shown and "$" not in shown  # no price: no cost
        assert "estimated" in shown and "exact count" in shown

        await set_field(app, pilot, "epochs", "3")
        shown = text_of(app, "#configure-estimate")
        assert f"≈ {amount(tokens * 3)} billable tokens (estimated: {amount(tokens)} tokens × 3 epochs)" in shown

        await set_field(app, pilot, "epochs", "5")
        assert f"≈ {amount(tokens * 5)} billable tokens" in text_of(app, "#configure-estimate")
        assert "× 5 epochs" in text_of(app, "#configure-estimate")

        # A share held out for validation is not trained on: fewer examples, fewer tokens.
        await set_field(app, pilot, "validation", "0.1")
        held = round(examples * 0.1)
        shown = text_of(app, "#configure-estimate")
        assert f"{examples - held} training examples (+{held} for validation)" in shown
        trained = round(tokens * (examples - held) / examples)
        assert f"(estimated: {amount(trained)} tokens × 5 epochs)" in shown

        await set_field(app, pilot, "epochs", "0")  # not valid: no figure is made up
        assert "fix the marked fields" in text_of(app, "#configure-estimate")


async def test_estimate_with_a_price_shows_the_cost(vertex_manager, vertex_settings):
    app = make_app(replace(vertex_settings, training_price=PRICE), vertex_manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await to_form(app, pilot)
        tokens = app.dataset.report.stats.estimated_tokens
        assert f"≈ {dollars(tokens, PRICE)} at $250.00 / M per epoch" in text_of(app, "#configure-estimate")
        await set_field(app, pilot, "epochs", "2")
        assert f"≈ {dollars(tokens * 2, PRICE)} at $250.00 / M" in text_of(app, "#configure-estimate")
        await set_field(app, pilot, "epochs", "4")
        shown = text_of(app, "#configure-estimate")
        assert f"≈ {dollars(tokens * 4, PRICE)} at $250.00 / M" in shown
        assert dollars(tokens * 2, PRICE) not in shown


async def test_the_estimate_never_reads_the_file_again(vertex_manager, vertex_settings, tmp_path):
    """The tokens come from the lint's count, made once when the file was opened: with the file
    gone, every keypress still updates the estimate at once."""
    path = tmp_path / "copy.jsonl"
    path.write_bytes(next(p for p in sample_paths() if p.name == "classification.jsonl").read_bytes())
    app = make_app(vertex_settings, vertex_manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_path(app, pilot, str(path))
        await pilot.press("2")
        await settle(app, pilot)
        tokens = app.dataset.report.stats.estimated_tokens
        path.unlink()
        for epochs in (2, 6):
            await set_field(app, pilot, "epochs", str(epochs))
            assert f"≈ {amount(tokens * epochs)} billable tokens" in text_of(app, "#configure-estimate")


async def test_exact_counts_replace_the_estimate_after_launch(vertex_manager, vertex_settings):
    app = make_app(replace(vertex_settings, training_price=PRICE), vertex_manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await to_form(app, pilot, "number-increment.jsonl")
        await set_field(app, pilot, "display_name", "exact-stats")
        await set_field(app, pilot, "epochs", "2")
        await pilot.press("escape", "ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen) and launched(vertex_manager, "exact-stats"))
        job = launched(vertex_manager, "exact-stats")[0]
        await wait_for(pilot, lambda: (j := vertex_manager.job(job.name)) is not None
                       and j.data_stats is not None and j.data_stats.exact)
        await settle(app, pilot)
        stats = vertex_manager.job(job.name).data_stats
        await wait_for(pilot, lambda: "(exact)" in str(app.screen.query_one("#summary").render()))
        summary = str(app.screen.query_one("#summary").render())
        assert f"{stats.billable_tokens:,} billable tokens (exact)" in summary
        assert f"{dollars(stats.billable_tokens, PRICE)} at $250.00 / M" in summary
        assert "≈" not in summary.split("billable tokens (exact)")[1].split("\n")[0]  # exact: no ≈ on the cost


def write_dataset(path, examples: int = 1500) -> None:
    """Long enough to take several 256 KiB chunks once converted (about 1 MB)."""
    with path.open("w", encoding="utf-8") as out:
        for n in range(examples):
            question = f"ticket {n}: " + "the printer on floor three jams when duplex printing is on. " * 10
            out.write(json.dumps({"text_input": question, "output": ["hardware", "software"][n % 2]}) + "\n")


class HeldUpload:
    """Holds the chunk PUT number `hold_at` of a real upload until `release()`, so the test can
    look at the bar mid-way; `fail_at` makes that chunk fail instead, as a refused request would."""

    def __init__(self, storage, hold_at: int = 3, fail_at: int | None = None) -> None:
        self.rest = storage.rest
        self.request = self.rest.request
        self.chunks = 0
        self.hold_at, self.fail_at = hold_at, fail_at
        self.gate = asyncio.Event()
        self.rest.request = self.held

    async def held(self, method, path, **kwargs):
        if method == "PUT" and kwargs.get("data"):
            self.chunks += 1
            if self.chunks == self.fail_at:
                raise BackendError(ErrorKind.BAD_KEY, "Cloud Storage denied access: no storage.objects.create",
                                   "grant storage.objects.create on the bucket", status=403)
            if self.chunks == self.hold_at:
                await self.gate.wait()
        return await self.request(method, path, **kwargs)

    def release(self) -> None:
        self.gate.set()

    def restore(self) -> None:
        self.rest.request = self.request


async def test_upload_progress_then_launching_then_monitor_and_a_relaunch_sends_nothing(
    vertex_manager, vertex_settings, tmp_path
):
    path = tmp_path / "tickets.jsonl"
    write_dataset(path)
    storage = vertex_manager.backend.storage
    storage.chunk_bytes = CHUNK_UNIT  # several chunks for a small file
    held = HeldUpload(storage)
    app = make_app(vertex_settings, vertex_manager)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await open_path(app, pilot, str(path))
            await pilot.press("2")
            await settle(app, pilot)
            screen = app.screen
            assert isinstance(screen, ConfigureScreen)
            await set_field(app, pilot, "display_name", "uploaded-tickets")
            await set_field(app, pilot, "epochs", "1")
            upload = screen.query_one(UploadProgress)
            bar = screen.query_one("#upload-bar", ProgressBar)
            assert not upload.display or not upload.has_class("-shown")
            await pilot.press("escape", "ctrl+l")

            # Held at the third chunk: the bar shows two chunks of the total, in bytes.
            await wait_for(pilot, lambda: held.chunks == 3 and bar.display and bar.progress == 2 * CHUNK_UNIT)
            assert upload.has_class("-shown")
            total = upload.state.total
            assert bar.total == total > 3 * CHUNK_UNIT
            words = str(screen.query_one("#upload-text", Static).render())
            assert words.startswith("Uploading ") and " / " in words and "MB" in words
            assert not launched(vertex_manager, "uploaded-tickets")
            await pilot.press("ctrl+l")  # a second launch must not cancel the upload under way
            await pilot.pause()
            assert held.chunks == 3 and screen.query_one("#launch").disabled  # the first launch goes on

            held.release()
            await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen)
                           and launched(vertex_manager, "uploaded-tickets"))
            assert held.chunks >= 4  # every chunk went through
            assert upload.state.done == total and upload.state.sending
            assert not upload.has_class("-shown")  # gone once launched
            assert len(launched(vertex_manager, "uploaded-tickets")) == 1
            job = launched(vertex_manager, "uploaded-tickets")[0]
            assert job.dataset_uri and job.dataset_examples == 1500

            # The same data again: the object is in the bucket already, nothing is sent.
            sent = held.chunks
            await pilot.press("2")
            await settle(app, pilot)
            assert "Launched uploaded-tickets." in text_of(app, "#launch-status")
            await set_field(app, pilot, "display_name", "uploaded-tickets-2")
            await pilot.press("escape", "ctrl+l")
            await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen)
                           and launched(vertex_manager, "uploaded-tickets-2"))
            assert held.chunks == sent
            assert upload.state.finished and not upload.state.sending
            await pilot.press("2")
            await settle(app, pilot)
            assert "already uploaded: nothing was sent" in text_of(app, "#launch-status")
    finally:
        held.release()
        held.restore()


async def test_an_upload_error_is_said_in_place_and_keeps_the_form(vertex_manager, vertex_settings, tmp_path):
    path = tmp_path / "refused.jsonl"
    write_dataset(path, examples=1200)
    storage = vertex_manager.backend.storage
    storage.chunk_bytes = CHUNK_UNIT
    held = HeldUpload(storage, hold_at=0, fail_at=2)
    app = make_app(vertex_settings, vertex_manager)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await open_path(app, pilot, str(path))
            await pilot.press("2")
            await settle(app, pilot)
            await set_field(app, pilot, "display_name", "kept-as-typed")
            await set_field(app, pilot, "epochs", "4")
            await set_field(app, pilot, "validation", "0.2")
            await pilot.press("escape", "ctrl+l")
            await wait_for(pilot, lambda: "Launch failed" in text_of(app, "#launch-status"))
            await settle(app, pilot)
            status = text_of(app, "#launch-status")
            assert "The upload stopped at 262 kB of" in status and "denied access" in status
            assert "Next: grant storage.objects.create on the bucket" in status
            assert not isinstance(app.screen, ErrorDialog)  # said in place, not in a dialog
            screen = app.screen
            upload = screen.query_one(UploadProgress)
            assert upload.has_class("-shown")  # the bar stays where it stopped
            assert 0 < screen.query_one("#upload-bar", ProgressBar).progress < upload.state.total
            assert [screen.query_one(f"#{f}").value for f in ("display_name", "epochs", "validation")] == [
                "kept-as-typed", "4", "0.2",
            ]
            assert not launched(vertex_manager, "kept-as-typed")
            assert not screen.query_one("#launch").disabled  # ready for another try
    finally:
        held.restore()


async def test_the_preamble_may_become_the_system_instruction(vertex_manager, vertex_settings):
    app = make_app(vertex_settings, vertex_manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await to_form(app, pilot, "number-increment.jsonl")
        form = app.screen.query_one(JobForm)
        assert not form.preamble_shown  # no preamble in this dataset: nothing to choose

        await to_form(app, pilot, "classification.jsonl")
        preamble = app.dataset.report.profile.preamble
        assert preamble and preamble.startswith("Classify the support ticket")
        assert form.preamble_shown
        assert preamble[:40] in str(form.query_one("#preamble-advice").render())
        spec, _ = form.validate()
        assert spec is not None and not spec.system_instruction_from_preamble  # off unless asked for

        await set_field(app, pilot, "display_name", "with-system")
        await set_field(app, pilot, "epochs", "1")
        form.query_one("#system_instruction").focus()
        await pilot.press("space")
        await settle(app, pilot)
        spec, _ = form.validate()
        assert spec is not None and spec.system_instruction_from_preamble
        await pilot.press("escape", "ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen) and launched(vertex_manager, "with-system"))
        assert launched(vertex_manager, "with-system")[0].system_instruction == preamble


async def test_the_gemini_form_has_no_preamble_choice(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_sample(app, pilot, "classification.jsonl")
        await pilot.press("2")
        await settle(app, pilot)
        form = app.screen.query_one(JobForm)
        assert form.capabilities is not None and form.capabilities.protocol == "gemini"
        assert not form.preamble_shown
        spec, _ = form.validate()
        assert spec is not None and not spec.system_instruction_from_preamble


async def test_defaults_keep_the_vertex_base_model(vertex_manager, vertex_settings):
    """ctrl+r puts the guide's hyperparameters back, not the Gemini API's base model (Vertex refuses it)."""
    from textual.widgets import Select

    app = make_app(vertex_settings, vertex_manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await to_form(app, pilot)
        chosen = app.screen.query_one("#base_model", Select).value
        assert isinstance(chosen, str) and not chosen.startswith("models/")
        await set_field(app, pilot, "epochs", "9")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.screen.query_one("#base_model", Select).value == chosen
        assert app.screen.query_one("#epochs").value != "9"
