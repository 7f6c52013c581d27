"""`tunedeck emulator serve|start|status|stop` as a user runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from google.genai import errors

from tui.emulator.process import find_running, read_server_info


def tunedeck(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})  # fmt: skip


def test_serve_announces_itself_and_status_stop_find_it(tmp_path):
    root = tmp_path / "emu"
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "emulator", "serve", "--port", "0", "--data-dir", str(root),
         "--api-key", "k-123"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = process.stdout.readline().rstrip("\n")
        assert re.fullmatch(r"listening on http://127\.0\.0\.1:\d+", first)
        url = first.removeprefix("listening on ")
        info = json.loads((root / "server.json").read_text())
        assert info == {"pid": process.pid, "url": url}
        assert "k-123" not in (root / "server.json").read_text()

        status = tunedeck("emulator", "status", "--data-dir", str(root))
        assert status.returncode == 0 and url in status.stdout and str(process.pid) in status.stdout
        assert "no tuned models yet" in status.stdout
        running = find_running(root, api_key="k-123")
        assert running is not None and running.url == url
        client = running.client()
        assert client._api_client.request("get", "tunedModels", {}).body == '{}'  # an empty list is left out
        default_key = find_running(root).client()
        with pytest.raises(errors.ClientError, match="API key not valid"):
            default_key._api_client.request("get", "tunedModels", {})

        again = tunedeck("emulator", "serve", "--port", "0", "--data-dir", str(root))
        assert again.returncode == 1 and "already serving" in again.stderr and url in again.stderr

        stop = tunedeck("emulator", "stop", "--data-dir", str(root))
        assert stop.returncode == 0 and "stopped" in stop.stdout
        assert process.wait(timeout=20) == 0
        assert not (root / "server.json").exists()
        status = tunedeck("emulator", "status", "--data-dir", str(root))
        assert status.returncode == 1 and "not running" in status.stdout
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_global_data_dir_is_the_parent_of_the_emulator_dir(tmp_path):
    started = tunedeck("--data-dir", str(tmp_path), "emulator", "start", "--port", "0")
    try:
        assert started.returncode == 0, started.stderr
        info = read_server_info(tmp_path / "emulator")
        assert info is not None and info["url"] in started.stdout
        assert tunedeck("--data-dir", str(tmp_path), "emulator", "status").returncode == 0
        assert (tmp_path / "emulator" / "state.sqlite3").exists()
    finally:
        assert tunedeck("--data-dir", str(tmp_path), "emulator", "stop").returncode == 0
    assert find_running(tmp_path / "emulator") is None


def test_remote_host_needs_an_explicit_flag(tmp_path):
    refused = tunedeck("emulator", "serve", "--host", "0.0.0.0", "--port", "0", "--data-dir", str(tmp_path))
    assert refused.returncode == 2 and "--allow-remote" in refused.stderr and refused.stdout == ""


def test_bad_flags_are_explained(tmp_path):
    bad = tunedeck("emulator", "serve", "--fault-rate", "2", "--data-dir", str(tmp_path))
    assert bad.returncode == 2 and "between 0 and 1" in bad.stderr
    bad = tunedeck("emulator", "serve", "--fault-codes", "429,abc", "--data-dir", str(tmp_path))
    assert bad.returncode == 2 and "429,503" in bad.stderr


def test_stale_server_file_is_not_a_running_server(tmp_path):
    (tmp_path / "server.json").write_text(json.dumps({"pid": 2**22 + 12345, "url": "http://127.0.0.1:9"}))
    assert find_running(tmp_path) is None
    status = tunedeck("emulator", "status", "--data-dir", str(tmp_path))
    assert status.returncode == 1 and "stale" in status.stdout


def test_emulator_core_does_not_import_textual():
    code = (
        "import sys, tui.emulator.server, tui.emulator.routes.gemini_models, tui.emulator.process, "
        "tui.emulator.trainer, tui.emulator.worker, tui.emulator.serve, tui.emulator.vertex; "
        "assert 'textual' not in sys.modules, 'textual imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_busy_port_is_explained(emulator, tmp_path):
    port = emulator.url.rsplit(":", 1)[1]
    busy = tunedeck("emulator", "serve", "--port", port, "--data-dir", str(tmp_path))
    assert busy.returncode == 1 and "cannot listen" in busy.stderr and "--port" in busy.stderr
    assert busy.stdout == "" and not (tmp_path / "server.json").exists()


def test_request_log_never_shows_the_key(emulator_factory):
    import urllib.request

    emu = emulator_factory(log_requests=True)
    with urllib.request.urlopen(f"{emu.url}/v1beta/tunedModels?key={emu.api_key}") as response:
        assert response.status == 200
    emu.stop()
    log = (emu.data_dir / "server.log").read_text()
    assert "GET /v1beta/tunedModels -> 200" in log
    assert emu.api_key not in log


@pytest.mark.parametrize("detached", [False, True])
def test_only_a_detached_server_outlives_its_starter(tmp_path, detached):
    code = (
        "import os, sys; from pathlib import Path; from tui.emulator.process import start_emulator; "
        f"emu = start_emulator(Path({str(tmp_path)!r}), port=0, detached={detached}); "
        "print(emu.pid, flush=True); os._exit(0)"
    )
    starter = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    pid = int(starter.stdout.strip())
    import time

    from tui.emulator.process import _alive

    deadline = time.monotonic() + (3 if detached else 15)  # it checks its parent twice a second
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert _alive(pid) is detached
        assert (find_running(tmp_path) is not None) is detached
    finally:
        running = find_running(tmp_path)
        if running is not None:
            running.stop()


def test_status_counts_tuned_models(emulator):
    from tests.emulator.helpers import create, create_body, tiny_examples, wait_for

    client = emulator.client()
    wait_for(client, create(client, create_body(tiny_examples(4), epochCount=1))["metadata"]["tunedModel"])
    emulator.configure(step_delay=1.0)
    create(client, create_body(tiny_examples(4), epochCount=5))
    status = tunedeck("emulator", "status", "--data-dir", str(emulator.data_dir))
    assert status.returncode == 0 and "tuned models: 1 training, 1 active" in status.stdout
