"""GET of a long job: latency of a tuned model carrying 10,000 snapshots against one carrying 10.

Run: `.venv/bin/python benchmarks/bench_emulator_get.py [--rounds 5] [--requests 400] [--clients 1]`.
Starts a real server on a free loopback port with a temporary data dir, trains a 10-step and
a 10,000-step job to the end, then times `GET tunedModels/{id}` over keep-alive connections
(`--clients` threads at once). Each round measures both jobs; the baseline is the 10-step
job in the same round. Bars: 10,000 snapshots p99 <= 25 ms, and <= 4x the 10-snapshot p99.
"""

from __future__ import annotations

import argparse
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


def connect(url: str) -> http.client.HTTPConnection:
    parsed = urlparse(url)
    return http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=60)


def call(conn: http.client.HTTPConnection, key: str, method: str, path: str, body: dict | None = None) -> dict:
    headers = {"x-goog-api-key": key, "Content-Type": "application/json"}
    conn.request(method, "/v1beta/" + path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = json.loads(response.read())
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: HTTP {response.status} {data}")
    return data


def create(conn, key: str, steps: int) -> str:
    examples = [{"textInput": f"item {i}", "output": "even" if i % 2 == 0 else "odd"} for i in range(40)]
    body = {"displayName": f"{steps} steps", "baseModel": "models/gemini-1.5-flash-001-tuning",
            "tuningTask": {"hyperparameters": {"epochCount": steps // 10, "batchSize": 4},
                           "trainingData": {"examples": {"examples": examples}}}}  # fmt: skip
    return call(conn, key, "POST", "tunedModels", body)["metadata"]["tunedModel"]


def wait_active(conn, key: str, name: str, timeout: float = 900) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        model = call(conn, key, "GET", name)
        if model["state"] in ("ACTIVE", "FAILED"):
            return model
        time.sleep(0.5)
    raise RuntimeError(f"{name} did not finish within {timeout} s")


def timed_gets(url: str, key: str, name: str, requests: int, clients: int) -> list[float]:
    """Latencies of `requests` GETs of `name`, spread over `clients` keep-alive connections at once."""
    times: list[float] = []
    lock = threading.Lock()

    def client(count: int) -> None:
        conn = connect(url)
        mine = []
        headers = {"x-goog-api-key": key}
        for _ in range(count):
            started = time.perf_counter()
            conn.request("GET", "/v1beta/" + name, headers=headers)
            response = conn.getresponse()
            response.read()  # the whole body, not parsed: the server's time, not the client's JSON parser
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                raise RuntimeError(f"GET {name}: HTTP {response.status}")
        conn.close()
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=client, args=(requests // clients,)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def p99(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--steps", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tunedeck-bench-get-") as tmp:
        emu = start_emulator(Path(tmp) / "emulator", port=0, extra_args=["--trainers", "2"])
        try:
            conn = connect(emu.url)
            small, large = create(conn, emu.api_key, 10), create(conn, emu.api_key, args.steps)
            started = time.monotonic()
            for name in (small, large):
                model = wait_active(conn, emu.api_key, name)
                count = len(model.get("tuningTask", {}).get("snapshots", []))
                print(f"{name}: {model['state']}, {count} snapshots")
            print(f"trained in {time.monotonic() - started:.0f} s")
            size = len(json.dumps(call(conn, emu.api_key, "GET", large)))
            print(f"GET body of the large job: {size / 1e6:.2f} MB")
            rows = []
            for round_ in range(args.rounds):
                base = p99(timed_gets(emu.url, emu.api_key, small, args.requests, args.clients))
                long = p99(timed_gets(emu.url, emu.api_key, large, args.requests, args.clients))
                rows.append((base, long))
                print(f"round {round_ + 1}: p99 10 snapshots {base:.2f} ms, {args.steps} snapshots {long:.2f} ms, "
                      f"ratio {long / base:.1f}x")  # fmt: skip
        finally:
            emu.stop()
    bases, longs = [r[0] for r in rows], [r[1] for r in rows]
    ratios = [r[1] / r[0] for r in rows]
    for label, values, unit in (("p99 10 snapshots", bases, " ms"), (f"p99 {args.steps} snapshots", longs, " ms"),
                                ("ratio", ratios, "x")):  # fmt: skip
        print(f"{label}: min {min(values):.2f}{unit}, median {statistics.median(values):.2f}{unit}, "
              f"max {max(values):.2f}{unit}")  # fmt: skip
    ok = statistics.median(longs) <= 25 and statistics.median(ratios) <= 4
    print(f"bars (p99 <= 25 ms, <= 4x): {'met' if ok else 'NOT met'} (medians over {args.rounds} rounds, "
          f"{args.clients} client(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
