"""Building a Vertex backend for Google (from Application Default Credentials) or for the local emulator.

`tui.jobs.service` calls one of these when the settings choose Vertex. Both block (they read
credentials files and import google-auth and google-genai): call them in a thread.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.vertex.backend import VertexBackend
from tui.jobs.vertex.credentials import PROJECT_HELP, load_google_cloud, static_credentials
from tui.jobs.vertex.place import VertexPlace
from tui.jobs.vertex.storage import storage_base_url

LOCAL_PROJECT = "tunedeck-local"
LOCAL_LOCATION = "us-central1"
LOCAL_BUCKET = "tunedeck-local"
LOCAL_UNREACHABLE = ("start it with `tunedeck emulator serve`, or run without TUNEDECK_LOCAL_URL to let tunedeck "
                     "start one")


def vertex_backend(data_dir: Path, env: Mapping[str, str] | None = None, *, project: str | None = None,
                   location: str | None = None, bucket: str | None = None, quota_project: str | None = None,
                   base_url: str | None = None) -> VertexBackend:
    """Vertex AI on Google with the user's ADC; `base_url` only to reach another aiplatform host.

    Raises BackendError when no credentials file is found or no project is set.
    """
    env = os.environ if env is None else env
    cloud = load_google_cloud(env, project=project, location=location, quota_project=quota_project)
    if not cloud.project:
        raise BackendError(ErrorKind.BAD_KEY, f"no Google Cloud project is set (credentials: {cloud.source})",
                           PROJECT_HELP)
    place = VertexPlace(cloud.project, cloud.location, base_url=base_url, storage_url=storage_base_url(env),
                        bucket=bucket)
    return VertexBackend(place, cloud.credentials, quota_project=cloud.quota_project, identity=cloud.identity,
                         name="vertex", description=cloud.describe(), work_dir=data_dir, describe=cloud.describe)


def vertex_local_backend(url: str, data_dir: Path, token: str, *, project: str = LOCAL_PROJECT,
                         location: str = LOCAL_LOCATION, bucket: str = LOCAL_BUCKET) -> VertexBackend:
    """Vertex AI as the local emulator at `url` speaks it (tuning, TensorBoard and Cloud Storage on one port)."""
    url = url.rstrip("/")
    place = VertexPlace(project, location, base_url=url, storage_url=url, bucket=bucket)
    where = urlsplit(url).netloc or url
    return VertexBackend(place, static_credentials(token), name="vertex-local",
                         description=f"Vertex AI · local emulator at {where}", work_dir=data_dir,
                         unreachable_hint=LOCAL_UNREACHABLE, poll_policy=None)
