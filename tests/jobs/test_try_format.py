"""`tunedeck try` holds a prompt to the format of the dataset the model was tuned on, as the Playground does."""

from __future__ import annotations

import json

from tests.jobs.conftest import SAMPLES
from tests.jobs.test_cli import local_env, run  # noqa: F401 - the fixture is used by name

CLASSIFICATION = SAMPLES / "classification.jsonl"
PREAMBLE = "Classify the support ticket as billing, shipping, technical or account."


def test_try_warns_about_the_format_and_sends_only_when_forced(local_env, capsys):  # noqa: F811
    code, out, _ = run(capsys, "tune", str(CLASSIFICATION), "--epochs", "1", "--batch-size", "16", "--watch")
    assert code == 0, out
    job_id = json.loads(run(capsys, "jobs", "list", "--json")[1])[0]["id"]

    code, out, err = run(capsys, "try", job_id, "My parcel never arrived")
    assert code == 3 and out == ""
    assert "not sent" in err and PREAMBLE in err and "ticket:" in err and "--force" in err

    code, out, _ = run(capsys, "try", job_id, "My parcel never arrived", "--json")
    error = json.loads(out)["error"]
    assert code == 3 and error["kind"] == "prompt-format"
    assert [f["rule"] for f in error["findings"]] == ["missing-preamble", "missing-marker"]

    code, out, err = run(capsys, "try", job_id, "My parcel never arrived", "--force")
    assert code == 0 and out.strip() and "sent anyway" in err

    code, out, err = run(capsys, "try", job_id, f"{PREAMBLE}\nticket: My parcel never arrived")
    assert code == 0 and out.strip() and "not sent" not in err and "sent anyway" not in err


def test_a_model_tuned_elsewhere_is_sent_with_a_note(local_env, capsys, monkeypatch, tmp_path):  # noqa: F811
    code, out, _ = run(capsys, "tune", str(CLASSIFICATION), "--epochs", "1", "--batch-size", "16", "--watch")
    assert code == 0, out
    job_id = json.loads(run(capsys, "jobs", "list", "--json")[1])[0]["id"]
    monkeypatch.setenv("TUNEDECK_DATA_DIR", str(tmp_path / "another-machine"))  # no history of that job here
    code, out, err = run(capsys, "try", job_id, "My parcel never arrived")
    assert code == 0 and out.strip() and "not known here" in err
