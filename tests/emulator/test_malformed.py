"""Malformed and hostile input gets a Google-style error logged in one line, never a 500 or a traceback."""

from __future__ import annotations

import base64
import json
import socket
from urllib.parse import urlsplit

from tests.emulator.test_security import send

ERROR_KEYS = {"code", "message", "status", "details"}


def raw_exchange(url: str, data: bytes) -> bytes:
    """Send bytes as they are; return everything the server answers before it closes."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def split_response(answer: bytes) -> tuple[int, dict[str, str], dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
    return int(lines[0].split()[1]), headers, json.loads(body)


def log_of(emu) -> str:
    return (emu.data_dir / "server.log").read_text(encoding="utf-8", errors="replace")


def test_deep_json_overflowing_token_and_bad_key_bytes_are_400s(emulator):
    key = {"x-goog-api-key": emulator.api_key, "Content-Type": "application/json"}
    deep = ('{"baseModel":"x","description":' + "[" * 1000 + "]" * 1000 + "}").encode()
    for depth in (150, 900, 1000, 1020, 5000):
        body = ('{"baseModel":"x","description":' + "[" * depth + "]" * depth + "}").encode()
        status, answer = send(emulator.url, "POST", "/v1beta/tunedModels", body, key)
        assert status == 400 and answer["error"]["status"] == "INVALID_ARGUMENT", (depth, answer)
        assert "Invalid JSON payload" in answer["error"]["message"]
    status, answer = send(emulator.url, "POST", "/_emulator/config", deep, key)
    assert status == 400

    token = base64.urlsafe_b64encode(json.dumps({"after": 10**20, "pageSize": 10, "filter": ""}).encode()).decode()
    for path in ("/v1beta/tunedModels", "/v1/operations", "/v1beta/models"):
        query = token.rstrip("=") if path != "/v1beta/models" else base64.urlsafe_b64encode(
            json.dumps({"after": 10**20, "pageSize": 50}).encode()).decode()  # fmt: skip
        status, answer = send(emulator.url, "GET", f"{path}?pageToken={query}", headers=key)
        assert status in (200, 400) and status != 500, (path, answer)
        if status == 400:
            assert "pageToken" in answer["error"]["message"]

    answer = raw_exchange(emulator.url, (
        f"GET /v1beta/tunedModels HTTP/1.1\r\nHost: {urlsplit(emulator.url).netloc}\r\n"
        "x-goog-api-key: \xff\xfe\x80key\r\nConnection: close\r\n\r\n").encode("latin-1"))  # fmt: skip
    status, _, body = split_response(answer)
    assert status == 400 and body["error"]["details"][0]["reason"] == "API_KEY_INVALID"

    emulator.stop()
    log = log_of(emulator)
    assert "Traceback" not in log and "Internal error" not in log
    assert len(log) < 20_000  # one line per refusal, not a traceback per request


def test_bad_config_bodies_change_nothing(emulator):
    key = {"x-goog-api-key": emulator.api_key, "Content-Type": "application/json"}
    before = send(emulator.url, "GET", "/_emulator/config", headers=key)[1]
    for body in ({"faultSeed": {"a": 1}}, [1], {"faultRate": 0.9, "faultCodes": "x"},
                 {"faultRate": 0.9, "stepDelay": -1}, {"denyScopes": True, "faultCodes": [200]},
                 {"faultRate": 0.5, "nonsense": 1}, {"faultRate": "0.9"}, {"faultSeed": 10**30},
                 "text", 3):  # fmt: skip
        status, answer = send(emulator.url, "POST", "/_emulator/config", json.dumps(body).encode(), key)
        assert status == 400 and set(answer["error"]) == ERROR_KEYS, (body, answer)
        assert "nothing was changed" in answer["error"]["message"]
        assert send(emulator.url, "GET", "/_emulator/config", headers=key)[1] == before, body
    both = send(emulator.url, "POST", "/_emulator/config", b'{"faultCodes":[500,"x"],"stepDelay":"y"}', key)[1]
    violations = both["error"]["details"][0]["fieldViolations"]
    assert {v["field"] for v in violations} == {"faultCodes.1", "stepDelay"}
    status, answer = send(emulator.url, "POST", "/_emulator/config",
                          b'{"fault_rate": 0.25, "faultCodes": [503], "faultSeed": 7}', key)  # fmt: skip
    assert status == 200 and answer["faultRate"] == 0.25 and answer["faultCodes"] == [503] and answer["faultSeed"] == 7
    status, answer = send(emulator.url, "POST", "/_emulator/config", b'{"faultRate": 0, "faultSeed": null}', key)
    assert status == 200 and answer["faultSeed"] is None
    emulator.stop()
    assert "Traceback" not in log_of(emulator)


def test_protocol_errors_answer_in_the_api_shape(emulator):
    host = urlsplit(emulator.url).netloc
    for request in (
        f"FOO /v1beta/tunedModels HTTP/1.1\r\nHost: {host}\r\n\r\n",
        f"GET /v1beta/tunedModels HTTP/1.1\r\nHost: {host}\r\nBroken header line\r\n\r\n",
        f"GET /{'a' * 20000} HTTP/1.1\r\nHost: {host}\r\n\r\n",
        f"POST /v1beta/tunedModels HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03 not http at all\r\n\r\n",
    ):
        status, headers, body = split_response(raw_exchange(emulator.url, request.encode("latin-1")))
        assert status == 400 and headers["content-type"].startswith("application/json"), request[:40]
        assert set(body["error"]) == ERROR_KEYS and body["error"]["status"] == "INVALID_ARGUMENT"
    emulator.stop()
    log = log_of(emulator)
    assert "Traceback" not in log and "refused a request: 400 unsupported HTTP method" in log


def test_slow_headers_are_cut_off(emulator_factory):
    emu = emulator_factory(header_timeout=1)
    parts = urlsplit(emu.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(f"GET /_emulator/health HTTP/1.1\r\nHost: {parts.netloc}\r\n".encode())
        answer = b""
        try:
            for _ in range(200):  # one header byte every 0.1 s, never finishing: a slow-loris client
                sock.sendall(b"X")
                sock.settimeout(0.1)
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    continue
                answer += chunk
                if not chunk:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.settimeout(5)
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    status, _, body = split_response(answer)
    assert status == 408 and body["error"]["status"] == "DEADLINE_EXCEEDED"
    # an ordinary client on a kept-alive connection is not affected
    status, body = send(emu.url, "GET", "/_emulator/health")
    assert (status, body) == (200, {"status": "ok"})


def test_string_fields_and_bodies_are_limited(emulator):
    from tests.emulator.helpers import create_body, tiny_examples

    key = {"x-goog-api-key": emulator.api_key, "Content-Type": "application/json"}
    body = create_body(tiny_examples(4), epochCount=1)

    def post(path: str, data: dict, method: str = "POST") -> tuple[int, dict]:
        return send(emulator.url, method, path, json.dumps(data).encode(), key)

    for field, value, limit in (("description", "d" * 4_097, "4096"), ("displayName", "n" * 41, "40")):
        status, answer = post("/v1beta/tunedModels", {**body, field: value})
        assert status == 400 and field in answer["error"]["message"] and limit in answer["error"]["message"], answer
    status, created = post("/v1beta/tunedModels", {**body, "description": "d" * 4_096})
    assert status == 200
    name = created["metadata"]["tunedModel"]
    status, answer = post(f"/v1beta/{name}", {"description": "d" * 5_000}, "PATCH")
    assert status == 400 and "description" in answer["error"]["message"]
    grant = {"granteeType": "USER", "emailAddress": "a" * 300 + "@example.com", "role": "READER"}
    status, answer = post(f"/v1beta/{name}/permissions", grant)
    assert status == 400 and "emailAddress" in answer["error"]["message"]

    # a body over the cap is refused before it is read, in the API's shape
    from tui.emulator.guard import MAX_BODY_BYTES

    huge = b'{"description": "' + b"x" * MAX_BODY_BYTES + b'"}'
    status, answer = send(emulator.url, "POST", "/v1beta/tunedModels", huge, key)
    assert status == 400 and "payload size exceeds the limit" in answer["error"]["message"]
    status, _ = send(emulator.url, "GET", "/_emulator/health")
    assert status == 200
