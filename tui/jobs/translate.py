"""Turn google-genai and network exceptions into `BackendError`s a person can act on.

Each error says what happened (with the HTTP status when there is one) and the next
step. The API key never appears: any echo of it in a server or library message is masked.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tui.config import mask_secret
from tui.jobs.errors import BackendError, ErrorKind

KEY_HELP = "set GEMINI_API_KEY (or GOOGLE_API_KEY) to a valid key from Google AI Studio, or use --backend local"
SCOPES_HELP = (
    "Tuning through the Gemini API needs user (OAuth) credentials with the "
    "https://www.googleapis.com/auth/generative-language.tuning scope; an API key alone is not enough. "
    "Set up OAuth user credentials for your Google Cloud project (for example "
    "`gcloud auth application-default login --scopes=https://www.googleapis.com/auth/cloud-platform,"
    "https://www.googleapis.com/auth/generative-language.tuning`), or tune locally with --backend local"
)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _reasons(details: object) -> set[str]:
    """ErrorInfo reasons in an error body ({"error": {"details": [{"reason": ...}]}})."""
    found: set[str] = set()
    error = details.get("error", details) if isinstance(details, dict) else {}
    for item in error.get("details", []) if isinstance(error, dict) else []:
        if isinstance(item, dict) and item.get("reason"):
            found.add(str(item["reason"]))
    return found


def _scrub(text: str, api_key: str | None) -> str:
    if api_key and api_key in text:
        text = text.replace(api_key, mask_secret(api_key))
    return text


def from_api_error(exc, where: str, api_key: str | None = None) -> BackendError:
    """Map a google.genai.errors.APIError (code, status, message, details) to a BackendError."""
    code = int(getattr(exc, "code", 0) or 0)
    status = str(getattr(exc, "status", "") or "")
    message = _scrub(str(getattr(exc, "message", "") or status or "request failed"), api_key)
    reasons = _reasons(getattr(exc, "details", None))
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}

    if "ACCESS_TOKEN_SCOPE_INSUFFICIENT" in reasons or "insufficient authentication scopes" in message.lower():
        return BackendError(ErrorKind.SCOPES, f"{where} refused the request: {message}", SCOPES_HELP, code)
    if code == 401 or "API_KEY_INVALID" in reasons or (code == 400 and "api key" in message.lower()):
        return BackendError(ErrorKind.BAD_KEY, f"{where} rejected the API key: {message}", KEY_HELP, code)
    if code == 403:
        return BackendError(
            ErrorKind.BAD_KEY,
            f"{where} denied access: {message}",
            "check that this key's project may use the Gemini API and owns the tuned model",
            code,
        )
    if code == 404:
        return BackendError(
            ErrorKind.NOT_FOUND, f"{where}: not found: {message}", "check the name with `tunedeck jobs list`", code
        )
    if code == 429:
        wait = parse_retry_after(headers.get("Retry-After") if hasattr(headers, "get") else None)
        hint = (
            f"wait {wait:.0f} s and retry"
            if wait is not None
            else "wait a little and retry; tunedeck retries polling by itself"
        )
        return BackendError(ErrorKind.RATE_LIMITED, f"{where} is rate-limiting requests: {message}", hint, code, wait)
    if code >= 500:
        return BackendError(
            ErrorKind.SERVER, f"{where} had a server error: {message}", "this is usually temporary; retry shortly", code
        )
    if status == "FAILED_PRECONDITION":
        return BackendError(
            ErrorKind.FAILED_PRECONDITION, f"{where} cannot do that now: {message}", "check the job's state", code
        )
    return BackendError(
        ErrorKind.INVALID, f"{where} rejected the request: {message}", "fix the request and retry", code or None
    )


def from_exception(exc: BaseException, where: str, hint_unreachable: str, api_key: str | None = None) -> BackendError:
    """Map any exception from a backend call; unknown ones become SERVER errors, never crashes."""
    if isinstance(exc, BackendError):
        return exc
    from google.genai import errors as genai_errors

    if isinstance(exc, genai_errors.APIError):
        return from_api_error(exc, where, api_key)
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return BackendError(ErrorKind.TIMEOUT, f"{where} did not answer in time", "check your connection and retry")

    import aiohttp

    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = getattr(exc.os_error, "strerror", None) or str(exc.os_error)
        return BackendError(
            ErrorKind.UNREACHABLE, f"cannot reach {where} at {exc.host}:{exc.port} ({reason})", hint_unreachable
        )
    if isinstance(exc, (aiohttp.ClientConnectionError, ConnectionError, OSError)):
        detail = _scrub(str(exc) or type(exc).__name__, api_key)
        return BackendError(ErrorKind.UNREACHABLE, f"cannot reach {where} ({detail})", hint_unreachable)
    if isinstance(exc, aiohttp.ClientError):
        detail = _scrub(str(exc) or type(exc).__name__, api_key)
        return BackendError(
            ErrorKind.SERVER, f"{where} sent an answer that could not be read ({detail})", "retry shortly"
        )
    detail = _scrub(f"{type(exc).__name__}: {exc}", api_key)
    return BackendError(
        ErrorKind.SERVER, f"unexpected failure talking to {where} ({detail})", "retry; if it persists, report it"
    )
