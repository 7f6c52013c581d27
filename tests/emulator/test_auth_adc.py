"""google-auth's real refresh path against the emulator's /token: ADC files whose token_uri points at it.

Both kinds of ADC file: authorized_user (client id, secret, refresh token) and service_account
(an RSA key made here with `cryptography`, its public half registered with the emulator).
google-auth honours `token_uri` in a service-account file but always replaces it with Google's
endpoint for an authorized-user file, so those credentials get `.with_token_uri(...)` after loading.
Every name lookup other than the loopback address fails the test: no Google host is ever asked.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.emulator.storage_http import call

# google-auth warns that loading a credential file of unknown kind is risky; these files are the test's own.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:google.auth._default")
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
VERTEX_PATH = "/v1/projects/p/locations/us-central1/noSuchCollection"  # 404 once past auth


def admin(emu, path: str, body: dict):
    reply = call(emu.url, "POST", path, body, {"x-goog-api-key": emu.api_key})
    assert reply.status == 200, reply.body
    return reply.json()


def register(emu, email: str, key_id: str, public_pem: str) -> None:
    body = {"clientEmail": email, "privateKeyId": key_id, "publicKeyPem": public_pem}
    admin(emu, "/_emulator/service-accounts", body)


def rsa_key() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()  # fmt: skip
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()  # fmt: skip
    return private, public


def service_account_file(emu, tmp_path, email: str, key_id: str, private: str):
    path = tmp_path / f"{key_id}.json"
    path.write_text(json.dumps({"type": "service_account", "project_id": "emu-project", "private_key_id": key_id,
                                "private_key": private, "client_email": email, "client_id": "1234567890",
                                "token_uri": f"{emu.url}/token"}))  # fmt: skip
    return path


def session(credentials):
    from google.auth.transport.requests import AuthorizedSession

    return AuthorizedSession(credentials)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", b"127.0.0.1"):
            raise AssertionError(f"the test tried to reach {host!r}; only the emulator on loopback is allowed")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


def load_user(path, emu):
    """An authorized-user ADC file loaded by google-auth, its token endpoint set to the emulator's."""
    import google.auth

    credentials, _ = google.auth.load_credentials_from_file(str(path), scopes=SCOPES)
    credentials = credentials.with_token_uri(json.loads(path.read_text())["token_uri"])
    assert credentials.token_uri == f"{emu.url}/token"
    return credentials


@pytest.fixture
def user_file(emulator, tmp_path):
    path = tmp_path / "application_default_credentials.json"
    path.write_text(json.dumps(admin(emulator, "/_emulator/authorized-users", {})))
    return path


def test_authorized_user_file_refreshes_through_the_emulator(emulator, user_file):
    credentials = load_user(user_file, emulator)
    assert credentials.token is None
    reply = session(credentials).get(f"{emulator.url}{VERTEX_PATH}")
    assert reply.status_code == 404  # got past auth with the token google-auth fetched from /token
    assert credentials.token.startswith("ya29.") and credentials.expiry is not None
    info = call(emulator.url, "GET", f"/tokeninfo?access_token={credentials.token}").json()
    assert info["azp"] == json.loads(user_file.read_text())["client_id"]


def test_expired_token_is_refused_then_refreshed_by_google_auth(emulator, user_file):
    from google.auth.transport.requests import Request

    admin(emulator, "/_emulator/auth", {"accessTokenLifetime": 2})
    credentials = load_user(user_file, emulator)
    credentials.refresh(Request())
    first = credentials.token
    assert call(emulator.url, "GET", VERTEX_PATH, token=first).status == 404
    time.sleep(2.1)
    refused = call(emulator.url, "GET", VERTEX_PATH, token=first)
    assert refused.status == 401 and refused.json()["error"]["details"][0]["reason"] == "ACCESS_TOKEN_EXPIRED"
    # Hide the expiry from google-auth so it sends the stale token: the 401 makes it refresh and retry.
    credentials.expiry = None
    reply = session(credentials).get(f"{emulator.url}/storage/v1/b?project=emu-project")
    assert reply.status_code == 200 and credentials.token != first
    # With the expiry known, google-auth refreshes before sending (tokens this short are always "expired" to it).
    credentials.refresh(Request())
    second = credentials.token
    time.sleep(2.1)
    assert session(credentials).get(f"{emulator.url}{VERTEX_PATH}").status_code == 404
    assert credentials.token not in (first, second)


def test_service_account_file_signs_a_jwt_the_emulator_verifies(emulator, tmp_path):
    import google.auth

    email = "trainer@emu-project.iam.gserviceaccount.com"
    private, public = rsa_key()
    register(emulator, email, "key-1", public)
    path = service_account_file(emulator, tmp_path, email, "key-1", private)
    credentials, project = google.auth.load_credentials_from_file(str(path), scopes=SCOPES)
    assert project == "emu-project"
    assert session(credentials).get(f"{emulator.url}{VERTEX_PATH}").status_code == 404
    info = call(emulator.url, "GET", f"/tokeninfo?access_token={credentials.token}").json()
    assert info["email"] == email and info["scope"] == SCOPES[0]


def test_service_account_key_the_emulator_does_not_know_is_refused(emulator, tmp_path):
    import google.auth
    from google.auth.exceptions import RefreshError
    from google.auth.transport.requests import Request

    email = "trainer@emu-project.iam.gserviceaccount.com"
    _, public = rsa_key()
    register(emulator, email, "key-1", public)
    other_private, _ = rsa_key()
    forged = service_account_file(emulator, tmp_path, email, "key-1", other_private)  # right key id, wrong key
    credentials, _ = google.auth.load_credentials_from_file(str(forged), scopes=SCOPES)
    with pytest.raises(RefreshError, match="invalid_grant"):
        credentials.refresh(Request())
    unknown = service_account_file(emulator, tmp_path, "someone@else.iam.gserviceaccount.com", "key-9", other_private)
    credentials, _ = google.auth.load_credentials_from_file(str(unknown), scopes=SCOPES)
    with pytest.raises(RefreshError, match="no service account"):
        credentials.refresh(Request())


def test_minted_service_account_key_file_works_after_a_restart(emulator_factory, tmp_path):
    import google.auth

    first = emulator_factory()
    minted = admin(first, "/_emulator/service-accounts", {"clientEmail": "minted@emu-project.iam.gserviceaccount.com"})
    key_file = minted["keyFile"]
    assert key_file["type"] == "service_account" and key_file["private_key"].startswith("-----BEGIN PRIVATE KEY")
    first.stop()
    again = emulator_factory(data_dir=first.data_dir)
    assert "PRIVATE KEY" not in (first.data_dir / "service-accounts.json").read_text()
    key_file["token_uri"] = f"{again.url}/token"
    path = tmp_path / "minted.json"
    path.write_text(json.dumps(key_file))
    credentials, _ = google.auth.load_credentials_from_file(str(path), scopes=SCOPES)
    assert session(credentials).get(f"{again.url}{VERTEX_PATH}").status_code == 404


def test_jwt_assertion_audience_and_expiry_are_checked(emulator):
    from google.auth import crypt, jwt

    email = "signer@emu-project.iam.gserviceaccount.com"
    private, public = rsa_key()
    admin(emulator, "/_emulator/service-accounts", {"clientEmail": email, "privateKeyId": "k1", "publicKeyPem": public})
    signer = crypt.RSASigner.from_string(private, key_id="k1")
    now = int(time.time())

    def grant(**claims):
        payload = {"iss": email, "aud": f"{emulator.url}/token", "scope": SCOPES[0], "iat": now, "exp": now + 600}
        assertion = jwt.encode(signer, payload | claims).decode()
        body = f"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}"
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        return call(emulator.url, "POST", "/token", body.encode(), form)

    assert grant().status == 200
    wrong_audience = grant(aud="https://elsewhere.invalid/token")
    assert wrong_audience.status == 400 and "audience" in wrong_audience.json()["error_description"]
    expired = grant(iat=now - 7200, exp=now - 3600)
    assert expired.status == 400 and "expired" in expired.json()["error_description"].lower()


EMAIL_GENAI = "genai@emu-project.iam.gserviceaccount.com"


def test_google_genai_in_vertex_mode_authenticates_with_a_service_account_file(emulator, tmp_path):
    """genai refreshes the file's credentials through /token and sends the token as Bearer; tunings.list answers."""
    import google.auth
    import google.oauth2.credentials
    from google import genai
    from google.genai import errors, types

    minted = admin(emulator, "/_emulator/service-accounts", {"clientEmail": EMAIL_GENAI})
    path = tmp_path / "genai-sa.json"
    path.write_text(json.dumps(minted["keyFile"]))
    credentials, project = google.auth.load_credentials_from_file(str(path), scopes=SCOPES)
    options = types.HttpOptions(base_url=f"{emulator.url}/", api_version="v1beta1")

    def status_of(creds) -> int:
        client = genai.Client(vertexai=True, project=project, location="us-central1", credentials=creds,
                              http_options=options)  # fmt: skip
        try:
            list(client.tunings.list())
        except errors.APIError as exc:
            return exc.code
        return 200

    assert status_of(credentials) == 200
    assert credentials.token.startswith("ya29.emu.")
    assert status_of(google.oauth2.credentials.Credentials(token="ya29.not-from-here")) == 401
