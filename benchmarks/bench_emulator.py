"""Emulator benchmark: request latency while jobs train, served generation, end-to-end job time.

Run: `.venv/bin/python benchmarks/bench_emulator.py`. Starts a real server on a free
loopback port with a temporary data dir and talks HTTP to it (keep-alive connection, as a
polling client would). The baseline is the same GET on the idle server in the same run;
the bar is GET p99 <= 25 ms while a job trains.
"""

from __future__ import annotations

import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui.emulator.process import start_emulator  # noqa: E402


class Api:
    def __init__(self, url: str, key: str) -> None:
        parsed = urlparse(url)
        self.conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        self.headers = {"x-goog-api-key": key, "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[float, dict]:
        started = time.perf_counter()
        self.conn.request(
            method, "/v1beta/" + path, body=json.dumps(body) if body is not None else None, headers=self.headers
        )
        response = self.conn.getresponse()
        data = json.loads(response.read())
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {response.status} {data}")
        return elapsed, data


def samples(name: str) -> list[dict]:
    rows = [json.loads(line) for line in (ROOT / f"tui/samples/{name}.jsonl").read_text().splitlines() if line.strip()]
    return [{"textInput": r["text_input"], "output": r["output"]} for r in rows]


def body(examples: list[dict], name: str, epochs: int = 5) -> dict:
    return {
        "displayName": name,
        "baseModel": "models/gemini-1.5-flash-001-tuning",
        "tuningTask": {
            "hyperparameters": {"epochCount": epochs, "batchSize": 4, "learningRate": 0.001},
            "trainingData": {"examples": {"examples": examples}},
        },
    }


def wait_active(api: Api, name: str) -> dict:
    while True:
        _, model = api.call("GET", name)
        if model["state"] != "CREATING":
            return model
        time.sleep(0.02)


def percentiles(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"p50 {statistics.median(ordered) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms (n={len(ordered)})"


def get_latencies(api: Api, name: str, seconds: float, stop: threading.Event | None = None) -> list[float]:
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (stop and stop.is_set()):
        latencies.append(api.call("GET", name)[0])
        time.sleep(0.01)
    return latencies


def main(trainers: int | None = None) -> None:
    classification = samples("classification")
    five_hundred = [
        {"textInput": f"{e['textInput']} (#{i})", "output": e["output"]} for i, e in enumerate(classification * 3)
    ][:500]
    with tempfile.TemporaryDirectory() as tmp:
        extra = ("--trainers", str(trainers)) if trainers else ()
        emu = start_emulator(Path(tmp) / "emulator", port=0, extra_args=extra)
        print(f"-- trainers at once: {trainers or 'default'}")
        try:
            api = Api(emu.url, emu.api_key)
            _, op = api.call("POST", "tunedModels", body(classification, "idle reference"))
            reference = op["metadata"]["tunedModel"]
            wait_active(api, reference)
            idle = get_latencies(api, reference, 3.0)
            print(f"GET tunedModels/x idle (baseline, 250 snapshots): {percentiles(idle)}")

            started = time.perf_counter()
            _, op = api.call("POST", "tunedModels", body(five_hundred, "five hundred"))
            job = op["metadata"]["tunedModel"]
            _, op2 = api.call("POST", "tunedModels", body(five_hundred, "second job"))
            busy, watcher = [], Api(emu.url, emu.api_key)
            done = threading.Event()

            def poll() -> None:
                busy.extend(get_latencies(watcher, job, 120.0, done))

            thread = threading.Thread(target=poll)
            thread.start()
            model = wait_active(api, job)
            elapsed = time.perf_counter() - started
            done.set()
            thread.join()
            steps = len(model["tuningTask"]["snapshots"])
            print(f"GET tunedModels/x while 2 jobs train (growing to {steps} snapshots): {percentiles(busy)} (bar p99 "
                  "<= 25 ms); "
                  "p99 ratio to idle "
                  f"{sorted(busy)[int(0.99 * len(busy))] / sorted(idle)[int(0.99 * len(idle))]:.2f}x")  # fmt: skip
            print(
                f"end to end: create -> ACTIVE for 500 examples x 5 epochs ({steps} steps), sharing 2 cores with a "
                f"second job: {elapsed:.2f} s (bar <= 15 s)"
            )
            wait_active(api, op2["metadata"]["tunedModel"])

            _, op = api.call("POST", "tunedModels", body(samples("summarization"), "summarizer", epochs=3))
            summarizer = op["metadata"]["tunedModel"]
            wait_active(api, summarizer)
            request = {"contents": [{"role": "user", "parts": [{"text": samples("summarization")[5]["textInput"]}]}],
                       "generationConfig": {"maxOutputTokens": 10, "temperature": 0.7}}  # fmt: skip
            api.call("POST", f"{summarizer}:generateContent", request)  # loads the weights once
            latencies, tokens = [], 0
            for _ in range(100):
                elapsed, answer = api.call("POST", f"{summarizer}:generateContent", request)
                latencies.append(elapsed)
                tokens = answer["usageMetadata"]["candidatesTokenCount"]
            print(f"generateContent, {tokens}-token answer over HTTP: {percentiles(latencies)} (bar <= 50 ms)")
        finally:
            emu.stop()


if __name__ == "__main__":
    main(trainers=1)  # the second job waits for the first
    main(trainers=2)  # both jobs train at once: every core busy
