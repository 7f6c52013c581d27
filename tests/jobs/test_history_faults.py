"""A locked, damaged or full history database: a clear error naming the file and the fix, exit code 6,
a created job always named, read-only commands served from the backend, and --watch ending with the job."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.jobs.conftest import NUMBERS
from tests.jobs.test_cli import local_env, run  # noqa: F401 - the fixture is used by name
from tui.jobs.history import History, explain

EXIT_HISTORY = 6


def history_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


def launch(capsys) -> str:
    code, out, _ = run(capsys, "tune", str(NUMBERS), "--epochs", "1", "--json")
    assert code == 0, out
    return json.loads(out)["id"]


def test_a_locked_history_refuses_tune_but_lists(local_env, capsys, tmp_path, monkeypatch):  # noqa: F811
    job_id = launch(capsys)
    monkeypatch.setattr(History, "LOCK_TIMEOUT_S", 0.2)
    path = history_path(tmp_path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program writing to it
    try:
        code, out, err = run(capsys, "tune", str(NUMBERS), "--epochs", "1")
        assert code == EXIT_HISTORY and out == ""
        assert "not launched" in err and str(path) in err and "locked" in err and "close that program" in err
        assert "Traceback" not in err

        code, out, _ = run(capsys, "tune", str(NUMBERS), "--epochs", "1", "--json")
        error = json.loads(out)["error"]
        assert code == EXIT_HISTORY and error["kind"] == "history" and error["path"] == str(path)

        code, out, _ = run(capsys, "jobs", "list")
        assert code == 0 and job_id in out
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    code, out, _ = run(capsys, "jobs", "list", "--json")
    assert [job["id"] for job in json.loads(out)] == [job_id]  # the refused launches created nothing


def test_a_truncated_history_still_lists_shows_and_watches(local_env, capsys, tmp_path):  # noqa: F811
    job_id = launch(capsys)
    path = history_path(tmp_path)
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2 + 100)

    code, out, err = run(capsys, "jobs", "list")
    assert code == 0 and job_id in out
    assert str(path) in err and "damaged" in err and f"mv {path} {path}.broken" in err and "Traceback" not in err

    code, out, _ = run(capsys, "jobs", "show", job_id)
    assert code == 0 and job_id in out
    code, out, _ = run(capsys, "jobs", "watch", job_id)
    assert code == 0 and "is ready" in out

    code, out, err = run(capsys, "tune", str(NUMBERS), "--epochs", "1")
    assert code == EXIT_HISTORY and "not launched" in err and "damaged" in err

    code, out, _ = run(capsys, "doctor")
    assert code == 1 and f"FAIL history: the job history {path} is damaged" in out


def test_a_full_disk_is_named_as_such(tmp_path):
    path = tmp_path / "history.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (b BLOB)")
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(sqlite3.Error) as raised:
        db.execute("INSERT INTO t VALUES (zeroblob(100000))")
    error = explain(path, raised.value)
    assert str(path) in str(error) and "disk is full" in str(error) and "free space" in str(error)


# -- a disk that fills up while tunedeck runs: a real file-size limit on the CLI's process ----------------

FILL = textwrap.dedent("""
    import os, sys
    from tui.jobs.history import History
    from tui.models import CurvePoint
    history = History(sys.argv[1])
    for i in range(5):
        points = {"train_loss": [CurvePoint(step=s, epoch=1, value=0.5) for s in range(1, 40)]}
        history.add_points("filler", f"tunedModels/f{i}", points)
    os._exit(0)  # leave the write-ahead log as it is, as a crash would
""")


def full_disk_run(tmp_path: Path, url: str, key: str, room: int, *argv: str) -> subprocess.CompletedProcess:
    """Run the CLI with `room` bytes left for the history's write-ahead log (RLIMIT_FSIZE, a real write error)."""
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    path = data / "history.sqlite3"
    subprocess.run([sys.executable, "-c", FILL, str(path)], check=True, timeout=60)
    limit = (data / "history.sqlite3-wal").stat().st_size + room

    def limit_file_size() -> None:
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = dict(os.environ, TUNEDECK_LOCAL_URL=url, TUNEDECK_EMULATOR_API_KEY=key, TUNEDECK_DATA_DIR=str(data),
               TUNEDECK_CONFIG_DIR=str(tmp_path / "c"))
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "TUNEDECK_BACKEND"):
        env.pop(name, None)
    env["TUNEDECK_BACKEND"] = "local"  # the Gemini API protocol on the emulator
    return subprocess.run([sys.executable, "-m", "tui", *argv], capture_output=True, text=True, timeout=120,
                          env=env, preexec_fn=limit_file_size)


def test_a_job_created_when_the_disk_is_full_is_named_with_how_to_watch_it(emulator, tmp_path):
    result = full_disk_run(tmp_path, emulator.url, emulator.api_key, 100, "tune", str(NUMBERS), "--epochs", "1")
    assert result.returncode == EXIT_HISTORY, result.stderr
    assert "Traceback" not in result.stderr
    client = emulator.client()
    listed = json.loads(client._api_client.request("get", "tunedModels", {}).body)
    created = [m["name"] for m in listed["tunedModels"]]
    assert len(created) == 1
    job_id = created[0].removeprefix("tunedModels/")
    said = result.stdout + result.stderr
    assert f"launched {created[0]}" in said and f"tunedeck jobs watch {job_id}" in said
    assert "history.sqlite3" in said and "free space" in said


def test_watch_ends_with_the_job_when_the_disk_fills_during_it(emulator, tmp_path):
    result = full_disk_run(
        tmp_path, emulator.url, emulator.api_key, 2 * 4120 + 100, "tune", str(NUMBERS), "--epochs", "1", "--watch"
    )
    assert result.returncode == EXIT_HISTORY, (result.stdout, result.stderr)
    assert "is ready" in result.stdout and "Traceback" not in result.stderr
    assert "following the job in memory" in result.stderr and "history.sqlite3" in result.stderr
