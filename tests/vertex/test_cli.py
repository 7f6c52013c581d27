"""The headless commands on Vertex AI against the emulator: tune with validation and progress, jobs by number,
try a checkpoint, doctor, and the settings Vertex does not take."""

from __future__ import annotations

import json
import re

import pytest

from tests.cli_env import use_emulator
from tests.jobs.test_cli import run
from tui.cli import main
from tui.samples import sample_paths

CLASSIFICATION = str(next(p for p in sample_paths() if p.name == "classification.jsonl"))


@pytest.fixture
def vertex_env(emulator, tmp_path, monkeypatch):
    return use_emulator(emulator, tmp_path, monkeypatch)


def test_tune_with_a_split_then_show_and_try_a_checkpoint(vertex_env, capsys):
    code, out, err = run(capsys, "tune", CLASSIFICATION, "--epochs", "2", "--adapter-size", "4",
                         "--validation-split", "0.2", "--split-seed", "3", "--system-instruction",
                         "--display-name", "tickets", "--watch")
    assert code == 0, err
    assert "Vertex AI · local emulator at" in out
    assert "dataset gs://tunedeck-local/tunedeck/datasets/" in out and "(+40 for validation)" in out
    assert "billable tokens (estimated" in out
    assert "uploaded" in err and "MB" in err
    assert "is ready" in out

    code, out, _ = run(capsys, "jobs", "list", "--json")
    jobs = json.loads(out)
    assert code == 0 and len(jobs) == 1 and jobs[0]["backend"] == "vertex-local"
    number = jobs[0]["id"]
    assert number.isdigit() and jobs[0]["name"].endswith(f"/tuningJobs/{number}")

    code, out, _ = run(capsys, "jobs", "show", number)
    assert code == 0
    assert re.search(r"^\s*state  SUCCEEDED$", out, re.MULTILINE), out  # in Vertex AI's words, not ACTIVE
    assert "2 epochs, adapter size 4, learning rate multiplier" in out  # no batch size: Vertex takes none
    assert jobs[0]["state"] == "ACTIVE"  # JSON keeps the one state vocabulary of every backend
    assert "checkpoint 1" in out and "checkpoint 2" in out and "(exact)" in out and "eval_loss" in out

    code, out, _ = run(capsys, "jobs", "show", number, "--json")
    shown = json.loads(out)
    first = shown["checkpoints"][0]

    code, out, _ = run(capsys, "try", number, "ticket: my card was charged twice", "--checkpoint",
                       first["checkpoint_id"], "--force", "--json")
    assert code == 0 and json.loads(out)["target"] == first["endpoint"] and json.loads(out)["text"]
    code, out, _ = run(capsys, "try", number, "ticket: where is my parcel?", "--force", "--json")
    assert code == 0 and json.loads(out)["target"] == shown["endpoint"]
    code, out, _ = run(capsys, "try", number, "hi", "--checkpoint", "9", "--force", "--json")
    assert code == 5 and json.loads(out)["error"]["message"].endswith("(checkpoints: 1, 2)")


def test_settings_vertex_does_not_take_are_refused(vertex_env, capsys):
    code, out, _ = run(capsys, "tune", CLASSIFICATION, "--batch-size", "8", "--json")
    assert code == 2
    assert "does not take batch size" in json.loads(out)["error"]["message"]


def test_doctor_on_the_emulator(vertex_env, capsys):
    code, out, _ = run(capsys, "doctor", "--json")
    report = json.loads(out)
    assert code == 0, report
    assert report["backend"] == "vertex-local"
    assert [c["check"] for c in report["checks"]] == ["history", "reachable"] and all(c["ok"] for c in report["checks"])


def test_unknown_job_number_is_not_found(vertex_env, capsys):
    code, out, _ = run(capsys, "jobs", "show", "424242", "--json")
    assert code == 5 and json.loads(out)["error"]["kind"] == "not-found"


def test_the_gemini_protocol_is_still_there(emulator, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TUNEDECK_LOCAL_URL", emulator.url)
    monkeypatch.setenv("TUNEDECK_EMULATOR_API_KEY", emulator.api_key)
    monkeypatch.setenv("TUNEDECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "TUNEDECK_BACKEND", "TUNEDECK_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)
    code, out, _ = run(capsys, "--protocol", "gemini", "--server", "local", "doctor", "--json")
    assert code == 0 and json.loads(out)["backend"] == "local"
    assert main(["--protocol", "gemini", "tune", CLASSIFICATION, "--adapter-size", "4", "--json"]) == 2
