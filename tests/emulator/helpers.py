"""Helpers for emulator tests: example sets, raw create through the SDK, polling."""

from __future__ import annotations

import json
import time
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "tui" / "samples"


def classification_examples() -> list[dict]:
    rows = [json.loads(line) for line in (SAMPLES / "classification.jsonl").read_text().splitlines() if line.strip()]
    return [{"textInput": r["text_input"], "output": r["output"]} for r in rows]


def tiny_examples(n: int = 12) -> list[dict]:
    words = ["red", "green", "blue", "gold"]
    return [{"textInput": f"colour of item {i}: {words[i % 4]}", "output": words[i % 4]} for i in range(n)]


def create_body(examples: list[dict], display_name: str = "test model", **hyperparameters) -> dict:
    hp = {"epochCount": 2, "batchSize": 4, "learningRate": 0.001} | hyperparameters
    return {
        "displayName": display_name,
        "baseModel": "models/gemini-1.5-flash-001-tuning",
        "tuningTask": {"hyperparameters": hp, "trainingData": {"examples": {"examples": examples}}},
    }


def raw(client, method: str, path: str, body: dict | None = None, http_options: dict | None = None) -> dict:
    """A request through the SDK's own client; returns the parsed JSON body."""
    response = client._api_client.request(method, path, body or {}, http_options)
    return json.loads(response.body) if response.body else {}


def create(client, body: dict, model_id: str | None = None) -> dict:
    path = "tunedModels" + (f"?tunedModelId={model_id}" if model_id else "")
    return raw(client, "post", path, body)


def wait_for(client, name: str, states=("ACTIVE", "FAILED"), timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        model = raw(client, "get", name)
        if model["state"] in states:
            return model
        time.sleep(0.05)
    raise AssertionError(f"{name} did not reach {states} within {timeout} s (last: {model['state']})")


def wait_steps(client, name: str, steps: int, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        model = raw(client, "get", name)
        if len(model.get("tuningTask", {}).get("snapshots", [])) >= steps:
            return model
        time.sleep(0.02)
    raise AssertionError(f"{name} did not reach {steps} steps within {timeout} s")
