"""Prompts to a tuned model carry the system instruction it was tuned with, on both protocols, through the
real SDK and real HTTP to the emulator (a pass-through proxy keeps what reached it); the playground's
history keeps comparisons whole; checkpoint targets are labelled as the Monitor labels them."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tests.emulator.vertex_helpers import colour_records, create_job, jsonl, rest, upload, wait_job
from tests.jobs.test_cli import run
from tests.vertex.recording_proxy import RecordingProxy
from tests.vertex.test_backend import launch_data, spec, watch
from tui.datasets.profile import FormatProfile
from tui.datasets.records import SYSTEM_JOIN
from tui.jobs.history import History
from tui.jobs.playground_history import KEEP_PER_MODEL, Exchange, PlaygroundHistory
from tui.jobs.vertex.setup import vertex_local_backend
from tui.models import EVAL_LOSS, Checkpoint, CurvePoint, Job, JobState
from tui.samples import sample_paths
from tui.screens.playground_format import MODEL_TARGET, format_hint, system_note, targets

PREAMBLE = "Classify the support ticket as billing, shipping, technical or account."
CLASSIFICATION = str(next(p for p in sample_paths() if p.name == "classification.jsonl"))
NUMBERS = next(p for p in sample_paths() if p.name == "number-increment.jsonl")


@pytest.fixture
def proxy(emulator):
    running = RecordingProxy(emulator.url).start()
    yield running
    running.stop()


def system_text(body: dict) -> str | None:
    system = body.get("systemInstruction")
    return "".join(part["text"] for part in system["parts"]) if system else None


def prompt_text(body: dict) -> str:
    return "".join(part["text"] for part in body["contents"][-1]["parts"])


async def test_a_vertex_job_tuned_with_its_preamble_gets_it_as_system_instruction(proxy, emulator, tmp_path):
    backend = vertex_local_backend(proxy.url, tmp_path / "data", emulator.api_key)
    try:
        job = await backend.create(spec(), launch_data())
        assert job.system_instruction == PREAMBLE
        plain = await backend.create(spec(system_instruction_from_preamble=False, display_name="plain"), launch_data())
        assert plain.system_instruction is None
        done, _ = await watch(backend, job)
        assert done.state is JobState.ACTIVE and done.endpoint

        answer = await backend.generate(done.endpoint, "ticket: I was charged twice", temperature=0,
                                        system_instruction=job.system_instruction)
        assert answer.strip()
        path, body = proxy.generated[-1]
        assert path.endswith(f"{done.endpoint}:generateContent")
        assert system_text(body) == PREAMBLE and prompt_text(body) == "ticket: I was charged twice"

        await backend.generate(done.endpoint, "ticket: I was charged twice", temperature=0)
        assert "systemInstruction" not in proxy.generated[-1][1]
    finally:
        await backend.close()


def test_the_emulator_reads_a_system_instruction_as_the_preamble_it_was_tuned_with(emulator):
    """Not ignored: with a system instruction the model is asked exactly as `system + SYSTEM_JOIN + prompt`."""
    train = upload(emulator, "c/train.jsonl", jsonl(colour_records(16)))
    job = wait_job(emulator, create_job(emulator, train, epochCount=2)[1]["name"])
    endpoint = job["tunedModel"]["endpoint"]

    def ask(text: str, system: str | None = None) -> float:
        body: dict = {"contents": [{"role": "user", "parts": [{"text": text}]}], "generationConfig": {"temperature": 0}}
        if system is not None:
            body["systemInstruction"] = {"role": "system", "parts": [{"text": system}]}
        status, answer = rest(emulator, "POST", f"{endpoint}:generateContent", body)
        assert status == 200, answer
        return answer["candidates"][0]["avgLogprobs"]

    with_system = ask("colour of item 3:", "Name the colour.")
    assert with_system == ask(f"Name the colour.{SYSTEM_JOIN}colour of item 3:")
    assert with_system != ask("colour of item 3:")


async def test_a_gemini_tuned_model_gets_the_instruction_ahead_of_the_prompt(proxy, emulator):
    """Gemini API tuned models refuse `systemInstruction`, so the instruction leads the prompt as a preamble."""
    from tui.jobs.backend import LaunchData
    from tui.jobs.launching import read_dataset
    from tui.jobs.service import local_backend
    from tui.models import Hyperparameters, JobSpec

    backend = local_backend(proxy.url, emulator.api_key)
    try:
        dataset, examples, _report = read_dataset(NUMBERS)
        job = await backend.create(JobSpec(display_name="numbers", hyperparameters=Hyperparameters(epoch_count=1)),
                                   LaunchData(path=NUMBERS, dataset=dataset, examples=examples))
        async with asyncio.timeout(60):
            while not job.state.finished:
                await asyncio.sleep(0.05)
                job = await backend.get(job.name, job)
        answer = await backend.generate(job.name, "41", temperature=0, system_instruction="Add one.")
        body = proxy.generated[-1][1]
        assert "systemInstruction" not in body and prompt_text(body) == "Add one.\n41"
        assert isinstance(answer, str)
    finally:
        await backend.close()


@pytest.fixture
def vertex_env(proxy, emulator, tmp_path, monkeypatch):
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "TUNEDECK_BACKEND", "GOOGLE_APPLICATION_CREDENTIALS",
                 "GOOGLE_CLOUD_PROJECT", "GOOGLE_GENAI_USE_VERTEXAI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TUNEDECK_LOCAL_URL", proxy.url)
    monkeypatch.setenv("TUNEDECK_EMULATOR_API_KEY", emulator.api_key)
    monkeypatch.setenv("TUNEDECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TUNEDECK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("TUNEDECK_PROTOCOL", "vertex")
    return proxy


def test_try_sends_the_system_instruction_and_checks_the_prompt_without_the_preamble(vertex_env, capsys):
    code, out, err = run(capsys, "tune", CLASSIFICATION, "--epochs", "2", "--adapter-size", "4",
                         "--system-instruction", "--display-name", "tickets", "--watch", "--json")
    assert code == 0, err
    code, out, _ = run(capsys, "jobs", "list", "--json")
    number = json.loads(out)[0]["id"]
    code, out, _ = run(capsys, "jobs", "show", number)
    assert code == 0 and f"system instruction  {PREAMBLE}" in [line.strip() for line in out.splitlines()]

    # The training inputs lost their preamble to the system instruction: a prompt without it passes the check.
    code, out, err = run(capsys, "try", number, "ticket: my card was charged twice", "--json")
    assert code == 0, out + err
    shown = json.loads(out)
    assert shown["system_instruction"] == PREAMBLE and shown["text"]
    assert system_text(vertex_env.generated[-1][1]) == PREAMBLE

    code, out, err = run(capsys, "try", number, "ticket: where is my parcel?")
    assert code == 0 and out.strip() and PREAMBLE in err  # said on stderr, so stdout stays the answer

    # Repeating the preamble in the prompt would show it to the model twice: held back like any format problem.
    code, out, _ = run(capsys, "try", number, f"{PREAMBLE}\nticket: my card was charged twice", "--json")
    assert code == 3 and json.loads(out)["error"]["findings"][0]["rule"] == "repeated-preamble"


def test_the_job_history_keeps_the_system_instruction(tmp_path):
    history = History(tmp_path / "jobs.sqlite3")
    history.save(Job(name="projects/p/locations/l/tuningJobs/1", backend="vertex", system_instruction=PREAMBLE))
    history.close()
    again = History(tmp_path / "jobs.sqlite3")
    assert again.get("vertex", "projects/p/locations/l/tuningJobs/1").system_instruction == PREAMBLE
    again.close()


def test_the_format_check_knows_the_preamble_went_to_the_system_instruction():
    profile = FormatProfile(preamble=PREAMBLE, markers=("ticket:",))
    assert [f.rule for f in profile.check_prompt("ticket: hello")] == ["missing-preamble"]
    assert profile.check_prompt("ticket: hello", PREAMBLE) == []
    assert [f.rule for f in profile.check_prompt(f"{PREAMBLE}\nticket: hello", PREAMBLE)] == ["repeated-preamble"]
    assert "leave out the preamble" in format_hint(profile, PREAMBLE) and "ticket:" in format_hint(profile, PREAMBLE)
    assert PREAMBLE in format_hint(profile)


# -- the playground's pieces -------------------------------------------------------------------


def checkpointed_job(**changes) -> Job:
    evals = [CurvePoint(step=10, value=0.9), CurvePoint(step=20, value=0.4), CurvePoint(step=30, value=0.6)]
    checkpoints = [Checkpoint(checkpoint_id=str(i), epoch=i, step=10 * i, endpoint=f"projects/p/endpoints/{i}")
                   for i in (1, 2, 3)]
    values = {"name": "projects/p/locations/l/tuningJobs/9", "backend": "vertex", "state": JobState.ACTIVE,
              "endpoint": "projects/p/endpoints/3", "checkpoints": checkpoints, "curves": {EVAL_LOSS: evals}}
    return Job(**{**values, **changes})


def test_targets_are_the_tuned_model_then_each_checkpoint_in_the_monitors_words():
    found = targets(checkpointed_job())
    assert [t.key for t in found] == [MODEL_TARGET, "1", "2", "3"]
    assert [t.title for t in found] == [
        "Tuned model",
        "epoch 1 · step 10 · eval 0.900",
        "epoch 2 · step 20 · eval 0.400 (lowest eval loss)",
        "epoch 3 · step 30 · eval 0.600 (default)",
    ]
    assert [t.endpoint for t in found] == ["projects/p/endpoints/3", *(f"projects/p/endpoints/{i}" for i in (1, 2, 3))]
    without = checkpointed_job(checkpoints=[], endpoint=None, name="tunedModels/x", backend="local")
    assert [(t.key, t.endpoint) for t in targets(without)] == [(MODEL_TARGET, "tunedModels/x")]
    assert system_note(without) == ""
    assert PREAMBLE in system_note(checkpointed_job(system_instruction=PREAMBLE))


def test_history_keeps_a_comparison_whole_and_reads_an_older_file(tmp_path):
    path = tmp_path / "playground.sqlite3"
    with sqlite3.connect(path) as db:  # the file as the first release wrote it
        db.execute("CREATE TABLE exchange (id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, "
                   "prompt TEXT NOT NULL, answer TEXT NOT NULL, temperature REAL, max_output_tokens INTEGER, "
                   "created TEXT NOT NULL)")
        db.execute("INSERT INTO exchange (model, prompt, answer, created) VALUES ('m', 'old', 'kept', ?)",
                   (datetime.now(UTC).isoformat(),))
    history = PlaygroundHistory(path)
    assert [(e.prompt, e.target, e.comparison, e.failed) for e in history.recent("m")] == [("old", None, None, False)]

    compared = [Exchange("m", "which?", f"answer {i}", target=f"epoch {i}", comparison="c1", failed=i == 2)
                for i in (1, 2, 3)]
    history.add_all(compared)
    for i in range(KEEP_PER_MODEL - 1):
        history.add(Exchange("m", f"prompt {i}", "a"))
    kept = history.recent("m")
    assert [e.prompt for e in kept[:3]] == ["which?"] * 3 and kept[3].prompt == "prompt 0"  # "old" made room
    assert [replace(e, created=None) for e in kept[:3]] == compared
    history.add(Exchange("m", "one more", "a"))
    assert all(e.comparison is None for e in history.recent("m"))  # the comparison went whole, not in part
