"""The headless commands end to end against the emulator: output, --json and exit codes."""

from __future__ import annotations

import json

import pytest

from tests.jobs.conftest import NUMBERS, write_jsonl
from tui.cli import main


@pytest.fixture
def local_env(emulator, tmp_path, monkeypatch):
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "TUNEDECK_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TUNEDECK_BACKEND", "local")  # the Gemini API protocol on the emulator
    monkeypatch.setenv("TUNEDECK_LOCAL_URL", emulator.url)
    monkeypatch.setenv("TUNEDECK_EMULATOR_API_KEY", emulator.api_key)
    monkeypatch.setenv("TUNEDECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TUNEDECK_CONFIG_DIR", str(tmp_path / "config"))
    return emulator


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_tune_watch_list_show_try(local_env, capsys):
    code, out, _ = run(
        capsys, "tune", str(NUMBERS), "--epochs", "2", "--batch-size", "8", "--display-name", "cli numbers", "--watch"
    )
    assert code == 0
    assert "launched tunedModels/cli-numbers-" in out
    assert "100%" in out and "is ready" in out and "advice:" in out

    code, out, _ = run(capsys, "jobs", "list", "--json")
    assert code == 0
    jobs = json.loads(out)
    assert len(jobs) == 1 and jobs[0]["state"] == "ACTIVE" and jobs[0]["display_name"] == "cli numbers"
    job_id = jobs[0]["id"]
    assert jobs[0]["advice"]["reason"]

    code, out, _ = run(capsys, "jobs", "watch", job_id)  # already finished: answers at once
    assert code == 0 and "is ready" in out

    code, out, _ = run(capsys, "jobs", "show", job_id)
    assert code == 0 and "dataset sha256" in out and "loss by epoch" in out

    code, out, _ = run(capsys, "jobs", "list")
    assert code == 0 and job_id in out and "ACTIVE" in out

    code, out, _ = run(capsys, "try", job_id, "12", "--json")
    assert code == 0 and json.loads(out)["text"]

    code, out, _ = run(capsys, "jobs", "delete", job_id)
    assert code == 0 and "deleted" in out


def test_tune_watch_json_streams_events(local_env, capsys):
    code, out, _ = run(capsys, "tune", str(NUMBERS), "--epochs", "1", "--watch", "--json")
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert events[-1]["event"] == "JobFinished" and events[-1]["state"] == "ACTIVE"
    assert any(e["event"] == "CurvePointsAdded" for e in events)


def test_exit_codes(local_env, capsys, tmp_path):
    bad = write_jsonl(tmp_path / "few.jsonl", [{"text_input": "1", "output": "2"}] * 3)
    code, _, err = run(capsys, "tune", str(bad))
    assert code == 3 and "not launched" in err and "few.jsonl" in err

    code, _, err = run(capsys, "tune", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "no such file" in err

    code, _, err = run(capsys, "tune", str(NUMBERS), "--epochs", "0")
    assert code == 2 and "--epochs must be at least 1 (got 0)" in err
    assert "epoch_count" not in err and "Input should be" not in err

    code, _, err = run(capsys, "jobs", "show", "no-such-job")
    assert code == 5 and "no job named tunedModels/no-such-job" in err

    code, _, err = run(capsys, "jobs", "cancel", "no-such-job")
    assert code == 5


def test_doctor(local_env, capsys, monkeypatch):
    code, out, _ = run(capsys, "doctor", "--json")
    report = json.loads(out)
    assert code == 0
    assert report["backend"] == "local" and report["api_key"] == "(none)"
    assert {c["check"]: c["ok"] for c in report["checks"]} == {
        "history": True, "reachable": True, "tunable base model": True,
    }

    code, out, _ = run(capsys, "--backend", "gemini", "doctor")
    assert code == 1
    assert "FAIL" in out and "no API key" in out

    monkeypatch.delenv("TUNEDECK_BACKEND")  # with a key and no choice made, the Gemini API is chosen
    monkeypatch.setenv("GEMINI_API_KEY", "AIzaFAKEKEY000000000000000000000000x9Q2")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", local_env.url)  # a wrong key for this server, never a Google host
    code, out, _ = run(capsys, "doctor")
    assert code == 1
    assert "AIza…x9Q2" in out and "AIzaFAKEKEY" not in out
    assert "rejected the API key" in out


def test_unreachable_backend_still_shows_history(local_env, capsys, monkeypatch):
    code, out, _ = run(capsys, "tune", str(NUMBERS), "--epochs", "1", "--display-name", "offline", "--json")
    assert code == 0
    job_id = json.loads(out)["id"]
    local_env.stop()

    code, out, err = run(capsys, "jobs", "list")
    assert code == 4
    assert job_id in out and "cannot reach the local emulator" in err and "local history" in err

    code, out, err = run(capsys, "jobs", "show", job_id)
    assert code == 4 and "dataset sha256" in out


def test_warnings_do_not_stop_a_launch_but_are_mentioned(local_env, capsys, tmp_path):
    rows = [{"text_input": str(i), "output": str(i + 1)} for i in range(25)] + [{"text_input": "1", "output": "2"}] * 3
    dataset = write_jsonl(tmp_path / "dupes.jsonl", rows)
    code, out, err = run(capsys, "tune", str(dataset), "--epochs", "1")
    assert code == 0 and "launched" in out
    assert "lint warning" in err and "duplicate" in err and "tunedeck validate" in err


def test_cancel_and_rename(local_env, capsys):
    local_env.configure(step_delay=0.05)
    code, out, _ = run(capsys, "tune", str(NUMBERS), "--epochs", "5", "--json")
    job_id = json.loads(out)["id"]
    code, out, _ = run(capsys, "jobs", "rename", job_id, "renamed run")
    assert code == 0 and "renamed run" in out
    code, out, _ = run(capsys, "jobs", "cancel", job_id)
    assert code == 0 and f"cancelled tunedModels/{job_id}" in out and "unpredictable" in out
    code, out, err = run(capsys, "jobs", "cancel", job_id)
    assert code == 4 and "already finished" in err
    code, out, _ = run(capsys, "jobs", "show", job_id, "--json")
    shown = json.loads(out)
    assert (shown["state"], shown["display_name"]) == ("CANCELLED", "renamed run")
