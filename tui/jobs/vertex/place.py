"""Where Vertex calls go: project, location, the aiplatform host, the storage host and the bucket."""

from __future__ import annotations

from dataclasses import dataclass

MULTI_REGIONS = ("us", "eu")


def aiplatform_url(location: str) -> str:
    """Vertex AI's host for a location, as google-genai picks it (reference §1.5)."""
    if location == "global":
        return "https://aiplatform.googleapis.com"
    if location in MULTI_REGIONS:
        return f"https://aiplatform.{location}.rep.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"


@dataclass(frozen=True)
class VertexPlace:
    """Where the backend sends its calls: project, location, hosts and bucket."""

    project: str
    location: str
    base_url: str | None = None  # None: Google's host for the location
    storage_url: str = "https://storage.googleapis.com"
    bucket: str | None = None

    @property
    def api_url(self) -> str:
        return (self.base_url or aiplatform_url(self.location)).rstrip("/")

    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.location}"
