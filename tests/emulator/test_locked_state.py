"""Another process holding `state.sqlite3` locked neither freezes the server nor fails a training job."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.error
import urllib.request

from tests.emulator.helpers import create, create_body, tiny_examples, wait_for, wait_steps

LOCK_SECONDS = 12.0


def test_a_twelve_second_lock_is_waited_out(emulator_factory):
    emu = emulator_factory(step_delay=0.02)
    client = emu.client()
    body = create_body(tiny_examples(40), epochCount=20, batchSize=4)  # 200 steps, about 4-8 s of training
    name = create(client, body)["metadata"]["tunedModel"]
    wait_steps(client, name, 5)

    holder = sqlite3.connect(emu.data_dir / "state.sqlite3", timeout=30, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing for a long time
    probes, reads, creates = 0, 0, []
    try:
        end = time.monotonic() + LOCK_SECONDS
        while time.monotonic() < end:
            # a generous client timeout: a server stuck on the lock would miss it
            with urllib.request.urlopen(f"{emu.url}/_emulator/health", timeout=2) as health:
                assert json.loads(health.read()) == {"status": "ok"}
            probes += 1
            request = urllib.request.Request(f"{emu.url}/v1beta/{name}", headers={"x-goog-api-key": emu.api_key})
            with urllib.request.urlopen(request, timeout=2) as got:  # reads go on while another process writes
                assert json.loads(got.read())["name"] == name
            reads += 1
            if len(creates) < 3:
                post = urllib.request.Request(
                    f"{emu.url}/v1beta/tunedModels", data=json.dumps(create_body(tiny_examples(4))).encode(),
                    headers={"x-goog-api-key": emu.api_key, "Content-Type": "application/json"},
                )  # fmt: skip
                try:
                    urllib.request.urlopen(post, timeout=2)
                    creates.append((200, "", {}))
                except urllib.error.HTTPError as refused:
                    creates.append((refused.code, refused.headers.get("Retry-After"), json.loads(refused.read())))
            time.sleep(0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert probes >= 10 and reads >= 10
    for status, retry_after, answer in creates:
        assert status == 503 and retry_after == "1", (status, answer)
        assert answer["error"]["status"] == "UNAVAILABLE"
    model = wait_for(client, name, timeout=120)
    assert model["state"] == "ACTIVE", model.get("error")
    assert [s["step"] for s in model["tuningTask"]["snapshots"]] == list(range(1, 201))
    emu.stop()
    log = (emu.data_dir / "server.log").read_text()
    assert "database is busy" in log and "Traceback" not in log
