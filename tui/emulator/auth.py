"""Bearer auth for the Vertex AI and Cloud Storage routes, and the access tokens `/token` issues.

Which routes: paths under `/v1/projects/`, `/v1beta1/` (Vertex AI) and `/storage/v1/`,
`/upload/storage/v1/`, `/download/storage/v1/` (Cloud Storage). They take
`Authorization: Bearer <token>` where the token is the emulator's key or an unexpired
access token issued by `POST /token`; the Vertex routes also take the key as
`x-goog-api-key` (express mode). The Gemini routes keep their API-key auth (server.py).

Tokens are self-contained: `ya29.emu.<payload>.<HMAC-SHA256 of it under a key derived from the
emulator's key>`, so nothing about them is stored, they stay valid across a restart on the same
data dir, and they all stop working when the emulator's key changes. Refresh tokens and client
secrets for authorized-user credentials are derived from the client id the same way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
from aiohttp import web

from tui.emulator.wire import ApiError

VERTEX_PREFIXES = ("/v1/projects/", "/v1beta1/")
STORAGE_PREFIXES = ("/storage/v1/", "/upload/storage/v1/", "/download/storage/v1/")
TOKEN_PREFIX = "ya29.emu."
REFRESH_PREFIX = "1//emu."
DEFAULT_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
DEFAULT_LIFETIME_S = 3600
PRINCIPAL = "tunedeck.principal"  # request key: the Principal a request was authenticated as


def is_vertex_path(path: str) -> bool:
    return path.startswith(VERTEX_PREFIXES) or path == "/v1beta1"


def is_storage_path(path: str) -> bool:
    return path.startswith(STORAGE_PREFIXES)


def is_bearer_path(path: str) -> bool:
    """Routes whose auth is this module's (the envelope leaves them alone)."""
    return is_vertex_path(path) or is_storage_path(path)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Principal:
    """Who a request speaks for: the emulator key itself, an authorized user (client id) or a service account."""

    kind: str  # "key" | "authorized_user" | "service_account"
    subject: str
    scopes: tuple[str, ...] = ()
    expires: float | None = None


class Unauthenticated(Exception):
    """No credential, or one the emulator does not accept. `reason` is Google's ErrorInfo reason."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


MISSING = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. Send 'Authorization: Bearer <token>' with the emulator's key or an access "
    "token from its /token endpoint."
)
INVALID = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid "
    "authentication credential."
)


class Authenticator:
    """Checks credentials against the emulator's key and issues / verifies access tokens."""

    def __init__(self, api_key: str, access_token_lifetime: int = DEFAULT_LIFETIME_S) -> None:
        self._key = api_key
        # Without a key there is nothing secret to derive from: tokens then hold for this process only.
        secret = api_key.encode() if api_key else secrets.token_bytes(32)
        self._mac_key = hashlib.sha256(b"tunedeck emulator oauth\0" + secret).digest()
        self.access_token_lifetime = access_token_lifetime

    def _mac(self, purpose: str, data: bytes) -> bytes:
        return hmac.new(self._mac_key, purpose.encode() + b"\0" + data, hashlib.sha256).digest()

    # -- access tokens ------------------------------------------------------------------
    def issue(self, kind: str, subject: str, scopes: tuple[str, ...]) -> tuple[str, int]:
        """A new access token and its lifetime in seconds."""
        lifetime = self.access_token_lifetime
        payload = orjson.dumps({"k": kind, "s": subject, "c": list(scopes), "e": time.time() + lifetime,
                                "n": secrets.token_hex(8)})  # fmt: skip
        return f"{TOKEN_PREFIX}{_b64(payload)}.{_b64(self._mac('access', payload))}", lifetime

    def _token_principal(self, token: str) -> Principal:
        body, _, mac = token.removeprefix(TOKEN_PREFIX).partition(".")
        try:
            payload = _unb64(body)
            valid = hmac.compare_digest(_unb64(mac), self._mac("access", payload))
            claims = orjson.loads(payload) if valid else None
        except (binascii.Error, ValueError):
            claims = None
        if not isinstance(claims, dict):
            raise Unauthenticated(INVALID, "ACCESS_TOKEN_TYPE_UNSUPPORTED")
        if float(claims["e"]) <= time.time():
            raise Unauthenticated(INVALID + " The access token expired; refresh it.", "ACCESS_TOKEN_EXPIRED")
        return Principal(str(claims["k"]), str(claims["s"]), tuple(claims["c"]), float(claims["e"]))

    def verify(self, token: str) -> Principal:
        """The principal behind a Bearer token; Unauthenticated if it is not accepted."""
        if not token:
            raise Unauthenticated(MISSING, "CREDENTIALS_MISSING")
        if self._key and hmac.compare_digest(token.encode(), self._key.encode()):
            return Principal("key", "emulator key")
        if token.startswith(TOKEN_PREFIX):
            return self._token_principal(token)
        raise Unauthenticated(INVALID, "ACCESS_TOKEN_TYPE_UNSUPPORTED")

    def authenticate(self, request: web.Request, api_key_header: bool = False) -> Principal:
        """Check the request's credential and remember the principal in `request[PRINCIPAL]`."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if header and scheme.lower() == "bearer":
            principal = self.verify(token.strip())
        elif api_key_header and request.headers.get("x-goog-api-key"):
            principal = self.verify(request.headers["x-goog-api-key"])
            if principal.kind != "key":
                raise Unauthenticated("API key not valid. Please pass a valid API key.", "API_KEY_INVALID")
        elif header:
            raise Unauthenticated(INVALID + " Only 'Bearer' credentials are accepted.", "ACCESS_TOKEN_TYPE_UNSUPPORTED")
        else:
            raise Unauthenticated(MISSING, "CREDENTIALS_MISSING")
        request[PRINCIPAL] = principal
        return principal

    # -- authorized-user credentials ----------------------------------------------------
    def client_secret(self, client_id: str) -> str:
        return _b64(self._mac("client-secret", client_id.encode()))[:32]

    def refresh_token(self, client_id: str) -> str:
        return f"{REFRESH_PREFIX}{_b64(client_id.encode())}.{_b64(self._mac('refresh', client_id.encode()))}"

    def check_refresh(self, client_id: str, client_secret: str, refresh_token: str) -> str | None:
        """None if the three belong together, else what is wrong ('invalid_client' or 'invalid_grant')."""
        if not client_id or not hmac.compare_digest(client_secret.encode(), self.client_secret(client_id).encode()):
            return "invalid_client"
        if not hmac.compare_digest(refresh_token.encode(), self.refresh_token(client_id).encode()):
            return "invalid_grant"
        return None


AUTH = web.AppKey("auth", Authenticator)


def vertex_error(error: Unauthenticated) -> ApiError:
    """The 401 the Vertex AI routes answer, in Google's error envelope."""
    info = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": error.reason, "domain": "googleapis.com",
            "metadata": {"service": "aiplatform.googleapis.com"}}  # fmt: skip
    return ApiError(401, error.message, status="UNAUTHENTICATED", details=[info],
                    headers={"WWW-Authenticate": 'Bearer realm="tunedeck-emulator"'})  # fmt: skip


def injected_fault(request: web.Request) -> ApiError | None:
    """The fault the server's `--fault-rate` switch picks for this request (None most of the time)."""
    from tui.emulator.server import CONFIG_KEY, _fault

    config = request.app.get(CONFIG_KEY)
    return _fault(config) if config is not None else None


@web.middleware
async def vertex_auth(request: web.Request, handler):
    """Bearer auth on the Vertex AI routes, then injected faults (raised as ApiError for the envelope to answer)."""
    if is_vertex_path(request.path):
        try:
            request.app[AUTH].authenticate(request, api_key_header=True)
        except Unauthenticated as error:
            raise vertex_error(error) from None
        fault = injected_fault(request)
        if fault is not None:
            raise fault
    return await handler(request)


def setup(app: web.Application, root: Path, api_key: str) -> Authenticator:
    """Install `app[AUTH]`, the Vertex auth middleware, `/token` and the credential admin routes."""
    from tui.emulator import oauth

    authenticator = Authenticator(api_key)
    app[AUTH] = authenticator
    app[oauth.SERVICE_ACCOUNTS] = oauth.ServiceAccounts(root / "service-accounts.json")
    app.middlewares.append(vertex_auth)
    oauth.add_routes(app)
    return authenticator
