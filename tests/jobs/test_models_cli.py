"""`tunedeck models` on the Gemini API protocol (the emulator): a tuned model is its job; list, rename and
delete work as on Vertex AI, with the same JSON shapes."""

from __future__ import annotations

import json

from tests.jobs.conftest import NUMBERS
from tests.jobs.test_cli import local_env, run

__all__ = ["local_env"]


def test_models_list_rename_delete_on_the_gemini_api(local_env, capsys):
    code, out, err = run(capsys, "tune", str(NUMBERS), "--epochs", "1", "--display-name", "numbers", "--watch")
    assert code == 0, err
    code, out, _ = run(capsys, "models", "list", "--json")
    models = json.loads(out)
    assert code == 0 and len(models) == 1
    model = models[0]
    assert model["name"].startswith("tunedModels/") and model["job"] == model["name"]
    assert model["display_name"] == "numbers" and model["state"] == "ACTIVE"

    code, out, _ = run(capsys, "models", "rename", model["id"], "numbers v2", "--json")
    assert code == 0 and json.loads(out)["display_name"] == "numbers v2"
    code, out, _ = run(capsys, "models", "list")
    assert "numbers v2" in out and model["id"] in out

    code, out, _ = run(capsys, "models", "delete", model["id"], "--json")
    assert code == 2 and json.loads(out)["error"]["kind"] == "not-confirmed"
    code, out, _ = run(capsys, "models", "delete", model["id"], "--yes", "--json")
    assert code == 0 and json.loads(out)["deleted"] == model["name"]
    from google.genai import errors

    try:  # gone on the backend, asked through the SDK
        client = local_env.client()
        client.models.get(model=model["name"])
        raise AssertionError(f"{model['name']} is still there")
    except errors.ClientError as exc:
        assert exc.code == 404
    code, out, _ = run(capsys, "models", "list", "--json")
    assert json.loads(out) == []
