"""Vertex emulator benchmark: tuned-model quality, both loss curves, curve export, polling a running job.

Run: `.venv/bin/python benchmarks/bench_emulator_vertex.py [--rounds 5]`. Starts a real
server on a free loopback port with a temporary data dir and talks HTTP to it (one
keep-alive connection, Bearer auth, datasets uploaded through its Cloud Storage API).

1. Quality: the shipped classification sample as `contents` records, a seeded 80/20
   train/validation split, default settings (no hyperparameters); exact answers of the
   tuned endpoint on the validation prompts at temperature 0 (goal >= 80 %), and train and
   eval loss of the last epoch against the first (train: mean over the epoch's steps).
2. Export of a 10,000-point time series (`:exportTensorboardTimeSeries`, one page of 10,000),
   against exporting a 10-point page of the same series (the request's fixed cost).
3. GET of a running job, p50/p99, while it trains at full speed, against the same GET once
   the job has ended (idle server) in the same run.
Each figure: min / median / max over the rounds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui.emulator.process import start_emulator  # noqa: E402

PARENT = "projects/bench/locations/us-central1"
ENDED = ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED")


class Api:
    def __init__(self, url: str, key: str) -> None:
        parsed = urlparse(url)
        self.conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        self.key = key

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[float, dict]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": content_type}
        started = time.perf_counter()
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = json.loads(response.read() or b"{}")
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {response.status} {payload}")
        return elapsed, payload

    def v(self, method: str, path: str, body: object = None) -> dict:
        return self.call(method, f"/v1beta1/{path}", body)[1]


def upload(api: Api, name: str, records: list[dict]) -> str:
    try:
        api.call("GET", "/storage/v1/b/bench-data")
    except RuntimeError:
        api.call("POST", "/storage/v1/b?project=bench", {"name": "bench-data"})
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    query = urlencode({"uploadType": "media", "name": name})
    api.call("POST", f"/upload/storage/v1/b/bench-data/o?{query}", raw=data, content_type="application/jsonl")
    return f"gs://bench-data/{name}"


def record(prompt: str, answer: str) -> dict:
    return {"contents": [{"role": "user", "parts": [{"text": prompt}]}, {"role": "model", "parts": [{"text": answer}]}]}


def tune(api: Api, train: str, validation: str | None = None, **hyperparameters) -> str:
    spec: dict = {"trainingDatasetUri": train}
    if validation:
        spec["validationDatasetUri"] = validation
    if hyperparameters:
        spec["hyperParameters"] = hyperparameters
    return api.v("POST", f"{PARENT}/tuningJobs", {"baseModel": "gemini-2.5-flash", "supervisedTuningSpec": spec})[
        "name"
    ]


def wait(api: Api, name: str, timeout: float = 900) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.v("GET", name)
        if job["state"] in ENDED:
            if job["state"] != "JOB_STATE_SUCCEEDED":
                raise RuntimeError(f"{name} ended {job['state']}: {job.get('error')}")
            return job
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not end within {timeout} s")


def series(api: Api, job: dict) -> dict[str, str]:
    board = api.v("GET", job["experiment"])["metadata"]["backing_tensorboard_resource"]
    query = quote(f'schema_title="system.ExperimentRun" AND parent_contexts:"{job["experiment"]}"')
    run_context = api.v("GET", f"{PARENT}/metadataStores/default/contexts?filter={query}")["contexts"][0]["name"]
    experiment = job["experiment"].rsplit("/", 1)[1]
    run = f"{board}/experiments/{experiment}/runs/{run_context.rsplit('/', 1)[1].removeprefix(experiment + '-')}"
    return {s["displayName"]: s["name"] for s in api.v("GET", f"{run}/timeSeries")["tensorboardTimeSeries"]}


def points(api: Api, name: str, page_size: int = 10_000) -> list[dict]:
    body = {"orderBy": "step", "pageSize": page_size}
    return api.v("POST", f"{name}:exportTensorboardTimeSeries", body).get("timeSeriesDataPoints", [])


def spread(values: list[float], unit: str = "", digits: int = 1) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"min {low:.{digits}f}{unit} / median {mid:.{digits}f}{unit} / max {high:.{digits}f}{unit}"


def quality(api: Api, rounds: int) -> None:
    rows = [json.loads(line) for line in (ROOT / "tui/samples/classification.jsonl").read_text().splitlines() if line]
    exact, train_ratio, eval_ratio = [], [], []
    for round_no in range(rounds):
        shuffled = rows[:]
        random.Random(round_no).shuffle(shuffled)
        cut = int(len(shuffled) * 0.8)
        train = upload(
            api, f"cls/train-{round_no}.jsonl", [record(r["text_input"], r["output"]) for r in shuffled[:cut]]
        )
        held = shuffled[cut:]
        validation = upload(api, f"cls/val-{round_no}.jsonl", [record(r["text_input"], r["output"]) for r in held])
        job = wait(api, tune(api, train, validation))
        correct = 0
        for row in held:
            request = {
                "contents": [{"role": "user", "parts": [{"text": row["text_input"]}]}],
                "generationConfig": {"temperature": 0},
            }
            answer = api.v("POST", f"{job['tunedModel']['endpoint']}:generateContent", request)
            correct += answer["candidates"][0]["content"]["parts"][0]["text"].strip() == row["output"]
        exact.append(100.0 * correct / len(held))
        names = series(api, job)
        loss = points(api, names["/train_total_loss"])
        per_epoch = int(job["tuningDataStats"]["supervisedTuningDataStats"]["tuningStepCount"]) // int(
            job["supervisedTuningSpec"]["hyperParameters"]["epochCount"]
        )
        first = statistics.mean(p["scalar"]["value"] for p in loss[:per_epoch])
        last = statistics.mean(p["scalar"]["value"] for p in loss[-per_epoch:])
        evals = points(api, names["/eval_total_loss"])
        train_ratio.append(last / first)
        eval_ratio.append(evals[-1]["scalar"]["value"] / evals[0]["scalar"]["value"])
        print(
            f"  round {round_no + 1}: exact {correct}/{len(held)}, train loss {first:.3f} -> {last:.3f}, "
            f"eval loss {evals[0]['scalar']['value']:.3f} -> {evals[-1]['scalar']['value']:.3f} "
            f"({len(evals)} eval points, {len(loss)} steps)"
        )
    print(f"exact answers on the validation split (goal >= 80 %): {spread(exact, ' %')}")
    print(f"train loss, last epoch / first epoch: {spread(train_ratio, digits=3)}")
    print(f"eval loss, last epoch / first epoch:  {spread(eval_ratio, digits=3)}")


def export_and_polling(api: Api, rounds: int) -> None:
    words = ["red", "green", "blue", "gold"]
    records = [record(f"colour of item {i}: {words[i % 4]}", words[i % 4]) for i in range(400)]
    train = upload(api, "long/train.jsonl", records)
    name = tune(api, train, epochCount=100, adapterSize="ADAPTER_SIZE_ONE")  # 10,000 steps at batch 4
    running: list[float] = []
    while api.v("GET", name)["state"] not in ENDED:  # poll while it trains at full speed
        running.append(api.call("GET", f"/v1beta1/{name}")[0])
    job = wait(api, name)
    idle = [api.call("GET", f"/v1beta1/{name}")[0] for _ in range(len(running))]

    def pct(values: list[float], q: float) -> float:
        return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000

    print(
        f"GET of a running job: {len(running)} requests while 10,000 steps trained: "
        f"p50 {pct(running, 0.5):.2f} ms, p99 {pct(running, 0.99):.2f} ms; idle baseline "
        f"p50 {pct(idle, 0.5):.2f} ms, p99 {pct(idle, 0.99):.2f} ms; "
        f"p99 ratio {pct(running, 0.99) / pct(idle, 0.99):.2f}"
    )
    loss = series(api, job)["/train_total_loss"]
    big, small = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        got = points(api, loss)
        big.append((time.perf_counter() - started) * 1000)
        assert len(got) == 10_000, len(got)
        started = time.perf_counter()
        points(api, loss, page_size=10)
        small.append((time.perf_counter() - started) * 1000)
    ratios = [b / s for b, s in zip(big, small, strict=True)]
    print(
        f"export of a 10,000-point time series: {spread(big, ' ms')}; 10-point page: {spread(small, ' ms', 2)}; "
        f"ratio {spread(ratios, digits=1)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        emu = start_emulator(Path(tmp) / "emu")
        try:
            api = Api(emu.url, emu.api_key)
            print(f"quality on the classification sample ({args.rounds} rounds, default settings):")
            quality(api, args.rounds)
            export_and_polling(api, args.rounds)
        finally:
            emu.stop()


if __name__ == "__main__":
    main()
