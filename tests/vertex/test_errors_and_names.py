"""Google error bodies as BackendErrors, and the small naming rules of the Vertex client."""

from __future__ import annotations

import pytest

from tui.jobs.errors import ErrorKind
from tui.jobs.vertex.curves import location_parent, points_from_api
from tui.jobs.vertex.errors import api_error, field_violations
from tui.jobs.vertex.place import aiplatform_url
from tui.jobs.vertex.storage import gs_uri, object_name, storage_base_url

BAD_REQUEST = {
    "code": 400, "status": "INVALID_ARGUMENT", "message": "Request contains an invalid argument.",
    "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [
        {"field": "supervised_tuning_spec.training_dataset_uri",
         "description": "training_dataset_uri should be a GCS object of type JSONL"}]}],
}


def test_field_violations_are_named_with_the_field_to_fix():
    error = api_error(400, BAD_REQUEST, "Vertex AI")
    assert error.kind is ErrorKind.INVALID and error.status == 400
    assert "training_dataset_uri should be a GCS object of type JSONL" in error.message
    assert error.next_step == "fix supervised_tuning_spec.training_dataset_uri"
    assert field_violations(BAD_REQUEST["details"]) == [
        ("supervised_tuning_spec.training_dataset_uri", "training_dataset_uri should be a GCS object of type JSONL")]


def test_permission_denied_names_the_identity_role_and_project():
    body = {"code": 403, "status": "PERMISSION_DENIED",
            "message": "Permission 'aiplatform.tuningJobs.create' denied on resource"}
    error = api_error(403, body, "Vertex AI", project="my-proj", identity="ADC user alice@example.com")
    assert error.kind is ErrorKind.BAD_KEY
    assert "for ADC user alice@example.com" in error.message
    assert "roles/aiplatform.user" in error.next_step and "my-proj" in error.next_step


def test_disabled_api_says_how_to_enable_it():
    body = {"code": 403, "status": "PERMISSION_DENIED", "message": "Vertex AI API has not been used in project 42",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED"}]}
    error = api_error(403, body, "Vertex AI", project="my-proj")
    assert "gcloud services enable aiplatform.googleapis.com" in error.next_step
    assert "--project my-proj" in error.next_step


def test_unauthenticated_says_to_log_in_again():
    error = api_error(401, {"code": 401, "message": "Request had invalid authentication credentials."}, "Vertex AI")
    assert error.kind is ErrorKind.BAD_KEY and "application-default login" in error.next_step


@pytest.mark.parametrize("code, headers, kind, wait", [
    (429, {"Retry-After": "7"}, ErrorKind.RATE_LIMITED, 7.0),
    (503, {}, ErrorKind.SERVER, None),
    (404, {}, ErrorKind.NOT_FOUND, None),
])
def test_status_codes_map_to_kinds_and_keep_retry_after(code, headers, kind, wait):
    error = api_error(code, {"message": "m"}, "Vertex AI", headers=headers)
    assert error.kind is kind
    assert error.retry_after == wait
    assert error.retryable is (kind in (ErrorKind.RATE_LIMITED, ErrorKind.SERVER))


def test_failed_precondition_is_its_own_kind():
    error = api_error(400, {"status": "FAILED_PRECONDITION", "message": "job already ended"}, "Vertex AI")
    assert error.kind is ErrorKind.FAILED_PRECONDITION


def test_storage_base_url_follows_storage_emulator_host_like_google_cloud_storage():
    assert storage_base_url({}) == "https://storage.googleapis.com"
    assert storage_base_url({"STORAGE_EMULATOR_HOST": "127.0.0.1:9023"}) == "http://127.0.0.1:9023"
    assert storage_base_url({"STORAGE_EMULATOR_HOST": "http://localhost:1/"}) == "http://localhost:1"
    assert storage_base_url({}, "http://127.0.0.1:5/") == "http://127.0.0.1:5"


def test_objects_are_named_by_content():
    sha = "ab" * 32
    assert object_name(sha) == f"tunedeck/datasets/{sha}.jsonl"
    assert gs_uri("b", object_name(sha)) == f"gs://b/tunedeck/datasets/{sha}.jsonl"


@pytest.mark.parametrize("location, url", [
    ("us-central1", "https://us-central1-aiplatform.googleapis.com"),
    ("global", "https://aiplatform.googleapis.com"),
    ("eu", "https://aiplatform.eu.rep.googleapis.com"),
])
def test_aiplatform_host_per_location_as_google_genai_picks_it(location, url):
    assert aiplatform_url(location) == url


def test_time_series_points_parse_int64_strings_and_skip_non_scalars():
    values = [{"step": "2", "wallTime": "2026-01-01T00:01:00Z", "scalar": {"value": 1.5}},
              {"step": "3", "tensor": {"value": "AA=="}}, {"step": 4, "scalar": {"value": "0.25"}}]
    points = points_from_api(values)
    assert [(s, v) for s, v, _t in points] == [(2, 1.5), (4, 0.25)]
    assert points[0][2] is not None and points[0][2].tzinfo is not None


def test_location_parent_of_a_resource():
    assert location_parent("projects/p/locations/l/metadataStores/default/contexts/x") == "projects/p/locations/l"
    with pytest.raises(Exception, match="not a Vertex resource name"):
        location_parent("tunedModels/x")


def test_a_refresh_failure_inside_the_sdk_is_a_credentials_error():
    from google.auth import exceptions

    from tui.jobs.vertex.errors import translate

    error = translate(exceptions.RefreshError("invalid_grant: Token has been expired or revoked."), "Vertex AI", "",
                      identity="ADC user a@example.com")
    assert error.kind is ErrorKind.BAD_KEY and not error.retryable
    assert "application-default login" in error.next_step and "a@example.com" in error.message
    assert translate(exceptions.TransportError("dns"), "Vertex AI", "").kind is ErrorKind.UNREACHABLE
