"""The Vertex doctor against the emulator: each check, and the fix it names when it fails."""

from __future__ import annotations

import json

import pytest

from tests.emulator.storage_http import bucket as make_bucket
from tests.emulator.storage_http import call
from tui.jobs.vertex.doctor import location_check, run_checks


def adc_user(emu, tmp_path, **extra) -> dict:
    reply = call(emu.url, "POST", "/_emulator/authorized-users", {}, {"x-goog-api-key": emu.api_key})
    assert reply.status == 200, reply.body
    path = tmp_path / "gcloud" / "application_default_credentials.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({**reply.json(), **extra}))
    return {"HOME": str(tmp_path), "CLOUDSDK_CONFIG": str(path.parent)}


def by_name(checks) -> dict:
    return {c.name: c for c in checks}


async def test_a_complete_set_up_passes_every_check(emulator, tmp_path):
    make_bucket(emulator, "data")
    env = {**adc_user(emulator, tmp_path, quota_project_id="billing"), "GOOGLE_CLOUD_PROJECT": "emu-project"}
    checks = by_name(await run_checks(env, bucket="data", base_url=emulator.url, storage_url=emulator.url))
    assert list(checks) == ["credentials", "token", "project", "location", "permission", "bucket", "quota project"]
    assert all(c.ok for c in checks.values()), checks
    assert checks["credentials"].detail.startswith("authorized user from gcloud ADC file")
    assert checks["project"].detail == "emu-project (from $GOOGLE_CLOUD_PROJECT)"


async def test_missing_pieces_each_name_their_fix(emulator, tmp_path):
    env = {**adc_user(emulator, tmp_path), "GOOGLE_CLOUD_PROJECT": "emu-project"}
    checks = by_name(await run_checks(env, bucket="nope", base_url=emulator.url, storage_url=emulator.url))
    assert checks["bucket"].ok is False and "gcloud storage buckets create gs://nope" in checks["bucket"].fix
    assert checks["quota project"].ok is None and "set-quota-project emu-project" in checks["quota project"].fix
    no_bucket = by_name(await run_checks(env, bucket=None, base_url=emulator.url, storage_url=emulator.url))
    assert no_bucket["bucket"].ok is False and "--bucket" in no_bucket["bucket"].fix


async def test_no_credentials_stops_at_the_first_check(tmp_path):
    checks = await run_checks({"HOME": str(tmp_path)}, bucket="b")
    assert [(c.name, c.ok) for c in checks] == [("credentials", False)]
    assert "gcloud auth application-default login" in checks[0].fix


async def test_a_refused_refresh_is_the_token_check(emulator, tmp_path):
    env = adc_user(emulator, tmp_path, refresh_token="1//revoked")
    checks = await run_checks(env, bucket="b", base_url=emulator.url, storage_url=emulator.url)
    assert [(c.name, c.ok) for c in checks] == [("credentials", True), ("token", False)]


@pytest.mark.parametrize("location, model, ok", [
    ("us-central1", "gemini-3.5-flash", True), ("asia-northeast1", "gemini-3.5-flash", False),
    ("europe-west4", "gemini-2.5-pro", True), ("asia-northeast1", "gemini-2.5-flash", None),
])
def test_location_offers_the_model(location, model, ok):
    assert location_check(location, model).ok is ok
