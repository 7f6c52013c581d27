"""Sharing tuned models: permissions CRUD, transferOwnership, and the readers:everyone filter."""

from __future__ import annotations

import pytest
from google.genai import errors

from tests.emulator.helpers import create, create_body, raw, tiny_examples


@pytest.fixture
def model(emulator):
    client = emulator.client()
    name = create(client, create_body(tiny_examples(4), epochCount=1))["metadata"]["tunedModel"]
    return client, name


def test_the_creator_owns_the_model(model):
    client, name = model
    listed = raw(client, "get", f"{name}/permissions")["permissions"]
    assert len(listed) == 1
    owner = listed[0]
    assert (
        owner["role"] == "OWNER" and owner["granteeType"] == "USER" and owner["name"].startswith(f"{name}/permissions/")
    )
    assert raw(client, "get", owner["name"]) == owner
    with pytest.raises(errors.ClientError) as caught:
        raw(client, "delete", owner["name"])
    assert caught.value.status == "FAILED_PRECONDITION"


def test_grant_update_list_and_revoke(model):
    client, name = model
    reader = raw(
        client,
        "post",
        f"{name}/permissions",
        {"granteeType": "USER", "emailAddress": "ana@example.com", "role": "READER"},
    )
    assert reader["role"] == "READER" and reader["emailAddress"] == "ana@example.com"
    group = raw(
        client,
        "post",
        f"{name}/permissions",
        {"grantee_type": "GROUP", "email_address": "team@example.com", "role": "WRITER"},
    )
    everyone = raw(client, "post", f"{name}/permissions", {"granteeType": "EVERYONE", "role": "READER"})
    assert "emailAddress" not in everyone

    first = raw(client, "get", f"{name}/permissions?pageSize=2")
    assert len(first["permissions"]) == 2 and "nextPageToken" in first
    rest = raw(client, "get", f"{name}/permissions?pageSize=2&pageToken={first['nextPageToken']}")
    assert [p["name"] for p in rest["permissions"]] == [group["name"], everyone["name"]]
    assert "nextPageToken" not in rest

    promoted = raw(client, "patch", f"{reader['name']}?updateMask=role", {"role": "WRITER"})
    assert promoted["role"] == "WRITER"
    assert raw(client, "delete", group["name"]) == {}
    with pytest.raises(errors.ClientError) as caught:
        raw(client, "get", group["name"])
    assert caught.value.code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"granteeType": "USER", "role": "READER"}, "emailAddress"),
        ({"granteeType": "USER", "emailAddress": "x@example.com", "role": "OWNER"}, "transferOwnership"),
        ({"granteeType": "USER", "emailAddress": "x@example.com", "role": "BOSS"}, "role"),
        ({"granteeType": "EVERYONE", "emailAddress": "x@example.com", "role": "READER"}, "emailAddress"),
        ({"granteeType": "EVERYONE", "role": "WRITER"}, "role"),
        ({"granteeType": "ROBOT", "emailAddress": "x@example.com", "role": "READER"}, "granteeType"),
    ],
)
def test_bad_permissions_are_refused(model, body, field):
    client, name = model
    with pytest.raises(errors.ClientError) as caught:
        raw(client, "post", f"{name}/permissions", body)
    assert caught.value.code == 400 and field in caught.value.message


def test_duplicate_grant_and_bad_update_mask(model):
    client, name = model
    grant = {"granteeType": "USER", "emailAddress": "bo@example.com", "role": "READER"}
    permission = raw(client, "post", f"{name}/permissions", grant)
    with pytest.raises(errors.ClientError) as caught:
        raw(client, "post", f"{name}/permissions", grant)
    assert caught.value.code == 409
    with pytest.raises(errors.ClientError) as caught:
        raw(client, "patch", permission["name"], {"role": "WRITER"})
    assert "updateMask" in caught.value.message


def test_transfer_ownership_demotes_the_previous_owner(model):
    client, name = model
    assert raw(client, "post", f"{name}:transferOwnership", {"emailAddress": "new@example.com"}) == {}
    roles = {p.get("emailAddress"): p["role"] for p in raw(client, "get", f"{name}/permissions")["permissions"]}
    assert roles["new@example.com"] == "OWNER"
    assert list(roles.values()).count("OWNER") == 1 and "WRITER" in roles.values()
    with pytest.raises(errors.ClientError):
        raw(client, "post", f"{name}:transferOwnership", {})


def test_readers_everyone_lists_only_public_models(emulator):
    client = emulator.client()
    create(client, create_body(tiny_examples(4), "private", epochCount=1))
    public = create(client, create_body(tiny_examples(4), "public", epochCount=1))["metadata"]["tunedModel"]
    raw(client, "post", f"{public}/permissions", {"granteeType": "EVERYONE", "role": "READER"})
    shared = raw(client, "get", "tunedModels?filter=readers%3Aeveryone")["tunedModels"]
    assert [m["name"] for m in shared] == [public]
    assert len(raw(client, "get", "tunedModels")["tunedModels"]) == 2
