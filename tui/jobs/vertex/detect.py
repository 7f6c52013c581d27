"""Which Google Cloud credentials file and project there are, found without loading anything.

The first steps of `tui.jobs.vertex.credentials`, for choosing a backend when tunedeck
starts: the file's path (`GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's Application Default
Credentials file), the project (`GOOGLE_CLOUD_PROJECT`, the file's, gcloud's active
configuration, read from its file), and what GOOGLE_GENAI_USE_VERTEXAI asks for. Only the
standard library's path and environment helpers are loaded at start-up; json and
configparser load when there is a file to read.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

ADC_FILE = "application_default_credentials.json"
TRUE = ("1", "true", "yes", "on")


def gcloud_config_dir(env: Mapping[str, str]) -> Path:
    """gcloud's configuration directory: $CLOUDSDK_CONFIG, else ~/.config/gcloud (%APPDATA%\\gcloud on Windows)."""
    if env.get("CLOUDSDK_CONFIG"):
        return Path(env["CLOUDSDK_CONFIG"])
    if sys.platform == "win32" and env.get("APPDATA"):
        return Path(env["APPDATA"]) / "gcloud"
    return Path(env.get("HOME") or Path.home()) / ".config" / "gcloud"


def adc_file(env: Mapping[str, str]) -> Path:
    """Where `gcloud auth application-default login` writes its credentials."""
    return gcloud_config_dir(env) / ADC_FILE


def credentials_file(env: Mapping[str, str]) -> tuple[Path, str] | None:
    """The credentials file to use and where its name came from, or None when there is none."""
    explicit = env.get("GOOGLE_APPLICATION_CREDENTIALS", "").strip()
    if explicit:
        return Path(explicit).expanduser(), "$GOOGLE_APPLICATION_CREDENTIALS"
    default = adc_file(env)
    if default.is_file():
        return default, "gcloud ADC file"
    return None


def wants_vertex(env: Mapping[str, str]) -> bool | None:
    """What GOOGLE_GENAI_USE_VERTEXAI (or its newer alias GOOGLE_GENAI_USE_ENTERPRISE) asks for; None if unset."""
    for name in ("GOOGLE_GENAI_USE_ENTERPRISE", "GOOGLE_GENAI_USE_VERTEXAI"):
        value = env.get(name)
        if value is not None:
            return value.strip().lower() in TRUE
    return None


def gcloud_project(env: Mapping[str, str]) -> str | None:
    """`core/project` of gcloud's active configuration, read from its file (gcloud itself is not run)."""
    directory = gcloud_config_dir(env)
    name = env.get("CLOUDSDK_ACTIVE_CONFIG_NAME", "").strip()
    if not name:
        try:
            name = (directory / "active_config").read_text(encoding="utf-8").strip() or "default"
        except OSError:
            name = "default"
    path = directory / "configurations" / f"config_{name}"
    if not path.is_file():  # no gcloud here (configparser is not loaded at start-up for nothing)
        return None
    import configparser

    parser = configparser.ConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    return parser.get("core", "project", fallback=None) or None


def project_in_file(path: Path) -> str | None:
    """The `project_id` a credentials file names (service-account keys do), read without google-auth."""
    import json

    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    project = info.get("project_id") if isinstance(info, dict) else None
    return project if isinstance(project, str) and project else None


def detect_project(env: Mapping[str, str], configured: str | None = None) -> str | None:
    """The project Vertex calls would use, found without loading credentials (cheap; for choosing a backend)."""
    found = credentials_file(env)
    return (configured or env.get("GOOGLE_CLOUD_PROJECT") or env.get("GCLOUD_PROJECT")
            or (project_in_file(found[0]) if found else None) or gcloud_project(env))
