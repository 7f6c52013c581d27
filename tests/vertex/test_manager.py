"""The job manager driving Vertex on the emulator: lint for Vertex, upload with progress, watch to the end,
curves kept in history so a restarted manager shows them at once."""

from __future__ import annotations

import json
from dataclasses import replace

from tests.jobs.conftest import FAST, next_event
from tui.config import Settings
from tui.jobs.events import JobFinished
from tui.jobs.history import History
from tui.jobs.manager import JobManager
from tui.jobs.service import vertex_local_backend
from tui.models import EVAL_LOSS, TRAIN_LOSS, Hyperparameters, JobSpec, JobState, ValidationChoice


async def manager_for(emulator, data_dir) -> JobManager:
    settings = replace(Settings(data_dir=data_dir, config_dir=data_dir / "config"), local_url=emulator.url)
    manager = JobManager(settings, vertex_local_backend(settings, emulator.url, emulator.api_key),
                         History(settings.history_path),
                         policy=FAST)
    await manager.start(background=True)
    return manager


def conversations(path, n: int = 24):
    """Multi-turn records: the Gemini API refuses them, Vertex tunes them."""
    rows = [{"contents": [{"role": "user", "parts": [{"text": f"hello {i}"}]},
                          {"role": "model", "parts": [{"text": "hi"}]},
                          {"role": "user", "parts": [{"text": f"colour of item {i}?"}]},
                          {"role": "model", "parts": [{"text": ["red", "blue"][i % 2]}]}]} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


async def test_launch_watch_and_restart_with_curves_from_history(emulator, tmp_path):
    dataset = conversations(tmp_path / "chat.jsonl")
    spec = JobSpec(display_name="chat", base_model="gemini-2.5-flash",
                   hyperparameters=Hyperparameters(epoch_count=2, adapter_size=4),
                   validation=ValidationChoice(split=0.25, seed=1))
    manager = await manager_for(emulator, tmp_path / "data")
    events = manager.events()
    uploaded: list[tuple[int, int]] = []
    linted = []
    try:
        job = await manager.launch(spec, dataset, on_lint=linted.append, progress=lambda *p: uploaded.append(p))
        assert not linted[0].has_errors  # multi-turn passes the Vertex lint
        assert uploaded and uploaded[-1][0] == uploaded[-1][1]
        assert job.launched_here and (job.dataset_examples, job.validation_examples) == (18, 6)
        await next_event(events, JobFinished, timeout=120, where=lambda e: e.job.name == job.name)
        done = manager.job(job.name)
        assert done is not None and done.state is JobState.ACTIVE
        assert [p.step for p in done.curve(TRAIN_LOSS)] == list(range(1, done.total_steps + 1))
        assert done.curve(EVAL_LOSS) and done.checkpoints and done.endpoint
        assert done.data_stats is not None and done.data_stats.exact
    finally:
        await manager.close()

    again = await manager_for(emulator, tmp_path / "data")
    try:
        restored = again.job(job.name)
        assert restored is not None
        assert [p.step for p in restored.curve(TRAIN_LOSS)] == [p.step for p in done.curve(TRAIN_LOSS)]
        assert restored.dataset_uri == done.dataset_uri and restored.checkpoints == done.checkpoints
    finally:
        await again.close()


async def test_the_gemini_lint_would_refuse_what_vertex_takes(tmp_path):
    from tui.jobs.launching import read_dataset

    path = conversations(tmp_path / "chat.jsonl")
    _dataset, _examples, gemini = read_dataset(path)
    _dataset, examples, vertex = read_dataset(path, target="vertex", keep_examples=False)
    assert gemini.has_errors and not vertex.has_errors and examples == []
