"""The Playground on a Vertex AI job (real app, manager, SDK and emulator; a pass-through proxy keeps what
reached the emulator): pick a checkpoint and the prompt goes to its endpoint with the system instruction
the job was tuned with; compare sends it to every checkpoint and shows the answers side by side, a failing
checkpoint's error in its own cell; the comparison survives a restart; at 80×24 the answers stack."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from tests.emulator.vertex_helpers import rest
from tests.ui_fixtures import REPO, fast_manager, settle, steady_app, ui_emulator
from tests.vertex.recording_proxy import RecordingProxy
from tui.app import make_app
from tui.config import load_settings
from tui.jobs.playground_history import PlaygroundHistory
from tui.jobs.text import checkpoint_label, eval_losses
from tui.models import EVAL_LOSS, Hyperparameters, Job, JobSpec, JobState, ValidationChoice
from tui.screens.playground import PlaygroundScreen
from tui.widgets.checkpoint_comparison import Comparison
from tui.widgets.playground_transcript import Transcript

__all__ = ["steady_app", "ui_emulator"]

PREAMBLE = "Classify the support ticket as billing, shipping, technical or account."
SAMPLE = REPO / "tui" / "samples" / "classification.jsonl"


@pytest.fixture(scope="module")
def proxy(ui_emulator):
    running = RecordingProxy(ui_emulator.url).start()
    yield running
    running.stop()


@pytest.fixture
def settings(tmp_path, ui_emulator, proxy, monkeypatch):
    monkeypatch.chdir(REPO)
    base = load_settings(env={}, data_dir=tmp_path / "data", config_dir=tmp_path / "config", backend="vertex-local")
    return replace(base, local_url=proxy.url, local_api_key=ui_emulator.api_key)


@pytest.fixture
async def manager(settings):
    async with fast_manager(settings) as manager:
        yield manager


async def tuned(manager, epochs: int = 3) -> Job:
    """A finished Vertex job with a checkpoint per epoch, eval loss, and the preamble as system instruction."""
    spec = JobSpec(display_name="tickets", base_model="gemini-2.5-flash",
                   hyperparameters=Hyperparameters(epoch_count=epochs, adapter_size=4),
                   validation=ValidationChoice(split=0.2, seed=3), system_instruction_from_preamble=True)
    job = await manager.launch(spec, SAMPLE)
    async with asyncio.timeout(120):
        while not (manager.job(job.name).state.finished and manager.job(job.name).checkpoints):
            await asyncio.sleep(0.05)
    done = manager.job(job.name)
    assert done.state is JobState.ACTIVE and len(done.checkpoints) == epochs and done.curve(EVAL_LOSS)
    return done


async def wait_for(pilot, predicate, what: str, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await pilot.pause(0.05)
    assert predicate(), what


async def open_playground(app, pilot, job: Job) -> PlaygroundScreen:
    await app.try_model(job.name)
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, PlaygroundScreen) and screen.model_job.name == job.name
    return screen


async def type_prompt(app, pilot, screen, text: str) -> None:
    area = screen.query_one("#prompt")
    area.focus()
    area.text = text
    await pilot.pause(0.4)  # the format check runs shortly after typing stops
    await settle(app, pilot)


def generated_at(proxy: RecordingProxy, endpoint: str) -> list[dict]:
    return [body for path, body in proxy.generated if path.endswith(f"/{endpoint}:generateContent")]


async def test_a_picked_checkpoint_answers_with_the_system_instruction(settings, manager, proxy):
    job = await tuned(manager)
    evals = eval_losses(job)
    app = make_app(settings, manager)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_playground(app, pilot, job)
        listed = screen.query_one("#checkpoint-list")
        assert listed.display
        titles = [str(option.prompt) for option in listed.options]
        assert titles[0] == "Tuned model"
        assert [t.split(" (")[0] for t in titles[1:]] == [checkpoint_label(c, evals) for c in job.checkpoints]
        assert "(default" in titles[-1] and all(f"eval {evals[c.step]:.3f}" in t
                                                   for c, t in zip(job.checkpoints, titles[1:], strict=True))
        note = screen.query_one("#system-note")
        assert note.display and PREAMBLE in str(note.render())

        # The training inputs lost their preamble to the system instruction: the check does not ask for it.
        await type_prompt(app, pilot, screen, "ticket: I was charged twice for one order.")
        assert str(screen.query_one("#prompt-check").render()).strip() == ""

        await pilot.press("ctrl+g")  # to the checkpoint list: the first checkpoint, then back to the prompt
        await pilot.press("down", "enter")
        await settle(app, pilot)
        first = job.checkpoints[0]
        assert screen.target is not None and screen.target.key == first.checkpoint_id
        assert screen.focused is screen.query_one("#prompt")
        assert checkpoint_label(first, evals) in str(screen.query_one("#prompt").border_title)

        before = len(generated_at(proxy, first.endpoint))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.answers == 1, "the checkpoint's answer")
        sent = generated_at(proxy, first.endpoint)
        assert len(sent) == before + 1
        body = sent[-1]
        assert body["systemInstruction"]["parts"][0]["text"] == PREAMBLE
        assert body["contents"][-1]["parts"][0]["text"] == "ticket: I was charged twice for one order."
        await settle(app, pilot)
        transcript = screen.query_one(Transcript)
        assert len(transcript.answers) == 1
        assert checkpoint_label(first, evals) in str(transcript.query(".target").last().render())
        stored = PlaygroundHistory(settings.data_dir / "playground.sqlite3").recent(job.name)
        assert [(e.answer, e.target) for e in stored] == [(transcript.answers[0], checkpoint_label(first, evals))]


async def test_compare_asks_every_checkpoint_and_a_failing_one_shows_its_error(settings, manager, proxy,
                                                                                 ui_emulator):
    job = await tuned(manager)
    broken = job.checkpoints[0].endpoint
    deployed = rest(ui_emulator, "GET", broken)[1]["deployedModels"][0]["id"]
    assert rest(ui_emulator, "POST", f"{broken}:undeployModel", {"deployedModelId": deployed})[0] == 200
    app = make_app(settings, manager)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_playground(app, pilot, job)
        await type_prompt(app, pilot, screen, "ticket: My parcel never arrived.")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen.compared == 1, "the comparison")
        await settle(app, pilot)
        block = screen.query_one(Comparison)
        assert block.columns == len(job.checkpoints)  # wide enough: one column per checkpoint
        cells = block.cells
        assert [cell.label.split(" (")[0] for cell in cells] == [checkpoint_label(c, eval_losses(job))
                                                                  for c in job.checkpoints]
        assert cells[0].failed and "No answer" in (cells[0].answer or "") and "deploy" in (cells[0].answer or "")
        assert all(not cell.failed and cell.answer for cell in cells[1:])
        for checkpoint in job.checkpoints:
            bodies = generated_at(proxy, checkpoint.endpoint)
            assert bodies and bodies[-1]["contents"][-1]["parts"][0]["text"] == "ticket: My parcel never arrived."
        assert screen.query_one("#prompt").text == ""

        stored = PlaygroundHistory(settings.data_dir / "playground.sqlite3").recent(job.name)
        assert len(stored) == len(job.checkpoints) and len({e.comparison for e in stored}) == 1
        assert [e.failed for e in stored] == [True] + [False] * (len(job.checkpoints) - 1)
        shown = block.answers
        assert [e.answer for e in stored] == shown

    app = make_app(settings, manager)  # the comparison is read back after a restart
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_playground(app, pilot, job)
        await wait_for(pilot, lambda: screen.query_one(Transcript).comparisons, "the saved comparison")
        await settle(app, pilot)
        again = screen.query_one(Transcript).comparisons[0]
        assert again.answers == shown and again.cells[0].failed


async def test_compare_at_80x24_stacks_the_answers(settings, manager):
    job = await tuned(manager, epochs=2)
    app = make_app(settings, manager)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_playground(app, pilot, job)
        commands = [command.title for command in app.get_system_commands(screen)]
        assert "Compare checkpoints" in commands and "Checkpoints" in commands
        assert screen.query_one("#checkpoint-list").region.height >= 3  # visible in the left pane
        await type_prompt(app, pilot, screen, "ticket: The app crashes on start.")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen.compared == 1, "the comparison")
        await settle(app, pilot)
        block = screen.query_one(Comparison)
        assert block.columns == 1 and block.has_class("-stacked")
        assert all(cell.answer and not cell.failed for cell in block.cells)
        first, second = block.cells
        assert second.region.y > first.region.y  # one above the other
