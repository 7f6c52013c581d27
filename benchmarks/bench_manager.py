"""Benchmark: the job manager watching 100 jobs on the local emulator, against a naive poller.

    .venv/bin/python benchmarks/bench_manager.py [--jobs 100] [--warmup 60] [--window 30]
    .venv/bin/python benchmarks/bench_manager.py --protocol vertex [--rounds 5] [--step-delay 10]

Gemini (default, backend `local`): N jobs on an emulator whose steps are slow (so every job
stays CREATING), then, over the same window length:
- baseline: a fixed-interval poller that GETs every job every `fast` seconds, the way a
  naive monitor would, through the same backend;
- manager: the JobManager resuming those jobs from history with its adaptive polling.

Vertex (`--protocol vertex`, backend `vertex-local`): N Vertex tuning jobs training on the
emulator, one trainer each, a step every `--step-delay` seconds (a job on Google reports a
new point every few seconds for 15-60 minutes), then, in alternating rounds:
- baseline: every job polled every 5 s through the same backend, job and curves (the
  TensorBoard time series, every point of each) each time, as a naive monitor would;
- manager: the JobManager resuming the jobs from history, curves read only when the job
  reports new steps, only the new points; polled as the app polls Vertex AI on Google
  (`--policy google`, the default: 15 s while a job changes, backing off to 60 s) or the
  local emulator (`--policy app`: 5 s, backing off to 30 s).

Reported: HTTP requests per second sent (counted on the client's sessions) and this
process's CPU use, min / median / max over the rounds, the manager/baseline ratios, and the
emulator's CPU meanwhile (server and trainers, not counted above).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.idle_probe import tree_cpu  # noqa: E402
from tui.config import Settings  # noqa: E402
from tui.datasets import sample_paths  # noqa: E402
from tui.jobs.backend import TuningBackend  # noqa: E402
from tui.jobs.history import History  # noqa: E402
from tui.jobs.manager import JobManager  # noqa: E402
from tui.jobs.polling import APP_POLICY, PollPolicy  # noqa: E402
from tui.jobs.service import local_backend, vertex_local_backend  # noqa: E402
from tui.jobs.vertex.backend import GOOGLE_POLICY  # noqa: E402
from tui.models import Hyperparameters, JobSpec  # noqa: E402

NAIVE_VERTEX_INTERVAL_S = 5.0
HTTP_SENT = [0]  # requests this process sent, counted on every aiohttp session
PROFILE: list = []  # with --profile: the cProfile of the manager's windows


def count_requests() -> None:
    """Count every HTTP request of every aiohttp session of this process (SDK and REST alike)."""
    import aiohttp

    original = aiohttp.ClientSession._request

    async def counted(self, *args, **kwargs):
        HTTP_SENT[0] += 1
        return await original(self, *args, **kwargs)

    aiohttp.ClientSession._request = counted  # type: ignore[method-assign]


def make_backend(settings: Settings, url: str, key: str, protocol: str) -> TuningBackend:
    if protocol == "vertex":
        return vertex_local_backend(settings, url, key)
    return local_backend(url, key)


async def launch_jobs(settings: Settings, url: str, count: int, protocol: str) -> list[str]:
    backend = make_backend(settings, url, settings.local_api_key or "", protocol)
    manager = JobManager(settings, backend, History(settings.history_path))
    await manager.start(background=False)
    dataset = sample_paths()[0]
    if protocol == "vertex":
        spec = JobSpec(display_name="bench", base_model="gemini-2.5-flash",
                       hyperparameters=Hyperparameters(epoch_count=50, adapter_size=4))
    else:
        spec = JobSpec(display_name="bench", hyperparameters=Hyperparameters(epoch_count=50, batch_size=4))
    try:
        names = [(await manager.launch(spec, dataset)).name for _ in range(count)]
    finally:
        await manager.close()
    return names


async def baseline(settings: Settings, url: str, key: str, protocol: str, names: list[str], interval: float,
                   window: float, emulator_pid: int) -> dict:
    """Fixed-interval polling of every job through the backend (job and, for Vertex, all its curves)."""
    backend = make_backend(settings, url, key, protocol)
    stop = time.monotonic() + window
    sent0, cpu0, wall0, emulator0 = HTTP_SENT[0], time.process_time(), time.monotonic(), tree_cpu(emulator_pid)

    async def poll_forever(name: str) -> None:
        while time.monotonic() < stop:
            await backend.get(name)
            await asyncio.sleep(interval)

    await asyncio.gather(*(poll_forever(n) for n in names))
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    result = {"rps": (HTTP_SENT[0] - sent0) / wall, "cpu": 100 * cpu / wall,
              "emulator": 100 * (tree_cpu(emulator_pid) - emulator0) / wall}
    await backend.close()
    return result


async def managed(settings: Settings, url: str, key: str, protocol: str, policy: PollPolicy, warmup: float,
                  window: float, emulator_pid: int) -> dict:
    """The manager resuming the jobs from history, measured after a warm-up."""
    manager = JobManager(settings, make_backend(settings, url, key, protocol), History(settings.history_path),
                         policy=policy)
    await manager.start()
    await asyncio.sleep(warmup)
    sent0, cpu0, wall0, emulator0 = HTTP_SENT[0], time.process_time(), time.monotonic(), tree_cpu(emulator_pid)
    if PROFILE:
        PROFILE[0].enable()
    await asyncio.sleep(window)
    if PROFILE:
        PROFILE[0].disable()
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    result = {"rps": (HTTP_SENT[0] - sent0) / wall, "cpu": 100 * cpu / wall,
              "emulator": 100 * (tree_cpu(emulator_pid) - emulator0) / wall,
              "watched": sum(1 for job in manager.jobs if not job.state.finished)}
    await manager.close()
    return result


def spread(values: list[float], digits: int = 2) -> str:
    return f"{min(values):.{digits}f} / {statistics.median(values):.{digits}f} / {max(values):.{digits}f}"


async def main(args) -> None:
    from tui.emulator.process import start_emulator

    count_requests()
    if args.profile:
        import cProfile

        PROFILE.append(cProfile.Profile())
    vertex = args.protocol == "vertex"
    policy = (GOOGLE_POLICY if args.policy == "google" else APP_POLICY) if vertex else PollPolicy()
    interval = NAIVE_VERTEX_INTERVAL_S if vertex else policy.fast
    step_delay = args.step_delay if args.step_delay is not None else (10.0 if vertex else 600.0)
    extra = ["--step-delay", str(step_delay)]
    if vertex:
        extra += ["--trainers", str(args.jobs)]  # every job trains at once
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        emulator = start_emulator(root / "emulator", port=0, extra_args=tuple(extra))
        try:
            settings = replace(
                Settings(data_dir=root, config_dir=root), local_url=emulator.url, local_api_key=emulator.api_key
            )
            t0 = time.monotonic()
            names = await launch_jobs(settings, emulator.url, args.jobs, args.protocol)
            print(f"launched {len(names)} {args.protocol} jobs in {time.monotonic() - t0:.1f} s "
                  f"(a step every {step_delay:g} s); {args.rounds} rounds of {args.window:g} s each, alternating")
            runs: dict[str, list[dict]] = {"baseline": [], "manager": []}
            for round_ in range(args.rounds):
                order = ("baseline", "manager") if round_ % 2 == 0 else ("manager", "baseline")
                for kind in order:
                    if kind == "baseline":
                        runs[kind].append(await baseline(settings, emulator.url, emulator.api_key, args.protocol,
                                                         names, interval, args.window, emulator.pid))
                    else:
                        runs[kind].append(await managed(settings, emulator.url, emulator.api_key, args.protocol,
                                                        policy, args.warmup, args.window, emulator.pid))
                print(f"  round {round_ + 1}/{args.rounds} done", file=sys.stderr)
        finally:
            emulator.stop()
    what = "job + every curve point" if vertex else "job"
    base, mine = runs["baseline"], runs["manager"]
    print(f"HTTP requests/s and CPU % of one core (this process), min / median / max over {args.rounds} rounds:")
    print(f"  baseline ({what}, every job every {interval:g} s): {spread([r['rps'] for r in base])} req/s · "
          f"CPU {spread([r['cpu'] for r in base])} % · emulator {spread([r['emulator'] for r in base])} %")
    print(f"  manager ({policy.fast:g}-{policy.slow:g} s adaptive, after {args.warmup:g} s warm-up, "
          f"{mine[-1]['watched']} jobs watched): {spread([r['rps'] for r in mine])} req/s · "
          f"CPU {spread([r['cpu'] for r in mine])} % · emulator {spread([r['emulator'] for r in mine])} %")
    rps_ratio = statistics.median(r["rps"] for r in mine) / max(statistics.median(r["rps"] for r in base), 1e-9)
    cpu_ratio = statistics.median(r["cpu"] for r in mine) / max(statistics.median(r["cpu"] for r in base), 1e-9)
    print(f"  ratio manager/baseline (medians): requests {rps_ratio:.3f} · CPU {cpu_ratio:.3f}")
    if PROFILE:
        import pstats

        PROFILE[0].dump_stats(args.profile)
        pstats.Stats(args.profile).sort_stats("cumulative").print_stats(r"tui/", 30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=("gemini", "vertex"), default="gemini")
    parser.add_argument("--policy", choices=("google", "app"), default="google",
                        help="Vertex: the manager polls as the app polls Vertex AI on Google (15-60 s) or the "
                             "local emulator (5-30 s)")
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1, help="alternating baseline/manager rounds")
    parser.add_argument("--step-delay", type=float, help="seconds per training step (Gemini: 600, Vertex: 10)")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before measuring the manager")
    parser.add_argument("--window", type=float, default=30.0, help="seconds measured, for both pollers")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the manager's windows into FILE, print its top")
    asyncio.run(main(parser.parse_args()))
