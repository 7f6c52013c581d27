"""Safe by default: a private random key per data dir, and no web page can drive the server."""

from __future__ import annotations

import http.client
import json
import os
import stat
import subprocess
import sys
from urllib.parse import urlsplit

from tests.emulator.helpers import create_body, tiny_examples
from tui.emulator.keyfile import key_path


def tunedeck(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "TUNEDECK_EMULATOR_API_KEY"}
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=60,
                          env={**clean, **(env or {})})  # fmt: skip


def send(url: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, dict]:
    """One raw HTTP request; `headers` may replace Host. Returns (status, JSON body)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        given = dict(headers or {})
        host = given.pop("Host", None)
        conn.putrequest(method, path, skip_host=host is not None, skip_accept_encoding=True)
        if host is not None:
            conn.putheader("Host", host)
        for name, value in given.items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def test_each_data_dir_gets_its_own_private_key(emulator_factory, tmp_path):
    first, second = emulator_factory(), emulator_factory()
    path = key_path(first.data_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == first.api_key and len(first.api_key) >= 32
    assert first.api_key != second.api_key and "tunedeck-local" not in (first.api_key, second.api_key)

    status, body = send(first.url, "GET", "/v1beta/tunedModels", headers={"x-goog-api-key": first.api_key})
    assert (status, body) == (200, {})
    for wrong in ("tunedeck-local", second.api_key):
        status, body = send(first.url, "GET", "/v1beta/tunedModels", headers={"x-goog-api-key": wrong})
        assert status == 400 and body["error"]["details"][0]["reason"] == "API_KEY_INVALID"

    # health says only that the server is up; which process and data dir, only with the key
    status, body = send(first.url, "GET", "/_emulator/health")
    assert (status, body) == (200, {"status": "ok"})
    status, body = send(first.url, "GET", "/_emulator/info")
    assert status == 403 and "pid" not in json.dumps(body)
    status, body = send(first.url, "GET", "/_emulator/info", headers={"x-goog-api-key": first.api_key})
    assert status == 200 and body == {"pid": first.pid, "dataDir": str(first.data_dir)}

    # the key is shown in full by `env` only: not by status, not in the log or server.json
    status_line = tunedeck("emulator", "status", "--data-dir", str(first.data_dir))
    assert status_line.returncode == 0 and first.api_key not in status_line.stdout + status_line.stderr
    shown = tunedeck("emulator", "env", "--data-dir", str(first.data_dir))
    assert shown.returncode == 0
    assert f"export TUNEDECK_EMULATOR_API_KEY={first.api_key}" in shown.stdout.splitlines()
    assert f"export TUNEDECK_LOCAL_URL={first.url}" in shown.stdout.splitlines()
    vertex = json.loads(tunedeck("emulator", "env", "--vertex", "--json", "--data-dir", str(first.data_dir)).stdout)
    assert vertex["STORAGE_EMULATOR_HOST"] == first.url and vertex["GOOGLE_CLOUD_PROJECT"]
    assert vertex["GOOGLE_CLOUD_LOCATION"] and vertex["TUNEDECK_EMULATOR_API_KEY"] == first.api_key
    first.stop()
    for name in ("server.log", "server.json"):
        if (first.data_dir / name).exists():
            assert first.api_key not in (first.data_dir / name).read_text()
    assert "not running" in tunedeck("emulator", "env", "--data-dir", str(first.data_dir)).stderr


def test_a_restart_keeps_the_key_and_a_fixed_key_still_works(emulator_factory, tmp_path):
    emu = emulator_factory()
    key = emu.api_key
    emu.stop()
    again = emulator_factory(data_dir=emu.data_dir)
    assert again.api_key == key
    again.stop()
    fixed = emulator_factory(data_dir=emu.data_dir, api_key="fixed-key-for-a-script")
    assert fixed.api_key == "fixed-key-for-a-script"
    status, _ = send(fixed.url, "GET", "/v1beta/tunedModels", headers={"x-goog-api-key": "fixed-key-for-a-script"})
    assert status == 200
    status, _ = send(fixed.url, "GET", "/v1beta/tunedModels", headers={"x-goog-api-key": key})
    assert status == 400
    assert key_path(emu.data_dir).read_text().strip() == key  # the stored key is left as it was


def test_the_cli_reaches_a_started_emulator_with_no_set_up(tmp_path):
    data = tmp_path / "data"
    env = {"TUNEDECK_DATA_DIR": str(data), "TUNEDECK_CONFIG_DIR": str(tmp_path / "config"), "TUNEDECK_BACKEND": "local",
           "GEMINI_API_KEY": "", "GOOGLE_API_KEY": "", "TUNEDECK_LOCAL_URL": ""}  # fmt: skip
    started = tunedeck("emulator", "start", "--port", "0", env=env)
    try:
        assert started.returncode == 0, started.stderr
        listed = tunedeck("jobs", "list", "--json", env=env)
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout) == []
        key = key_path(data / "emulator").read_text().strip()
        assert key not in started.stdout + started.stderr + listed.stdout + listed.stderr
    finally:
        tunedeck("emulator", "stop", env=env)


def test_foreign_host_browser_origin_and_non_json_bodies_are_refused(emulator):
    key = {"x-goog-api-key": emulator.api_key}
    port = urlsplit(emulator.url).port
    create = json.dumps(create_body(tiny_examples(4), epochCount=1)).encode()
    fault = json.dumps({"faultRate": 1}).encode()
    attempts = [
        ("POST", "/v1beta/tunedModels", create, {"Host": "evil.example", "Content-Type": "application/json"}),
        ("POST", "/v1beta/tunedModels", create, {"Host": f"evil.example:{port}", "Content-Type": "application/json"}),
        ("POST", "/v1beta/tunedModels", create, {"Host": "127.0.0.1:1", "Content-Type": "application/json"}),
        ("POST", "/v1beta/tunedModels", create, {"Origin": "http://evil.example", "Content-Type": "application/json"}),
        ("POST", "/v1beta/tunedModels", create, {"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}),
        ("POST", "/v1beta/tunedModels", create, {"Content-Type": "text/plain"}),
        ("POST", "/v1beta/tunedModels", create, {"Content-Type": "application/x-www-form-urlencoded"}),
        ("POST", "/v1beta/tunedModels", create, {}),
        ("POST", "/_emulator/config", fault, {"Content-Type": "text/plain"}),
        ("POST", "/_emulator/config", fault, {"Origin": "null", "Content-Type": "application/json"}),
        ("GET", "/_emulator/health", None, {"Host": "evil.example"}),
    ]
    for method, path, body, headers in attempts:
        status, answer = send(emulator.url, method, path, body, {**key, **headers})
        assert status in (400, 403), (path, headers, status, answer)
        assert set(answer["error"]) == {"code", "message", "status", "details"}, answer
    assert send(emulator.url, "GET", "/v1beta/tunedModels", headers=key)[1] == {}
    assert send(emulator.url, "GET", "/_emulator/config", headers=key)[1]["faultRate"] == 0.0

    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", f"LOCALHOST:{port}"):
        status, _ = send(emulator.url, "GET", "/v1beta/tunedModels", headers={**key, "Host": host})
        assert status == 200, host
    status, _ = send(emulator.url, "POST", "/v1beta/tunedModels", create,
                     {**key, "Content-Type": "application/json; charset=utf-8"})  # fmt: skip
    assert status == 200
