"""Vertex AI and Cloud Storage failures as `BackendError`s that say what to do next.

Google's error body is `{"error": {"code", "message", "status", "details"}}` for both the
SDK's calls (google.genai.errors.APIError carries it) and the raw REST calls. 400s often
carry `google.rpc.BadRequest` field violations (e.g. `training_dataset_uri should be a GCS
object of type JSONL`); they are named one by one. Network failures reuse the Gemini
backend's translation (`tui.jobs.translate.from_exception`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.translate import from_exception, parse_retry_after

LOGIN_HELP = "run `gcloud auth application-default login` again, or check GOOGLE_APPLICATION_CREDENTIALS"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"


def _details(details: object) -> list[dict]:
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def field_violations(details: object) -> list[tuple[str, str]]:
    """(field, description) of every google.rpc.BadRequest field violation in an error's details."""
    found = []
    for item in _details(details):
        if item.get("@type") == BAD_REQUEST or "fieldViolations" in item:
            for violation in item.get("fieldViolations") or []:
                if isinstance(violation, dict):
                    found.append((str(violation.get("field", "")), str(violation.get("description", ""))))
    return found


def _reasons(details: object) -> set[str]:
    return {str(d["reason"]) for d in _details(details) if d.get("reason")}


def api_error(code: int, error: Mapping[str, Any], where: str, *, project: str | None = None, identity: str = "",
              headers: Mapping[str, str] | None = None) -> BackendError:
    """Translate one Google error body (`error` is the object under "error") into a BackendError."""
    status = str(error.get("status") or "")
    message = str(error.get("message") or status or f"HTTP {code}")
    details = error.get("details")
    reasons = _reasons(details)
    who = f" for {identity}" if identity else ""
    in_project = f" --project {project}" if project else ""
    if code == 401:
        return BackendError(ErrorKind.BAD_KEY, f"{where} refused the credentials{who}: {message}", LOGIN_HELP, code)
    if code == 403:
        if "SERVICE_DISABLED" in reasons or "has not been used in project" in message:
            hint = f"enable it: `gcloud services enable aiplatform.googleapis.com storage.googleapis.com{in_project}`"
        elif "ACCESS_TOKEN_SCOPE_INSUFFICIENT" in reasons:
            hint = "log in again with the cloud-platform scope: `gcloud auth application-default login`"
        else:
            hint = (f"ask a project owner to grant{who or ' you'} the Vertex AI User role (roles/aiplatform.user)"
                    f"{' on ' + project if project else ''}, and Storage Object Admin on the dataset bucket")
        return BackendError(ErrorKind.BAD_KEY, f"{where} denied access{who}: {message}", hint, code)
    if code == 404:
        return BackendError(ErrorKind.NOT_FOUND, f"{where}: not found: {message}",
                            "check the name, project and location (`tunedeck jobs list`)", code)
    if code == 429:
        wait = parse_retry_after((headers or {}).get("Retry-After"))
        if "quota" in message.lower() and "tuning" in message.lower():
            hint = "wait for a running tuning job to finish, or ask for more 'concurrent tuning jobs' quota"
        else:
            hint = f"wait {wait:.0f} s and retry" if wait is not None else "wait a little; polling retries by itself"
        return BackendError(ErrorKind.RATE_LIMITED, f"{where} is limiting requests: {message}", hint, code, wait)
    if code >= 500:
        wait = parse_retry_after((headers or {}).get("Retry-After"))
        return BackendError(ErrorKind.SERVER, f"{where} had a server error: {message}",
                            "usually temporary; retry shortly", code, wait)
    if status == "FAILED_PRECONDITION":
        return BackendError(ErrorKind.FAILED_PRECONDITION, f"{where} cannot do that now: {message}",
                            "check the job's state", code)
    violations = field_violations(details)
    if violations:
        listed = "; ".join(f"{f}: {d}" if f else d for f, d in violations)
        first = violations[0][0]
        return BackendError(ErrorKind.INVALID, f"{where} rejected the request: {message} ({listed})",
                            f"fix {first}" if first else "fix the request and retry", code)
    return BackendError(ErrorKind.INVALID, f"{where} rejected the request: {message}", "fix the request and retry",
                        code or None)


def translate(exc: BaseException, where: str, unreachable_hint: str, *, project: str | None = None,
              identity: str = "") -> BackendError:
    """Any failure of a Vertex call (SDK error, HTTP error, network) as a BackendError."""
    if isinstance(exc, BackendError):
        return exc
    from google.genai import errors as genai_errors

    if isinstance(exc, genai_errors.APIError):
        body = exc.details if isinstance(exc.details, dict) else {}
        error = body.get("error", body) if isinstance(body, dict) else {}
        error = {**error, "message": exc.message or error.get("message"), "status": exc.status or error.get("status")}
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
        return api_error(int(exc.code or 0), error, where, project=project, identity=identity,
                         headers=headers if isinstance(headers, Mapping) else None)
    from google.auth import exceptions as auth_errors

    if isinstance(exc, auth_errors.RefreshError):  # the SDK refreshing the same credentials
        return BackendError(ErrorKind.BAD_KEY, f"the credentials could not be refreshed for {where}"
                            f"{' (' + identity + ')' if identity else ''}", LOGIN_HELP, 401)
    if isinstance(exc, auth_errors.TransportError):
        return BackendError(ErrorKind.UNREACHABLE, "cannot reach the token endpoint to refresh the credentials",
                            "check your network connection")
    return from_exception(exc, where, unreachable_hint)
