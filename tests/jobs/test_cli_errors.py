"""Every `--json` command reports a failure as a JSON error object; errors name the CLI's flags."""

from __future__ import annotations

import json

import pytest

from tests.jobs.conftest import NUMBERS, write_jsonl
from tests.jobs.test_cli import local_env, run  # noqa: F401 - the fixture is used by name


def error_of(out: str) -> dict:
    return json.loads(out)["error"]


def test_job_setting_errors_name_the_flag_in_plain_words(local_env, capsys):  # noqa: F811
    code, out, err = run(capsys, "tune", str(NUMBERS), "--epochs", "0", "--batch-size", "5000")
    assert code == 2 and out == ""
    assert "--epochs must be at least 1 (got 0)" in err and "--batch-size must be at most 1024 (got 5000)" in err
    assert "epoch_count" not in err and "batch_size" not in err and "Input should be" not in err
    code, _, err = run(capsys, "tune", str(NUMBERS), "--display-name", "x" * 57)
    assert code == 2 and "--display-name must be at most 40 characters (57 given)" in err


def test_tune_json_errors_are_json(local_env, capsys, tmp_path):  # noqa: F811
    code, out, _ = run(capsys, "tune", str(NUMBERS), "--epochs", "0", "--json")
    error = error_of(out)
    assert code == 2 and error["exit_code"] == 2 and "--epochs must be at least 1" in error["message"]

    code, out, _ = run(capsys, "tune", str(tmp_path / "missing.jsonl"), "--json")
    assert code == 2 and "no such file" in error_of(out)["message"] and error_of(out)["hint"]

    few = write_jsonl(tmp_path / "few.jsonl", [{"text_input": "1", "output": "2"}] * 3)
    code, out, _ = run(capsys, "tune", str(few), "--json")
    error = error_of(out)
    assert code == 3 and error["kind"] == "dataset-errors" and "few.jsonl" in error["message"]
    assert "1 error(s)" not in error["message"]


def test_jobs_and_try_json_errors_are_json(local_env, capsys):  # noqa: F811
    code, out, _ = run(capsys, "jobs", "show", "no-such-job", "--json")
    error = error_of(out)
    assert code == 5 and error["kind"] == "not-found" and "no-such-job" in error["message"]

    code, out, _ = run(capsys, "jobs", "--json", "cancel", "no-such-job")
    assert code == 5 and error_of(out)["exit_code"] == 5

    local_env.stop()
    code, out, _ = run(capsys, "try", "models/gemini-1.5-flash-001-tuning", "hi", "--json")
    error = error_of(out)
    assert code == 4 and error["kind"] == "unreachable" and error["message"]


def test_usage_errors_with_json_are_json(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(capsys, "tune", str(NUMBERS), "--epochs", "many", "--json")
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2
    error = error_of(out)
    assert "--epochs" in error["message"] and "many" in error["message"] and error["kind"] == "usage"
    with pytest.raises(SystemExit):
        run(capsys, "tune", str(NUMBERS), "--epochs", "many")
    out, err = capsys.readouterr()
    assert out == "" and "invalid int value" in err


def test_a_forced_launch_leaves_out_examples_with_errors(local_env, capsys, tmp_path):  # noqa: F811
    rows = [{"text_input": str(i), "output": str(i + 1)} for i in range(25)]
    rows += [{"text_input": "i" * 40_001, "output": "x"}, {"text_input": "q", "output": ""}]
    dataset = write_jsonl(tmp_path / "mixed.jsonl", rows)
    code, out, err = run(capsys, "tune", str(dataset), "--epochs", "1", "--batch-size", "5")
    assert code == 3 and "2 errors" in err and "leaving out the records with errors" in err
    code, out, _ = run(capsys, "tune", str(dataset), "--epochs", "1", "--batch-size", "5", "--force", "--json")
    job = json.loads(out)
    assert code == 0 and job["dataset_examples"] == 25 and job["total_steps"] == 5
