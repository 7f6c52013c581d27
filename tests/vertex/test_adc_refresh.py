"""The real refresh path: ADC files whose token_uri is the emulator's /token, loaded as tunedeck loads them.

Both kinds: an authorized-user file (as `gcloud auth application-default login` writes, found
through CLOUDSDK_CONFIG) and a service-account key (through GOOGLE_APPLICATION_CREDENTIALS).
The refreshed token then opens the emulator's Cloud Storage. No name but the loopback address
may be looked up: a Google host (or the metadata server) would fail the test.
"""

from __future__ import annotations

import json
import socket

import pytest

from tests.emulator.storage_http import bucket as make_bucket
from tests.emulator.storage_http import call
from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.vertex.credentials import Authorizer, load_google_cloud
from tui.jobs.vertex.rest import Rest
from tui.jobs.vertex.storage import CloudStorage


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", b"127.0.0.1"):
            raise AssertionError(f"tried to reach {host!r}; only the emulator on loopback is allowed")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


def admin(emu, path: str, body: dict) -> dict:
    reply = call(emu.url, "POST", path, body, {"x-goog-api-key": emu.api_key})
    assert reply.status == 200, reply.body
    return reply.json()


async def storage_works(cloud, emu) -> dict[str, str]:
    """Headers from the credentials, and a bucket check through them (raises if the emulator refuses)."""
    authorizer = Authorizer(cloud.credentials, cloud.quota_project)
    rest = Rest(authorizer, emu.url, where="Cloud Storage", unreachable_hint="")
    try:
        access = await CloudStorage(rest).check_bucket("data")
        assert access.writable
        return await authorizer.headers()
    finally:
        await rest.close()


async def test_authorized_user_adc_file_refreshes_at_its_token_uri(emulator, tmp_path):
    make_bucket(emulator, "data")
    user = admin(emulator, "/_emulator/authorized-users", {})
    assert user["token_uri"] == f"{emulator.url}/token"
    config = tmp_path / "gcloud"
    config.mkdir()
    (config / "application_default_credentials.json").write_text(json.dumps({**user, "quota_project_id": "billing"}))
    cloud = load_google_cloud({"HOME": str(tmp_path), "CLOUDSDK_CONFIG": str(config), "GOOGLE_CLOUD_PROJECT": "p"})
    assert cloud.kind == "authorized_user" and not cloud.credentials.valid
    headers = await storage_works(cloud, emulator)
    assert headers["Authorization"].startswith("Bearer ") and headers["x-goog-user-project"] == "billing"
    assert cloud.credentials.valid
    assert user["refresh_token"] not in repr(cloud) and cloud.credentials.token not in cloud.describe()


async def test_an_expired_token_is_refreshed_again(emulator, tmp_path):
    make_bucket(emulator, "data")
    # Two minutes: valid for the emulator throughout the test, yet already inside google-auth's 3 min 45 s
    # refresh margin, so the credentials count as expired as soon as they are refreshed.
    admin(emulator, "/_emulator/auth", {"accessTokenLifetime": 120})
    user = admin(emulator, "/_emulator/authorized-users", {})
    path = tmp_path / "adc.json"
    path.write_text(json.dumps(user))
    cloud = load_google_cloud({"HOME": str(tmp_path), "GOOGLE_APPLICATION_CREDENTIALS": str(path)})
    first = (await storage_works(cloud, emulator))["Authorization"]
    second = (await storage_works(cloud, emulator))["Authorization"]
    assert first != second  # a new token each time the old one counts as expired


async def test_service_account_key_refreshes_with_a_signed_assertion(emulator, tmp_path):
    make_bucket(emulator, "data")
    minted = admin(emulator, "/_emulator/service-accounts",
                   {"clientEmail": "tuner@emu-project.iam.gserviceaccount.com", "projectId": "emu-project"})
    key = tmp_path / "key.json"
    key.write_text(json.dumps(minted["keyFile"]))
    cloud = load_google_cloud({"HOME": str(tmp_path), "GOOGLE_APPLICATION_CREDENTIALS": str(key)})
    assert cloud.identity == "service account tuner@emu-project.iam.gserviceaccount.com"
    assert cloud.project == "emu-project"
    headers = await storage_works(cloud, emulator)
    assert "x-goog-user-project" not in headers


async def test_a_revoked_refresh_token_says_to_log_in_again(emulator, tmp_path):
    user = admin(emulator, "/_emulator/authorized-users", {})
    path = tmp_path / "adc.json"
    path.write_text(json.dumps({**user, "refresh_token": "1//not-the-right-one"}))
    cloud = load_google_cloud({"HOME": str(tmp_path), "GOOGLE_APPLICATION_CREDENTIALS": str(path)})
    with pytest.raises(BackendError) as caught:
        await Authorizer(cloud.credentials).headers()
    assert caught.value.kind is ErrorKind.BAD_KEY
    assert "gcloud auth application-default login" in caught.value.next_step
    assert "not-the-right-one" not in str(caught.value)
