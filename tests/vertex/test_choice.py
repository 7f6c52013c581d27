"""Choosing protocol and server independently, and detecting them as Google's tools would."""

from __future__ import annotations

import json

import pytest

from tests.vertex.conftest import authorized_user, write_json
from tui.config import BackendKind, ConfigError, Protocol, Server, load_settings


@pytest.fixture
def adc(tmp_path) -> dict[str, str]:
    """An environment whose gcloud directory holds an ADC file and names a project."""
    home = tmp_path / "home"
    write_json(home / ".config/gcloud/application_default_credentials.json", authorized_user())
    return {"HOME": str(home)}


def settings(tmp_path, env, config: dict | None = None, **flags):
    (tmp_path / "config").mkdir(exist_ok=True)
    if config is not None:
        (tmp_path / "config" / "config.json").write_text(json.dumps(config))
    return load_settings(env=env, data_dir=tmp_path / "data", config_dir=tmp_path / "config", **flags)


def test_adc_and_a_project_mean_vertex_on_google(tmp_path, adc):
    chosen = settings(tmp_path, {**adc, "GOOGLE_CLOUD_PROJECT": "my-proj"})
    assert (chosen.protocol, chosen.server, chosen.active_backend) == (Protocol.VERTEX, Server.GOOGLE,
                                                                       BackendKind.VERTEX)
    assert "my-proj" in (chosen.choice_reason or "") and "gcloud ADC file" in (chosen.choice_reason or "")


def test_adc_without_a_project_and_a_key_mean_the_gemini_api(tmp_path, adc):
    chosen = settings(tmp_path, {**adc, "GEMINI_API_KEY": "AIzaSyExample1234"})
    assert chosen.active_backend is BackendKind.GEMINI


def test_the_sdk_variable_can_say_no_to_vertex(tmp_path, adc):
    env = {**adc, "GOOGLE_CLOUD_PROJECT": "p", "GOOGLE_GENAI_USE_VERTEXAI": "false", "GOOGLE_API_KEY": "AIzaXYZ12345"}
    assert settings(tmp_path, env).active_backend is BackendKind.GEMINI


def test_a_project_in_gcloud_config_counts(tmp_path, adc):
    config = tmp_path / "home/.config/gcloud/configurations"
    config.mkdir(parents=True)
    (config / "config_default").write_text("[core]\nproject = from-gcloud\n")
    assert settings(tmp_path, adc).active_backend is BackendKind.VERTEX


def test_nothing_found_means_the_local_emulator(tmp_path):
    chosen = settings(tmp_path, {"HOME": str(tmp_path / "empty")})
    assert chosen.server is Server.LOCAL and chosen.active_backend in (BackendKind.LOCAL, BackendKind.VERTEX_LOCAL)


@pytest.mark.parametrize("flags, config, expected", [
    ({"protocol": "vertex"}, None, BackendKind.VERTEX_LOCAL),  # no credentials: Vertex on the emulator
    ({"server": "local"}, None, BackendKind.VERTEX_LOCAL),
    ({"protocol": "gemini", "server": "local"}, None, BackendKind.LOCAL),
    ({}, {"protocol": "vertex", "server": "local"}, BackendKind.VERTEX_LOCAL),
    ({"backend": "local"}, {"protocol": "vertex"}, BackendKind.LOCAL),  # a flag beats the config file
    ({"backend": "vertex-local"}, None, BackendKind.VERTEX_LOCAL),
])
def test_flags_and_config_keys_choose(tmp_path, flags, config, expected):
    assert settings(tmp_path, {"HOME": str(tmp_path / "empty")}, config, **flags).active_backend is expected


def test_vertex_keys_from_flags_config_and_environment(tmp_path, adc):
    config = {"project": "cfg-proj", "location": "europe-west4", "bucket": "cfg-bucket", "quota_project": "q"}
    from_config = settings(tmp_path, adc, config)
    assert (from_config.google_project, from_config.google_location, from_config.bucket, from_config.quota_project) == (
        "cfg-proj", "europe-west4", "cfg-bucket", "q")
    env_wins = settings(tmp_path, {**adc, "GOOGLE_CLOUD_PROJECT": "env-proj"}, config)
    assert env_wins.google_project is None  # left to google-auth's order: the environment names it
    flag_wins = settings(tmp_path, {**adc, "GOOGLE_CLOUD_PROJECT": "env-proj"}, config, project="flag-proj",
                         bucket="flag-bucket")
    assert (flag_wins.google_project, flag_wins.bucket) == ("flag-proj", "flag-bucket")


def test_an_unknown_protocol_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="unknown protocol 'grpc'"):
        settings(tmp_path, {"TUNEDECK_PROTOCOL": "grpc"})
