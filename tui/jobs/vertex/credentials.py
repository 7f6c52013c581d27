"""Google Cloud credentials for Vertex AI, found the way Google's tools find them, and never shown.

Where credentials come from (the order of `google.auth.default`, without its last step):
`GOOGLE_APPLICATION_CREDENTIALS`, then gcloud's Application Default Credentials file
(`$CLOUDSDK_CONFIG/application_default_credentials.json`, by default
`~/.config/gcloud/...`, written by `gcloud auth application-default login`). The GCE
metadata server is never asked: off Google Cloud that request stalls for seconds, so a
machine without a credentials file simply has none. The files are loaded with
`google.auth.load_credentials_from_file`, so every kind google-auth knows (user, service
account, workload identity federation, impersonation) works.

Project: the caller's choice, else `GOOGLE_CLOUD_PROJECT` (or `GCLOUD_PROJECT`), else the
credentials file's, else gcloud's active configuration (`core/project`, read from its file,
no subprocess). Location: the caller's choice, else `GOOGLE_CLOUD_LOCATION`, else
us-central1 (where every tunable model is). Quota project: the caller's, else
`GOOGLE_CLOUD_QUOTA_PROJECT`, else the file's `quota_project_id`; sent as
`x-goog-user-project`.

Finding the file and the project without loading them is `tui.jobs.vertex.detect` (what
tunedeck needs at start-up to choose a backend); its functions are also importable from here.

`Authorizer` refreshes an expired token in a worker thread (google-auth's refresh blocks)
and gives the headers for raw REST calls; tokens appear in no message, log or repr.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.vertex.detect import adc_file, credentials_file, gcloud_project
from tui.jobs.vertex.detect import detect_project as detect_project  # where callers found it first
from tui.jobs.vertex.detect import wants_vertex as wants_vertex

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
DEFAULT_LOCATION = "us-central1"
LOGIN_HELP = "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a key file"
PROJECT_HELP = "set GOOGLE_CLOUD_PROJECT (or `gcloud config set project ID`), or pass --project"


def _email_from_id_token(id_token: str | None) -> str | None:
    """The `email` claim of an OpenID token (read, not verified: it only names the account)."""
    try:
        payload = (id_token or "").split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    email = claims.get("email") if isinstance(claims, dict) else None
    return email if isinstance(email, str) else None


def describe_identity(kind: str, info: Mapping[str, Any], credentials: Any = None) -> str:
    """Who the credentials act as, in words: `ADC user alice@example.com`, `service account x@p.iam…`."""
    if kind == "service_account":
        return f"service account {info.get('client_email') or '(no client_email)'}"
    if kind == "authorized_user":
        email = info.get("account") or _email_from_id_token(getattr(credentials, "id_token", None))
        return f"ADC user {email}" if email else "ADC user"
    if kind == "impersonated_service_account":
        url = str(info.get("service_account_impersonation_url") or "")
        target = url.rsplit("/serviceAccounts/", 1)[-1].split(":", 1)[0] if "/serviceAccounts/" in url else "?"
        return f"service account {target} (impersonated)"
    if kind == "external_account":
        return "workload identity federation"
    return kind.replace("_", " ")


@dataclass(frozen=True)
class GoogleCloud:
    """Credentials, project, location and quota project for Vertex AI, with where each came from."""

    credentials: Any = field(repr=False)  # google.auth.credentials.Credentials
    kind: str  # the file's "type": authorized_user, service_account, external_account, …
    source: str  # e.g. "gcloud ADC file /home/alice/.config/gcloud/application_default_credentials.json"
    project: str | None
    project_source: str
    location: str
    location_source: str
    quota_project: str | None
    info: Mapping[str, Any] = field(default_factory=dict, repr=False)  # the file's non-secret fields

    @property
    def identity(self) -> str:
        return describe_identity(self.kind, self.info, self.credentials)

    def describe(self) -> str:
        """`Vertex AI · my-proj · us-central1 · ADC user alice@example.com` (never a token)."""
        return " · ".join(["Vertex AI", self.project or "(no project)", self.location, self.identity])


PUBLIC_FIELDS = ("type", "client_email", "client_id", "project_id", "quota_project_id", "account", "token_uri",
                 "audience", "service_account_impersonation_url", "universe_domain")


def _read_info(path: Path, source: str) -> dict:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackendError(ErrorKind.BAD_KEY, f"{source} names {path}, which does not exist", LOGIN_HELP) from None
    except (OSError, ValueError) as exc:
        raise BackendError(ErrorKind.BAD_KEY, f"cannot read the credentials file {path} ({type(exc).__name__})",
                           "check the file, or run `gcloud auth application-default login` again") from None
    if not isinstance(info, dict) or not info.get("type"):
        raise BackendError(ErrorKind.BAD_KEY, f"{path} is not a Google credentials file (no \"type\")", LOGIN_HELP)
    return info


def load_google_cloud(env: Mapping[str, str] | None = None, *, project: str | None = None,
                      location: str | None = None, quota_project: str | None = None) -> GoogleCloud:
    """Find and load the credentials, project and location Vertex AI calls use. Blocking (reads files).

    Raises BackendError (kind BAD_KEY) when no credentials file is found or it cannot be loaded.
    """
    env = os.environ if env is None else env
    found = credentials_file(env)
    if found is None:
        raise BackendError(ErrorKind.BAD_KEY, f"no Google Cloud credentials found (GOOGLE_APPLICATION_CREDENTIALS is "
                           f"unset and {adc_file(env)} does not exist)", LOGIN_HELP)
    path, origin = found
    info = _read_info(path, origin)
    quota = quota_project or env.get("GOOGLE_CLOUD_QUOTA_PROJECT") or None

    import google.auth
    from google.auth import exceptions

    try:
        with warnings.catch_warnings():
            # As google.auth.default does for the same files: they are the user's own ADC, not outside input;
            # and a user without a quota project is told so by `doctor`, not by a warning on stderr.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            credentials, file_project = google.auth.load_credentials_from_file(
                str(path), scopes=list(SCOPES), quota_project_id=quota)
    except exceptions.DefaultCredentialsError as exc:
        raise BackendError(ErrorKind.BAD_KEY, f"cannot use the credentials in {path}: {exc}", LOGIN_HELP) from None
    if quota is None:
        quota = getattr(credentials, "quota_project_id", None) or info.get("quota_project_id") or None
    credentials = _local_token_uri(credentials, info)

    chosen_project, project_source = project, "given"
    for value, where in ((env.get("GOOGLE_CLOUD_PROJECT"), "$GOOGLE_CLOUD_PROJECT"),
                         (env.get("GCLOUD_PROJECT"), "$GCLOUD_PROJECT"),
                         (file_project, f"credentials file {path.name}")):
        if chosen_project:
            break
        chosen_project, project_source = value or None, where
    if not chosen_project:
        chosen_project, project_source = gcloud_project(env), "gcloud config"
    if not chosen_project:
        project_source = "not set"

    chosen_location, location_source = location, "given"
    if not chosen_location:
        chosen_location, location_source = env.get("GOOGLE_CLOUD_LOCATION") or None, "$GOOGLE_CLOUD_LOCATION"
    if not chosen_location:
        chosen_location, location_source = DEFAULT_LOCATION, "default"
    kind = str(info["type"])
    return GoogleCloud(credentials=credentials, kind=kind, source=f"{origin} {path}", project=chosen_project,
                       project_source=project_source, location=chosen_location, location_source=location_source,
                       quota_project=quota, info={k: info[k] for k in PUBLIC_FIELDS if k in info})


def _local_token_uri(credentials: Any, info: Mapping[str, Any]) -> Any:
    """User credentials refreshed at the file's token endpoint when it is on this machine (the local emulator's).

    google-auth always sends a user's refresh to Google's endpoint, whatever the file says;
    a loopback `token_uri` can only be a local test server, so it is honoured.
    """
    uri = str(info.get("token_uri") or "")
    host = urlsplit(uri).hostname or ""
    from tui.jobs.http import is_loopback  # urllib.request: not for detecting the backend at start-up

    if info.get("type") == "authorized_user" and uri and is_loopback(host) and hasattr(credentials, "with_token_uri"):
        return credentials.with_token_uri(uri)
    return credentials


def static_credentials(token: str) -> Any:
    """Credentials holding one fixed bearer token and no way to refresh it (the local emulator's)."""
    import google.oauth2.credentials

    return google.oauth2.credentials.Credentials(token=token)


class Authorizer:
    """Headers for raw REST calls made with the same credentials object the SDK uses."""

    def __init__(self, credentials: Any, quota_project: str | None = None, where: str = "Google Cloud") -> None:
        self.credentials = credentials
        if quota_project is None:
            quota_project = getattr(credentials, "quota_project_id", None)
        self.quota_project = quota_project
        self._where = where
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    def __repr__(self) -> str:
        return f"<Authorizer for {type(self.credentials).__name__}>"

    async def refresh_if_needed(self) -> None:
        """Refresh an expired (or not yet fetched) token, once for all waiting callers, off the event loop."""
        if self.credentials.valid:
            return
        lock = self._locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with lock:
            if not self.credentials.valid:
                await asyncio.to_thread(refresh, self.credentials, self._where)

    async def headers(self) -> dict[str, str]:
        """`Authorization: Bearer …` and, with a quota project, `x-goog-user-project`."""
        await self.refresh_if_needed()
        headers = {"Authorization": f"Bearer {self.credentials.token}"}
        if self.quota_project:
            headers["x-goog-user-project"] = self.quota_project
        return headers


def refresh(credentials: Any, where: str = "Google Cloud") -> None:
    """Refresh credentials now (blocking), turning google-auth's failures into BackendErrors."""
    from google.auth import exceptions
    from google.auth.transport.requests import Request

    try:
        credentials.refresh(Request())
    except exceptions.RefreshError as exc:
        reason = _scrub(str(exc.args[0] if exc.args else exc), credentials)
        raise BackendError(ErrorKind.BAD_KEY, f"{where} refused to refresh the credentials: {reason}", LOGIN_HELP,
                           401) from None
    except exceptions.TransportError as exc:
        raise BackendError(ErrorKind.UNREACHABLE, f"cannot reach the token endpoint to refresh the credentials "
                           f"({type(exc).__name__})", "check your network connection") from None


def _scrub(text: str, credentials: Any) -> str:
    for secret in (getattr(credentials, "token", None), getattr(credentials, "refresh_token", None)):
        if secret and secret in text:
            text = text.replace(secret, "…")
    return text[:300]
