"""Fixtures for Vertex tests: credentials files written the way gcloud and the IAM console write them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def rsa_private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture(scope="session")
def private_key_pem() -> str:
    return rsa_private_key_pem()


def authorized_user(token_uri: str = "https://oauth2.googleapis.com/token", **extra) -> dict:
    """What `gcloud auth application-default login` writes."""
    return {"type": "authorized_user", "client_id": "764086051850-abc.apps.googleusercontent.com",
            "client_secret": "d-FL95Q19q7MQmFpd7hHD0Ty", "refresh_token": "1//refresh-secret-value",
            "token_uri": token_uri, **extra}


def service_account(private_key: str, token_uri: str = "https://oauth2.googleapis.com/token", **extra) -> dict:
    """A service-account key file as the IAM console downloads it."""
    return {"type": "service_account", "project_id": "sa-project", "private_key_id": "0123abcd",
            "private_key": private_key, "client_email": "tuner@sa-project.iam.gserviceaccount.com",
            "client_id": "1234567890", "token_uri": token_uri, **extra}


def write_json(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
