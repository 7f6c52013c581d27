"""`POST /token` (Google's OAuth 2.0 token endpoint, two grants) and the admin routes behind it.

- `grant_type=refresh_token` with `client_id`, `client_secret`, `refresh_token`: the fields of an
  authorized-user ADC file, as minted by `POST /_emulator/authorized-users`.
- `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` with `assertion`: a JWT signed (RS256)
  with a service-account key whose public half was registered by `POST /_emulator/service-accounts`;
  its `aud` must be this endpoint's URL or Google's token endpoint (google-auth always signs for
  that one), and it must not have expired.

Both answer `{"access_token", "expires_in", "token_type": "Bearer", "scope"}`; failures answer
RFC 6749's `{"error", "error_description"}`. `GET /tokeninfo?access_token=` tells whom a token
speaks for (`azp`, `email` for a service account), its `scope` and `expires_in`. Admin routes
(`/_emulator/...`) need the emulator key like every admin route. Registered public keys live in
`<data dir>/service-accounts.json` (public halves only; private keys are never kept).
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from tui.emulator.auth import AUTH, DEFAULT_SCOPE, TOKEN_PREFIX
from tui.emulator.bodies import json_body, read_json
from tui.emulator.wire import ApiError, invalid

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth signs service-account assertions for Google's token endpoint whatever token_uri says
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
MAX_LIFETIME_S = 24 * 3600
CLOCK_SKEW_S = 10


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description

    def response(self) -> web.Response:
        return json_body({"error": self.error, "error_description": self.description}, status=self.status)


class ServiceAccounts:
    """Registered service-account public keys: client email -> {key id: public key PEM}."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.keys: dict[str, dict[str, str]] = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            self.keys = {}

    def _save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(self.keys, option=orjson.OPT_INDENT_2))
        os.replace(tmp, self.path)

    def add(self, email: str, key_id: str, public_pem: str) -> None:
        self.keys.setdefault(email, {})[key_id] = public_pem
        self._save()

    def remove(self, email: str) -> bool:
        found = self.keys.pop(email, None) is not None
        if found:
            self._save()
        return found


SERVICE_ACCOUNTS = web.AppKey("service_accounts", ServiceAccounts)


def _token_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}/token"


async def _form(request: web.Request) -> dict[str, str]:
    if request.content_type == "application/json":
        body = orjson.loads(await request.read() or b"{}")
        return {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    return {k: str(v) for k, v in (await request.post()).items()}


def _verify_assertion(request: web.Request, assertion: str) -> tuple[str, tuple[str, ...]]:
    """The service account a JWT-bearer assertion speaks for, and its scopes; OAuthError if refused."""
    from google.auth import exceptions, jwt

    try:
        header, claims, _, _ = jwt._unverified_decode(assertion)
    except (ValueError, exceptions.MalformedError) as exc:
        raise OAuthError(400, "invalid_grant", f"Invalid JWT: {exc}") from None
    if header.get("alg") != "RS256":
        raise OAuthError(400, "invalid_grant", f"Invalid JWT: alg must be RS256, not {header.get('alg')!r}.")
    email = str(claims.get("iss", ""))
    keys = request.app[SERVICE_ACCOUNTS].keys.get(email)
    if not keys:
        raise OAuthError(400, "invalid_grant", f"Invalid JWT: no service account {email!r} is registered "
                                               "(POST /_emulator/service-accounts).")  # fmt: skip
    if header.get("kid") and header["kid"] not in keys:
        raise OAuthError(400, "invalid_grant", f"Invalid JWT Signature: key {header['kid']!r} of {email} "
                                               "is not registered.")  # fmt: skip
    try:
        verified = jwt.decode(assertion, certs=keys, audience=[_token_url(request), GOOGLE_TOKEN_AUDIENCE],
                              clock_skew_in_seconds=CLOCK_SKEW_S)  # fmt: skip
    except (ValueError, exceptions.GoogleAuthError) as exc:
        raise OAuthError(400, "invalid_grant", f"Invalid JWT: {exc}") from None
    scopes = tuple(str(verified.get("scope") or DEFAULT_SCOPE).split())
    return email, scopes


def add_routes(app: web.Application) -> None:
    async def token(request: web.Request) -> web.Response:
        authenticator = request.app[AUTH]
        try:
            form = await _form(request)
            grant = form.get("grant_type", "")
            if grant == "refresh_token":
                client_id = form.get("client_id", "")
                problem = authenticator.check_refresh(client_id, form.get("client_secret", ""),
                                                      form.get("refresh_token", ""))  # fmt: skip
                if problem == "invalid_client":
                    raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
                if problem:
                    raise OAuthError(400, "invalid_grant", "Bad Request: the refresh token is not valid for "
                                                           "this client.")  # fmt: skip
                scopes = tuple(form.get("scope", DEFAULT_SCOPE).split())
                access, lifetime = authenticator.issue("authorized_user", client_id, scopes)
            elif grant == JWT_BEARER:
                email, scopes = _verify_assertion(request, form.get("assertion", ""))
                access, lifetime = authenticator.issue("service_account", email, scopes)
            else:
                raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant!r}; this endpoint "
                                 f"takes 'refresh_token' and '{JWT_BEARER}'.")  # fmt: skip
        except OAuthError as error:
            return error.response()
        except ValueError as exc:
            return OAuthError(400, "invalid_request", f"Unreadable request body: {exc}").response()
        return json_body({"access_token": access, "expires_in": lifetime, "token_type": "Bearer",
                          "scope": " ".join(scopes)})  # fmt: skip

    async def token_info(request: web.Request) -> web.Response:
        """Like Google's tokeninfo: who an access token speaks for, its scopes and remaining lifetime."""
        from tui.emulator.auth import Unauthenticated

        given = request.query.get("access_token", "")
        try:
            principal = request.app[AUTH].verify(given) if given.startswith(TOKEN_PREFIX) else None
        except Unauthenticated as error:
            return OAuthError(400, "invalid_token", error.message).response()
        if principal is None or principal.expires is None:
            return OAuthError(400, "invalid_token", "Invalid Value: pass an access token from /token.").response()
        info = {"azp": principal.subject, "aud": principal.subject, "scope": " ".join(principal.scopes),
                "exp": str(int(principal.expires)), "expires_in": str(max(0, int(principal.expires - time.time())))}
        if principal.kind == "service_account":
            info["email"] = principal.subject
        return json_body(info)

    async def add_service_account(request: web.Request) -> web.Response:
        body = await _object(request)
        email = body.get("clientEmail")
        if not isinstance(email, str) or not EMAIL.match(email):
            raise invalid("clientEmail", "required: the service account's email, e.g. "
                                         "trainer@my-project.iam.gserviceaccount.com")  # fmt: skip
        key_id = body.get("privateKeyId") or secrets.token_hex(20)
        pem = body.get("publicKeyPem")
        answer: dict[str, Any] = {"clientEmail": email, "privateKeyId": key_id}
        if pem is None:  # mint a key pair and hand back a complete key file, as creating a key does
            answer["keyFile"] = _key_file(request, email, key_id, body.get("projectId"))
            pem = answer["keyFile"].pop("_public_pem")
        elif not isinstance(pem, str) or not _loads_public_key(pem):
            raise invalid("publicKeyPem", "not a PEM public key or certificate ('-----BEGIN PUBLIC KEY-----...')")
        request.app[SERVICE_ACCOUNTS].add(email, str(key_id), pem)
        return json_body(answer)

    async def list_service_accounts(request: web.Request) -> web.Response:
        accounts = request.app[SERVICE_ACCOUNTS].keys
        return json_body({"serviceAccounts": [{"clientEmail": e, "privateKeyIds": sorted(k)} for e, k in
                                              sorted(accounts.items())]} if accounts else {})  # fmt: skip

    async def delete_service_account(request: web.Request) -> web.Response:
        email = request.match_info["email"]
        if not request.app[SERVICE_ACCOUNTS].remove(email):
            raise ApiError(404, f"Service account {email} is not registered.")
        return json_body({})

    async def add_authorized_user(request: web.Request) -> web.Response:
        body = await _object(request)
        client_id = body.get("clientId") or f"{secrets.randbelow(10**12):012d}-emulator.apps.googleusercontent.com"
        if not isinstance(client_id, str):
            raise invalid("clientId", "must be a string")
        authenticator = request.app[AUTH]
        return json_body({"type": "authorized_user", "client_id": client_id,
                          "client_secret": authenticator.client_secret(client_id),
                          "refresh_token": authenticator.refresh_token(client_id),
                          "token_uri": _token_url(request)})  # fmt: skip

    async def get_auth_config(request: web.Request) -> web.Response:
        return json_body({"accessTokenLifetime": request.app[AUTH].access_token_lifetime})

    async def set_auth_config(request: web.Request) -> web.Response:
        body = await _object(request)
        for key in body:
            if key != "accessTokenLifetime":
                raise invalid(key, "unknown setting; use accessTokenLifetime (seconds)")
        if "accessTokenLifetime" in body:
            value = body["accessTokenLifetime"]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIFETIME_S:
                raise invalid("accessTokenLifetime", f"must be a whole number of seconds from 1 to {MAX_LIFETIME_S}")
            request.app[AUTH].access_token_lifetime = value
        return await get_auth_config(request)

    app.router.add_post("/token", token)
    app.router.add_get("/tokeninfo", token_info)
    app.router.add_post("/_emulator/service-accounts", add_service_account)
    app.router.add_get("/_emulator/service-accounts", list_service_accounts)
    app.router.add_delete("/_emulator/service-accounts/{email}", delete_service_account)
    app.router.add_post("/_emulator/authorized-users", add_authorized_user)
    app.router.add_get("/_emulator/auth", get_auth_config)
    app.router.add_post("/_emulator/auth", set_auth_config)


async def _object(request: web.Request) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise invalid("", "the body must be a JSON object")
    return body


def _loads_public_key(pem: str) -> bool:
    from google.auth import crypt

    try:
        crypt.RSAVerifier.from_string(pem)
    except (ValueError, TypeError):
        return False
    return True


def _key_file(request: web.Request, email: str, key_id: str, project: Any) -> dict[str, Any]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()  # fmt: skip
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()  # fmt: skip
    return {"type": "service_account", "project_id": project or email.partition("@")[2].split(".")[0],
            "private_key_id": key_id, "private_key": private, "client_email": email,
            "client_id": str(secrets.randbelow(10**21)), "token_uri": _token_url(request),
            "_public_pem": public}  # fmt: skip
