"""Helpers for the Vertex AI tests: a google-genai client in Vertex mode, uploads, raw REST, datasets."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tests.emulator.helpers import SAMPLES

PROJECT, LOCATION = "emu-project", "us-central1"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"
BUCKET = "tuning-data"
ENDED = ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED")


def vertex_client(emu, project: str = PROJECT, location: str = LOCATION):
    """google-genai in Vertex mode against the emulator (the recipe in docs/emulator.md)."""
    import google.oauth2.credentials
    from google import genai
    from google.genai import types

    return genai.Client(
        vertexai=True,
        project=project,
        location=location,
        credentials=google.oauth2.credentials.Credentials(token=emu.api_key),
        http_options=types.HttpOptions(base_url=emu.url + "/", api_version="v1beta1"),
    )


def rest(emu, method: str, path: str, body: Any = None, version: str = "v1beta1") -> tuple[int, Any]:
    """A raw call on `/{version}/{path}` with the emulator's key as Bearer token: (status, JSON body)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{emu.url}/{version}/{path}",
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {emu.api_key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _call(emu, method: str, url: str, data: bytes | None, content_type: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Authorization": f"Bearer {emu.api_key}", "Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def upload(emu, name: str, data: bytes, bucket: str = BUCKET) -> str:
    """Upload an object through the emulator's Cloud Storage JSON API (media upload); returns its gs:// URI."""
    status, _ = _call(emu, "GET", f"{emu.url}/storage/v1/b/{bucket}", None, "application/json")
    if status == 404:
        status, body = _call(
            emu,
            "POST",
            f"{emu.url}/storage/v1/b?project={PROJECT}",
            json.dumps({"name": bucket}).encode(),
            "application/json",
        )
        assert status == 200, body
    query = urllib.parse.urlencode({"uploadType": "media", "name": name})
    status, body = _call(emu, "POST", f"{emu.url}/upload/storage/v1/b/{bucket}/o?{query}", data, "application/jsonl")
    assert status == 200, body
    return f"gs://{bucket}/{name}"


def contents_record(prompt: str, answer: str) -> dict:
    return {"contents": [{"role": "user", "parts": [{"text": prompt}]}, {"role": "model", "parts": [{"text": answer}]}]}


def jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def colour_records(n: int = 16) -> list[dict]:
    words = ["red", "green", "blue", "gold"]
    return [contents_record(f"colour of item {i}: {words[i % 4]}", words[i % 4]) for i in range(n)]


def classification_records() -> list[dict]:
    rows = [json.loads(line) for line in (SAMPLES / "classification.jsonl").read_text().splitlines() if line.strip()]
    return [contents_record(r["text_input"], r["output"]) for r in rows]


def wait_job(emu, name: str, states=ENDED, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    job: dict = {}
    while time.monotonic() < deadline:
        status, job = rest(emu, "GET", name)
        assert status == 200, job
        if job["state"] in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"{name} did not reach {states} within {timeout} s (last: {job.get('state')})")


def wait_points(emu, name: str, steps: int, timeout: float = 60.0) -> dict:
    """Wait until the job reports `steps` completed steps; returns the job."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = rest(emu, "GET", name)[1]
        if int(job.get("tuningJobMetadata", {}).get("completedStepCount", 0)) >= steps:
            return job
        time.sleep(0.02)
    raise AssertionError(f"{name} did not reach {steps} steps within {timeout} s")


def create_job(
    emu, train_uri: str, validation_uri: str | None = None, base: str = "gemini-2.5-flash", **hyperparameters
) -> tuple[int, dict]:
    spec: dict = {"trainingDatasetUri": train_uri, "hyperParameters": hyperparameters}
    if validation_uri:
        spec["validationDatasetUri"] = validation_uri
    return rest(emu, "POST", f"{PARENT}/tuningJobs", {"baseModel": base, "supervisedTuningSpec": spec})


def run_of(emu, job: dict) -> str:
    """The TensorBoard run of a job, found through its Experiment as the official samples do."""
    status, experiment = rest(emu, "GET", job["experiment"])
    assert status == 200, experiment
    board = experiment["metadata"]["backing_tensorboard_resource"]
    query = f'schema_title="system.ExperimentRun" AND parent_contexts:"{job["experiment"]}"'
    status, found = rest(emu, "GET", f"{PARENT}/metadataStores/default/contexts?filter={urllib.request.quote(query)}")
    assert status == 200 and len(found["contexts"]) == 1, found
    experiment_id = job["experiment"].rsplit("/", 1)[1]
    run_id = found["contexts"][0]["name"].rsplit("/", 1)[1].removeprefix(experiment_id + "-")
    return f"{board}/experiments/{experiment_id}/runs/{run_id}"


def series_names(emu, run: str) -> dict[str, str]:
    status, listed = rest(emu, "GET", f"{run}/timeSeries")
    assert status == 200, listed
    return {s["displayName"]: s["name"] for s in listed["tensorboardTimeSeries"]}


def export_all(emu, series: str, page_size: int = 1000, step_filter: str = "") -> list[dict]:
    points, token = [], ""
    while True:
        body = {"pageSize": page_size, "orderBy": "step", "pageToken": token, "filter": step_filter}
        status, page = rest(emu, "POST", f"{series}:exportTensorboardTimeSeries", body)
        assert status == 200, page
        points += page.get("timeSeriesDataPoints", [])
        token = page.get("nextPageToken", "")
        if not token:
            return points


def trainers_of(data_dir: Path) -> list[int]:
    """Trainer processes working on this data dir (found by their plan file's path)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"tui.emulator.worker" in command and any(str(data_dir).encode() in part for part in command):
            found.append(int(proc.name))
    return found


def wait_trainers_gone(data_dir: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while trainers_of(data_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not trainers_of(data_dir), "the orphaned trainer did not end"
