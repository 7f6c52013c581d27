"""Vertex launch preparation: a 200 MB dataset converted to `contents` JSONL and uploaded to the emulator.

    python benchmarks/bench_vertex_upload.py            # 200 MB (generated under benchmarks/data/)
    python benchmarks/bench_vertex_upload.py --mb 50    # a smaller file while iterating

Three figures per round, ROUNDS rounds alternated, min/median/max printed:
- baseline: read the file once, parsing every line with orjson;
- convert: `write_contents` (open + index + convert + SHA-256/MD5 of the output);
- upload: `CloudStorage.upload` of the converted file to a local emulator (resumable, 8 MiB
  chunks, MD5 checked), a new object name each round so every round really uploads.
Ratios are to the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_datasets import DATA, MB, generate  # noqa: E402

ROUNDS = 5


def baseline(path: Path) -> None:
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                orjson.loads(line)


def convert(path: Path, out: Path):
    from tui.datasets import open_dataset
    from tui.datasets.contents import write_contents

    return write_contents(open_dataset(path), out).training


async def upload(url: str, key: str, file, round_no: int) -> None:
    from tui.jobs.vertex.credentials import Authorizer, static_credentials
    from tui.jobs.vertex.rest import Rest
    from tui.jobs.vertex.storage import CloudStorage

    rest = Rest(Authorizer(static_credentials(key)), url, where="emulator storage", unreachable_hint="")
    try:
        if round_no == 0:
            await rest.request("POST", "storage/v1/b", query={"project": "bench"}, json={"name": "bench"},
                               ok=(200, 409))
        stored = await CloudStorage(rest).upload(file.path, "bench", f"round-{round_no}-{time.time_ns()}.jsonl",
                                                 md5_hex=file.md5)
        assert stored.uploaded and stored.size == file.size_bytes
    finally:
        await rest.close()


def spread(values: list[float]) -> str:
    return f"min {min(values):.2f}  median {statistics.median(values):.2f}  max {max(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    path = DATA / f"vertex-{args.mb}mb.jsonl"
    generate(path, args.mb * MB)
    from tui.emulator.process import start_emulator

    times: dict[str, list[float]] = {"baseline": [], "convert": [], "upload": []}
    with tempfile.TemporaryDirectory() as tmp:
        emulator = start_emulator(Path(tmp) / "emulator", port=0)
        try:
            for round_no in range(ROUNDS):
                start = time.perf_counter()
                baseline(path)
                times["baseline"].append(time.perf_counter() - start)
                start = time.perf_counter()
                file = convert(path, Path(tmp) / "out")
                times["convert"].append(time.perf_counter() - start)
                start = time.perf_counter()
                asyncio.run(upload(emulator.url, emulator.api_key, file, round_no))
                times["upload"].append(time.perf_counter() - start)
                file.path.unlink()
        finally:
            emulator.stop()
    size = path.stat().st_size / MB
    base = statistics.median(times["baseline"])
    print(f"dataset {size:.0f} MB, {ROUNDS} rounds (seconds)")
    for name, values in times.items():
        print(f"  {name:9s} {spread(values)}   median / baseline = {statistics.median(values) / base:.2f}")
    total = [c + u for c, u in zip(times["convert"], times["upload"], strict=True)]
    print(f"  open to uploaded (convert + upload): {spread(total)}   median / baseline = "
          f"{statistics.median(total) / base:.2f}")


if __name__ == "__main__":
    main()
