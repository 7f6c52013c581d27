"""Listing, paging, filters, updates, operations and base models, through the SDK."""

from __future__ import annotations

import re

import pytest
from google.genai import errors

from tests.emulator.helpers import create, create_body, raw, tiny_examples, wait_for


@pytest.fixture
def populated(emulator):
    client = emulator.client()
    names = []
    for i in range(7):
        label = "sorter" if i % 2 else "colour namer"
        body = create_body(tiny_examples(4), f"{label} {i}", epochCount=1)
        body["description"] = "even" if i % 2 == 0 else "odd one"
        names.append(create(client, body)["metadata"]["tunedModel"])
    return client, names


def test_paging_through_tuned_models_with_the_sdk_pager(populated):
    client, names = populated
    pager = client.models.list(config={"query_base": False, "page_size": 3})
    assert [m.name for m in pager] == names
    first = raw(client, "get", "tunedModels?pageSize=3")
    assert [m["name"] for m in first["tunedModels"]] == names[:3]
    token = first["nextPageToken"]
    second = raw(client, "get", f"tunedModels?pageSize=3&pageToken={token}")
    assert [m["name"] for m in second["tunedModels"]] == names[3:6]
    last = raw(client, "get", f"tunedModels?pageSize=3&pageToken={second['nextPageToken']}")
    assert [m["name"] for m in last["tunedModels"]] == names[6:]
    assert "nextPageToken" not in last
    assert len(raw(client, "get", "tunedModels")["tunedModels"]) == 7  # default page size 10
    with pytest.raises(errors.ClientError) as caught:
        raw(client, "get", f"tunedModels?pageSize=4&pageToken={token}")
    assert caught.value.code == 400 and "pageToken" in caught.value.message
    with pytest.raises(errors.ClientError):
        raw(client, "get", "tunedModels?pageToken=garbage")


def test_filter_full_text_and_operators(populated):
    client, names = populated
    found = [m.name for m in client.models.list(config={"query_base": False, "filter": "sorter"})]
    assert found == names[1::2]
    assert [m.name for m in client.models.list(config={"query_base": False, "filter": "owner:me even"})] == names[0::2]
    assert [m.name for m in client.models.list(config={"query_base": False, "filter": '"namer 4"'})] == [names[4]]
    assert list(client.models.list(config={"query_base": False, "filter": "readers:everyone"})) == []
    with pytest.raises(errors.ClientError) as caught:
        raw(client, "get", "tunedModels?filter=colour:blue")
    assert "filter" in caught.value.message


def test_output_is_proto3_json(populated):
    client, names = populated
    model = wait_for(client, names[0])
    assert all(re.fullmatch(r"[a-z][A-Za-z]*", key) for key in model)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", model["createTime"])
    assert "description" in model and "readerProjectNumbers" not in model  # empty list omitted
    updated = raw(
        client, "patch", f"{names[0]}?updateMask=readerProjectNumbers", {"readerProjectNumbers": [123456789012]}
    )
    assert updated["readerProjectNumbers"] == ["123456789012"]  # int64 as strings


def test_patch_without_update_mask_merges_present_fields(populated):
    client, names = populated
    before = raw(client, "get", names[1])
    after = raw(client, "patch", names[1], {"displayName": "new name", "topK": 5})
    assert after["displayName"] == "new name" and after["topK"] == 5
    assert after["description"] == before["description"] and after["temperature"] == before["temperature"]
    assert after["updateTime"] > before["updateTime"]
    ignored = raw(client, "patch", names[1], {"state": "FAILED", "description": "d"})
    assert ignored["state"] != "FAILED"  # output-only fields in the body are ignored
    assert ignored["description"] == "d"


def test_patch_with_update_mask_sets_exactly_the_listed_fields(populated):
    client, names = populated
    after = raw(
        client, "patch", f"{names[2]}?updateMask=description", {"displayName": "ignored", "description": "only this"}
    )
    assert after["description"] == "only this" and after["displayName"] == "colour namer 2"
    cleared = raw(client, "patch", f"{names[2]}?updateMask=description,display_name", {"displayName": "x"})
    assert cleared["displayName"] == "x" and "description" not in cleared
    for mask in ("state", "baseModel", "colour"):
        with pytest.raises(errors.ClientError) as caught:
            raw(client, "patch", f"{names[2]}?updateMask={mask}", {})
        assert caught.value.code == 400 and "updateMask" in caught.value.message
    with pytest.raises(errors.ClientError):
        raw(client, "patch", names[2], {"displayName": "y" * 41})


def test_operations_get_and_list_on_v1beta_and_v1(populated):
    client, names = populated
    op_name = raw(client, "get", f"{names[3]}/operations")["operations"][0]["name"]
    assert op_name.startswith(names[3] + "/operations/")
    for version in ("v1beta", "v1"):
        op = raw(client, "get", op_name, http_options={"api_version": version})
        assert op["name"] == op_name and op["metadata"]["tunedModel"] == names[3]
    wait_for(client, names[-1])
    everything = raw(client, "get", "operations?pageSize=4", http_options={"api_version": "v1"})
    assert len(everything["operations"]) == 4 and "nextPageToken" in everything
    done = raw(client, "get", f"{names[3]}/operations?filter=done%3Dtrue")
    assert len(done["operations"]) == 1 and done["operations"][0]["done"] is True
    with pytest.raises(errors.ClientError) as caught:
        raw(client, "get", f"{names[3]}/operations/nope")
    assert caught.value.code == 404


def test_base_models(emulator):
    client = emulator.client()
    models = list(client.models.list(config={"page_size": 2}))
    assert "models/gemini-1.5-flash-001-tuning" in [m.name for m in models]
    assert all("createTunedModel" in m.supported_actions for m in models)
    flash = client.models.get(model="gemini-1.5-flash-001-tuning")
    assert flash.input_token_limit == 16384 and flash.output_token_limit == 8192
    with pytest.raises(errors.ClientError) as caught:
        client.models.get(model="gemini-9-ultra")
    assert caught.value.code == 404
