"""Backend failures become plain errors with the next step, and never show the key."""

from __future__ import annotations

import pytest
from google.genai import errors as genai_errors

from tui.jobs.errors import ErrorKind
from tui.jobs.translate import from_exception, parse_retry_after

KEY = "AIzaSyDUMMYKEY-0123456789abcdefx9Q2"


def api_error(code: int, status: str, message: str, reasons=()) -> genai_errors.APIError:
    body = {"error": {"code": code, "message": message, "status": status,
                      "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": r} for r in reasons]}}
    cls = genai_errors.ClientError if code < 500 else genai_errors.ServerError
    return cls(code, body)


def translate(exc):
    return from_exception(exc, "the Gemini API", "check your network", KEY)


def test_insufficient_scopes_explains_oauth():
    err = translate(
        api_error(
            403,
            "PERMISSION_DENIED",
            "Request had insufficient authentication scopes.",
            ["ACCESS_TOKEN_SCOPE_INSUFFICIENT"],
        )
    )
    assert err.kind is ErrorKind.SCOPES
    assert err.status == 403
    assert "OAuth" in str(err) and "generative-language.tuning" in str(err)


@pytest.mark.parametrize(
    ("code", "status", "message", "reasons", "kind"),
    [
        (
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            ["API_KEY_INVALID"],
            ErrorKind.BAD_KEY,
        ),
        (401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", [], ErrorKind.BAD_KEY),
        (
            403,
            "PERMISSION_DENIED",
            "You do not have permission to access tuned model tunedModels/x",
            [],
            ErrorKind.BAD_KEY,
        ),
        (404, "NOT_FOUND", "tunedModels/x is not found", [], ErrorKind.NOT_FOUND),
        (429, "RESOURCE_EXHAUSTED", "quota", [], ErrorKind.RATE_LIMITED),
        (503, "UNAVAILABLE", "try later", [], ErrorKind.SERVER),
        (400, "FAILED_PRECONDITION", "not now", [], ErrorKind.FAILED_PRECONDITION),
        (400, "INVALID_ARGUMENT", "trainingData is required", [], ErrorKind.INVALID),
    ],
)
def test_statuses_map_to_kinds(code, status, message, reasons, kind):
    err = translate(api_error(code, status, message, reasons))
    assert err.kind is kind
    assert err.status == code
    assert f"HTTP {code}" in str(err) and err.next_step


def test_key_echoed_by_a_server_is_masked():
    err = translate(api_error(400, "INVALID_ARGUMENT", f"API key {KEY} not valid", ["API_KEY_INVALID"]))
    assert KEY not in str(err)
    assert "AIza…x9Q2" in str(err)


def test_timeouts_and_refused_connections():
    assert translate(TimeoutError()).kind is ErrorKind.TIMEOUT
    refused = translate(ConnectionRefusedError(111, "Connection refused"))
    assert refused.kind is ErrorKind.UNREACHABLE and refused.retryable
    assert "check your network" in str(refused)


def test_retry_after_header_forms():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
