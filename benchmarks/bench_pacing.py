"""Benchmark: how long a default job on each shipped sample lasts on the emulator tunedeck starts.

An emulator tunedeck starts by itself sleeps `AUTO_STEP_DELAY_S` per training step, so a
newcomer sees the loss curve grow. This measures, per shipped sample, the time from
launch to the job's end with the default hyperparameters (5 epochs, batch size 4):
- paced: an emulator started as tunedeck starts one (`tui.jobs.local.start_for`);
- baseline: the same emulator at full speed (step delay 0), in the same run.
Reported per sample: min/median/max seconds of each, and paced/baseline.

    .venv/bin/python benchmarks/bench_pacing.py [--rounds 5] [--samples number-increment summarization]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from tui.config import AUTO_STEP_DELAY_S, Settings
from tui.datasets import sample_paths
from tui.jobs.events import JobFinished
from tui.jobs.local import start_for
from tui.jobs.polling import PollPolicy
from tui.jobs.service import open_manager
from tui.models import JobSpec

POLICY = PollPolicy(fast=0.2, slow=0.5)  # poll often, so the end is seen within a fraction of a second


async def job_seconds(settings: Settings, dataset: Path) -> float:
    """Seconds from launch to the end of one default job."""
    manager = await open_manager(settings, policy=POLICY)
    try:
        events = manager.events()
        started = time.monotonic()
        job = await manager.launch(JobSpec(display_name="pacing"), dataset)
        async for event in events:
            if isinstance(event, JobFinished) and event.job.name == job.name:
                return time.monotonic() - started
        raise RuntimeError("the event stream ended before the job")
    finally:
        await manager.close()


def summary(values: list[float]) -> str:
    return f"min {min(values):6.1f}  median {statistics.median(values):6.1f}  max {max(values):6.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", nargs="*", help="sample names without .jsonl (default: all)")
    args = parser.parse_args()
    samples = [p for p in sample_paths() if not args.samples or p.stem in args.samples]
    print(f"default job (5 epochs, batch 4); paced = {AUTO_STEP_DELAY_S:g} s per step; {args.rounds} rounds")
    for dataset in samples:
        times: dict[str, list[float]] = {"paced": [], "baseline": []}
        for _ in range(args.rounds):
            for kind, delay in (("paced", AUTO_STEP_DELAY_S), ("baseline", 0.0)):
                with tempfile.TemporaryDirectory() as root:
                    settings = replace(Settings(data_dir=Path(root), config_dir=Path(root)), emulator_step_delay=delay)
                    emulator = start_for(settings)
                    try:
                        times[kind].append(asyncio.run(job_seconds(settings, dataset)))
                    finally:
                        emulator.stop()
        ratio = statistics.median(times["paced"]) / statistics.median(times["baseline"])
        print(f"{dataset.name:28} paced    {summary(times['paced'])}")
        print(f"{'':28} baseline {summary(times['baseline'])}   paced/baseline {ratio:.1f}x")


if __name__ == "__main__":
    main()
