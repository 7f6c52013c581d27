"""Gemini routes written as Google writes them: float32 meanLoss, no empty lists, no empty `field`."""

from __future__ import annotations

import json
import re
import struct
import urllib.error
import urllib.request

from tests.emulator.helpers import create, create_body, tiny_examples, wait_for
from tui.emulator.wire import float32


def as_single(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


def test_float32_is_the_shortest_decimal_of_the_single():
    assert float32(5.5278440202985495) == 5.527844
    assert float32(0.1) == 0.1 and float32(2.0) == 2.0 and float32(0.0) == 0.0
    assert float32(1 / 3) == 0.33333334
    assert float32(1e-45) == 1e-45  # the smallest subnormal single
    assert float32(1e300) == 1e300  # beyond float32: left alone rather than failing
    import numpy as np  # its float32 repr is the shortest round-trip form: an independent reference

    rng = np.random.default_rng(5)
    for value in [0.123456789, 123.456789, 7.0000001, 1e-7 / 3, *rng.lognormal(0, 3, 200).tolist()]:
        assert float32(value) == float(str(np.float32(value))), value
        assert as_single(float32(value)) == as_single(value)


def get_json_text(emu, path: str) -> tuple[int, str]:
    request = urllib.request.Request(f"{emu.url}/v1beta/{path}", headers={"x-goog-api-key": emu.api_key})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_mean_loss_is_written_in_its_shortest_float32_form(emulator):
    client = emulator.client()
    operation = create(client, create_body(tiny_examples(8), "Loss Form", epochCount=3, batchSize=4))
    name = operation["metadata"]["tunedModel"]
    wait_for(client, name)
    status, text = get_json_text(emulator, name)
    assert status == 200
    written = re.findall(r'"meanLoss":([-0-9.eE+]+)', text)
    assert len(written) == 6
    for literal in written:
        value = float(literal)
        assert float32(value) == value, f"meanLoss {literal} is not the shortest float32 form"
        assert len(literal.replace(".", "").lstrip("0")) <= 9


def test_empty_lists_are_left_out(emulator):
    status, text = get_json_text(emulator, "tunedModels")
    assert (status, json.loads(text)) == (200, {})


def test_field_violations_without_a_field_leave_field_out(emulator):
    request = urllib.request.Request(f"{emulator.url}/_emulator/config", data=b"[1, 2]", method="POST",
                                     headers={"x-goog-api-key": emulator.api_key, "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request)
        raise AssertionError("a non-object body was accepted")
    except urllib.error.HTTPError as exc:
        status, error = exc.code, json.loads(exc.read())["error"]
    assert status == 400
    violations = [v for d in error["details"] if "fieldViolations" in d for v in d["fieldViolations"]]
    assert [set(v) for v in violations] == [{"description"}]
    assert violations[0]["description"].startswith("the body must be a JSON object")
