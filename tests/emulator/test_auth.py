"""Bearer auth on the Vertex AI and Cloud Storage routes and the /token endpoint, over raw HTTP."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from tests.emulator.storage_http import bucket, call
from tui.emulator.auth import Authenticator, Unauthenticated

# A Vertex path no route serves: past auth it answers 404, before auth 401.
VERTEX_PATHS = ["/v1/projects/p/locations/us-central1/noSuchCollection",
                "/v1beta1/projects/p/locations/us-central1/noSuchCollection"]  # fmt: skip


def admin(emu, method: str, path: str, body: dict | None = None):
    return call(emu.url, method, path, body, {"x-goog-api-key": emu.api_key})


def form(emu, fields: dict):
    return call(emu.url, "POST", "/token", urlencode(fields).encode(),
                {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip


def authorized_user(emu) -> dict:
    reply = admin(emu, "POST", "/_emulator/authorized-users", {})
    assert reply.status == 200, reply.body
    return reply.json()


def access_token(emu, user: dict) -> str:
    reply = form(emu, {"grant_type": "refresh_token", "client_id": user["client_id"],
                       "client_secret": user["client_secret"], "refresh_token": user["refresh_token"]})  # fmt: skip
    assert reply.status == 200, reply.body
    return reply.json()["access_token"]


def test_vertex_routes_take_bearer_and_answer_401_unauthenticated(emulator):
    for path in VERTEX_PATHS:
        missing = call(emulator.url, "GET", path)
        assert missing.status == 401
        error = missing.json()["error"]
        assert error["status"] == "UNAUTHENTICATED" and error["code"] == 401
        assert error["details"][0]["reason"] == "CREDENTIALS_MISSING"
        wrong = call(emulator.url, "GET", path, token="not-the-key")
        assert wrong.status == 401 and wrong.json()["error"]["details"][0]["reason"] == "ACCESS_TOKEN_TYPE_UNSUPPORTED"
        assert call(emulator.url, "GET", path, token=emulator.api_key).status == 404
        assert call(emulator.url, "GET", path, headers={"x-goog-api-key": emulator.api_key}).status == 404  # express
        bad_key = call(emulator.url, "GET", path, headers={"x-goog-api-key": "nope"})
        assert bad_key.status == 401 and "not-the-key" not in bad_key.body.decode()


def test_gemini_routes_keep_api_key_auth(emulator):
    assert call(emulator.url, "GET", "/v1beta/tunedModels", headers={"x-goog-api-key": emulator.api_key}).status == 200
    bearer = call(emulator.url, "GET", "/v1beta/tunedModels", token=emulator.api_key)
    assert bearer.status == 401 and bearer.json()["error"]["details"][0]["reason"] == "ACCESS_TOKEN_TYPE_UNSUPPORTED"


def test_refresh_grant_issues_tokens_the_routes_accept(emulator):
    user = authorized_user(emulator)
    assert user["type"] == "authorized_user" and user["token_uri"] == f"{emulator.url}/token"
    reply = form(emulator, {"grant_type": "refresh_token", "client_id": user["client_id"],
                            "client_secret": user["client_secret"], "refresh_token": user["refresh_token"],
                            "scope": "https://www.googleapis.com/auth/devstorage.read_write"})  # fmt: skip
    body = reply.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "https://www.googleapis.com/auth/devstorage.read_write"
    token = body["access_token"]
    assert call(emulator.url, "GET", VERTEX_PATHS[0], token=token).status == 404
    bucket(emulator, "tokened")
    assert call(emulator.url, "GET", "/storage/v1/b/tokened", token=token).status == 200
    info = call(emulator.url, "GET", f"/tokeninfo?access_token={token}").json()
    assert info["azp"] == user["client_id"] and 3590 <= int(info["expires_in"]) <= 3600
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert call(emulator.url, "GET", VERTEX_PATHS[0], token=tampered).status == 401


def test_token_endpoint_refuses_bad_grants(emulator):
    user = authorized_user(emulator)
    wrong_secret = form(emulator, {"grant_type": "refresh_token", "client_id": user["client_id"],
                                   "client_secret": "guess", "refresh_token": user["refresh_token"]})  # fmt: skip
    assert wrong_secret.status == 401 and wrong_secret.json()["error"] == "invalid_client"
    other = authorized_user(emulator)
    swapped = form(emulator, {"grant_type": "refresh_token", "client_id": user["client_id"],
                              "client_secret": user["client_secret"], "refresh_token": other["refresh_token"]})
    assert swapped.status == 400 and swapped.json()["error"] == "invalid_grant"
    unknown = form(emulator, {"grant_type": "password", "username": "u"})
    assert unknown.status == 400 and unknown.json()["error"] == "unsupported_grant_type"
    no_assertion = form(emulator, {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "x.y"})
    assert no_assertion.status == 400 and no_assertion.json()["error"] == "invalid_grant"
    assert call(emulator.url, "POST", "/_emulator/authorized-users", {}).status == 403  # admin routes need the key


def test_expired_tokens_are_refused(emulator):
    assert admin(emulator, "POST", "/_emulator/auth", {"accessTokenLifetime": 3}).json() == {"accessTokenLifetime": 3}
    token = access_token(emulator, authorized_user(emulator))
    assert call(emulator.url, "GET", VERTEX_PATHS[0], token=token).status == 404
    time.sleep(3.1)
    expired = call(emulator.url, "GET", VERTEX_PATHS[0], token=token)
    assert expired.status == 401 and expired.json()["error"]["details"][0]["reason"] == "ACCESS_TOKEN_EXPIRED"
    storage = call(emulator.url, "GET", "/storage/v1/b", token=token)
    assert storage.status == 401 and "expired" in storage.json()["error"]["message"]
    for bad in (0, -1, "60", 10**9, True):
        assert admin(emulator, "POST", "/_emulator/auth", {"accessTokenLifetime": bad}).status == 400


def test_tokens_outlive_a_restart_but_not_a_new_key(emulator_factory):
    first = emulator_factory()
    user = authorized_user(first)
    token = access_token(first, user)
    first.stop()
    again = emulator_factory(data_dir=first.data_dir)
    assert call(again.url, "GET", VERTEX_PATHS[0], token=token).status == 404
    assert access_token(again, user)  # the refresh token is still good too
    again.stop()
    rekeyed = emulator_factory(data_dir=first.data_dir, api_key="another-key")
    assert call(rekeyed.url, "GET", VERTEX_PATHS[0], token=token).status == 401
    refused = form(rekeyed, {"grant_type": "refresh_token", "client_id": user["client_id"],
                             "client_secret": user["client_secret"], "refresh_token": user["refresh_token"]})
    assert refused.status == 401


def test_tokens_are_bound_to_the_key_and_a_keyless_server_derives_nothing_guessable():
    token, lifetime = Authenticator("key-a").issue("service_account", "sa@p.iam.gserviceaccount.com", ("s",))
    assert lifetime == 3600
    assert Authenticator("key-a").verify(token).subject == "sa@p.iam.gserviceaccount.com"
    with pytest.raises(Unauthenticated):
        Authenticator("key-b").verify(token)
    keyless, _ = Authenticator("").issue("authorized_user", "c", ())
    with pytest.raises(Unauthenticated):  # another keyless server (or a forger reading the code) cannot use it
        Authenticator("").verify(keyless)
    with pytest.raises(Unauthenticated):
        Authenticator("").verify("")  # an empty Bearer is never the key
