"""Benchmark: the job manager watching 100 training jobs on the local emulator.

Launches N jobs on an emulator whose training steps are slow (so every job stays
CREATING), then measures, over the same window length:
- baseline: a fixed-interval poller that GETs every job every `fast` seconds, the way a
  naive monitor would, through the same backend;
- manager: the JobManager resuming those jobs from history with its adaptive polling.
Reported: requests per second sent and the process's CPU use, and the manager/baseline ratios.

    .venv/bin/python benchmarks/bench_manager.py [--jobs 100] [--warmup 60] [--window 30]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from tui.config import Settings
from tui.datasets import sample_paths
from tui.jobs.history import History
from tui.jobs.manager import JobManager
from tui.jobs.polling import PollPolicy
from tui.jobs.service import local_backend
from tui.models import Hyperparameters, JobSpec


async def launch_jobs(settings: Settings, url: str, count: int) -> list[str]:
    manager = JobManager(settings, local_backend(url, settings.local_api_key or ""), History(settings.history_path))
    await manager.start(background=False)
    dataset = sample_paths()[0]
    spec = JobSpec(display_name="bench", hyperparameters=Hyperparameters(epoch_count=50, batch_size=4))
    try:
        names = [(await manager.launch(spec, dataset)).name for _ in range(count)]
    finally:
        await manager.close()
    return names


async def baseline(url: str, api_key: str, names: list[str], interval: float, window: float) -> tuple[float, float]:
    """Fixed-interval polling of every job: (requests/s, CPU %)."""
    backend = local_backend(url, api_key)
    sent = 0
    stop = time.monotonic() + window
    cpu0, wall0 = time.process_time(), time.monotonic()

    async def poll_forever(name: str) -> None:
        nonlocal sent
        while time.monotonic() < stop:
            sent += 1
            await backend.get(name)
            await asyncio.sleep(interval)

    await asyncio.gather(*(poll_forever(n) for n in names))
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    await backend.close()
    return sent / wall, 100 * cpu / wall


async def managed(
    settings: Settings, url: str, policy: PollPolicy, warmup: float, window: float
) -> tuple[float, float, int]:
    """The manager resuming the jobs: (requests/s, CPU %, jobs watched) after a warm-up."""
    manager = JobManager(
        settings, local_backend(url, settings.local_api_key or ""), History(settings.history_path), policy=policy
    )
    await manager.start()
    await asyncio.sleep(warmup)
    sent0, cpu0, wall0 = manager.requests_sent, time.process_time(), time.monotonic()
    await asyncio.sleep(window)
    sent, cpu, wall = manager.requests_sent - sent0, time.process_time() - cpu0, time.monotonic() - wall0
    watched = sum(1 for job in manager.jobs if not job.state.finished)
    await manager.close()
    return sent / wall, 100 * cpu / wall, watched


async def main(args) -> None:
    from tui.emulator.process import start_emulator

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        emulator = start_emulator(root / "emulator", port=0, extra_args=("--step-delay", "600"))
        try:
            settings = replace(
                Settings(data_dir=root, config_dir=root), local_url=emulator.url, local_api_key=emulator.api_key
            )
            t0 = time.monotonic()
            names = await launch_jobs(settings, emulator.url, args.jobs)
            print(f"launched {len(names)} jobs in {time.monotonic() - t0:.1f} s")
            policy = PollPolicy()
            base_rps, base_cpu = await baseline(emulator.url, emulator.api_key, names, policy.fast, args.window)
            print(f"baseline (every job every {policy.fast:g} s): {base_rps:7.2f} req/s  CPU {base_cpu:5.1f} %")
            rps, cpu, watched = await managed(settings, emulator.url, policy, args.warmup, args.window)
            print(
                f"manager after {args.warmup:g} s warm-up ({watched} jobs watched): {rps:7.2f} req/s  CPU {cpu:5.1f} %"
            )
            print(f"ratio manager/baseline: requests {rps / base_rps:.3f}  CPU {cpu / max(base_cpu, 1e-9):.3f}")
        finally:
            emulator.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before measuring the manager")
    parser.add_argument("--window", type=float, default=30.0, help="seconds measured, for both pollers")
    asyncio.run(main(parser.parse_args()))
