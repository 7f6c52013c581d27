"""Finding Google Cloud credentials, project and location as Google's tools do, without the metadata server."""

from __future__ import annotations

import base64
import json

import pytest

from tests.vertex.conftest import authorized_user, service_account, write_json
from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.vertex.credentials import (
    Authorizer,
    describe_identity,
    gcloud_project,
    load_google_cloud,
    static_credentials,
    wants_vertex,
)


@pytest.fixture
def home(tmp_path):
    """An environment with an empty home: no gcloud directory, no variables."""
    return {"HOME": str(tmp_path / "home")}


def test_no_credentials_file_means_no_credentials_and_says_how_to_log_in(home):
    with pytest.raises(BackendError) as caught:
        load_google_cloud(home)
    assert caught.value.kind is ErrorKind.BAD_KEY
    assert "gcloud auth application-default login" in caught.value.next_step
    assert "application_default_credentials.json" in caught.value.message


def test_gcloud_adc_file_under_home(home, tmp_path):
    path = write_json(tmp_path / "home/.config/gcloud/application_default_credentials.json",
                      authorized_user(quota_project_id="billing-proj", account="alice@example.com"))
    cloud = load_google_cloud({**home, "GOOGLE_CLOUD_PROJECT": "my-proj"})
    assert cloud.kind == "authorized_user"
    assert cloud.source == f"gcloud ADC file {path}"
    assert (cloud.project, cloud.project_source) == ("my-proj", "$GOOGLE_CLOUD_PROJECT")
    assert (cloud.location, cloud.location_source) == ("us-central1", "default")
    assert cloud.quota_project == "billing-proj"
    assert cloud.describe() == "Vertex AI · my-proj · us-central1 · ADC user alice@example.com"
    assert "refresh-secret" not in repr(cloud) and "d-FL95Q19q7MQmFpd7hHD0Ty" not in repr(cloud)


def test_cloudsdk_config_moves_the_adc_file_and_gcloud_config_names_the_project(home, tmp_path):
    config = tmp_path / "gcloud-elsewhere"
    write_json(config / "application_default_credentials.json", authorized_user())
    (config / "configurations").mkdir()
    (config / "active_config").write_text("work\n")
    (config / "configurations" / "config_work").write_text("[core]\naccount = bob@example.com\nproject = from-gcloud\n")
    env = {**home, "CLOUDSDK_CONFIG": str(config), "GOOGLE_CLOUD_LOCATION": "europe-west4"}
    cloud = load_google_cloud(env)
    assert (cloud.project, cloud.project_source) == ("from-gcloud", "gcloud config")
    assert (cloud.location, cloud.location_source) == ("europe-west4", "$GOOGLE_CLOUD_LOCATION")
    assert gcloud_project({**env, "CLOUDSDK_ACTIVE_CONFIG_NAME": "missing"}) is None


def test_google_application_credentials_wins_and_a_service_account_names_its_project(home, tmp_path, private_key_pem):
    write_json(tmp_path / "home/.config/gcloud/application_default_credentials.json", authorized_user())
    key = write_json(tmp_path / "key.json", service_account(private_key_pem))
    cloud = load_google_cloud({**home, "GOOGLE_APPLICATION_CREDENTIALS": str(key)}, location="us-east5")
    assert cloud.kind == "service_account"
    assert cloud.source == f"$GOOGLE_APPLICATION_CREDENTIALS {key}"
    assert (cloud.project, cloud.project_source) == ("sa-project", "credentials file key.json")
    assert cloud.identity == "service account tuner@sa-project.iam.gserviceaccount.com"
    assert "PRIVATE KEY" not in repr(cloud) and "private_key" not in cloud.info
    given = load_google_cloud({**home, "GOOGLE_APPLICATION_CREDENTIALS": str(key), "GOOGLE_CLOUD_PROJECT": "env"},
                              project="flag")
    assert (given.project, given.project_source) == ("flag", "given")


def test_quota_project_from_the_environment_overrides_the_file(home, tmp_path):
    write_json(tmp_path / "home/.config/gcloud/application_default_credentials.json",
               authorized_user(quota_project_id="from-file"))
    cloud = load_google_cloud({**home, "GOOGLE_CLOUD_QUOTA_PROJECT": "from-env"})
    assert cloud.quota_project == "from-env"
    assert cloud.credentials.quota_project_id == "from-env"


@pytest.mark.parametrize("content, message", [
    ("{not json", "cannot read the credentials file"),
    ('{"client_id": "x"}', 'not a Google credentials file'),
    ('{"type": "martian"}', "cannot use the credentials"),
])
def test_broken_credentials_files_name_the_file(home, tmp_path, content, message):
    path = tmp_path / "creds.json"
    path.write_text(content)
    with pytest.raises(BackendError, match=message) as caught:
        load_google_cloud({**home, "GOOGLE_APPLICATION_CREDENTIALS": str(path)})
    assert str(path) in caught.value.message


def test_missing_file_named_by_the_variable(home, tmp_path):
    with pytest.raises(BackendError, match="does not exist"):
        load_google_cloud({**home, "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "nope.json")})


def test_identity_of_a_user_comes_from_the_id_token_when_the_file_has_no_account():
    claims = base64.urlsafe_b64encode(json.dumps({"email": "carol@example.com"}).encode()).decode().rstrip("=")

    class Refreshed:
        id_token = f"header.{claims}.signature"

    assert describe_identity("authorized_user", {}, Refreshed()) == "ADC user carol@example.com"
    assert describe_identity("authorized_user", {}, None) == "ADC user"
    url = "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com:generateAccessToken"
    assert describe_identity("impersonated_service_account", {"service_account_impersonation_url": url}) == (
        "service account sa@p.iam.gserviceaccount.com (impersonated)")


@pytest.mark.parametrize("env, expected", [
    ({}, None), ({"GOOGLE_GENAI_USE_VERTEXAI": "true"}, True), ({"GOOGLE_GENAI_USE_VERTEXAI": "0"}, False),
    ({"GOOGLE_GENAI_USE_VERTEXAI": "false", "GOOGLE_GENAI_USE_ENTERPRISE": "1"}, True),
])
def test_wants_vertex_reads_the_sdk_variables(env, expected):
    assert wants_vertex(env) is expected


async def test_static_token_headers_carry_the_quota_project():
    authorizer = Authorizer(static_credentials("emulator-token"), quota_project="billing")
    assert await authorizer.headers() == {"Authorization": "Bearer emulator-token", "x-goog-user-project": "billing"}
    assert "emulator-token" not in repr(authorizer)
