"""Checks of a Vertex AI set-up, each with the fix in words (for `tunedeck doctor`).

In order, stopping where a later check cannot run: credentials found (and of which kind),
a token obtained with them, project set, location offering the base model, permission to
tune (a one-item list of tuning jobs), the dataset bucket existing and writable (asked with
testIamPermissions, which writes nothing), a quota project for user credentials. Nothing is
created or changed anywhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from tui.jobs.errors import BackendError
from tui.jobs.vertex.credentials import LOGIN_HELP, PROJECT_HELP, Authorizer, GoogleCloud, load_google_cloud
from tui.jobs.vertex.place import aiplatform_url
from tui.jobs.vertex.rest import Rest
from tui.jobs.vertex.storage import GCS_URL, NEEDED_PERMISSIONS, CloudStorage

# Where each tunable model can be tuned (reference §4): Gemini 3.x only in these two regions; 2.5 models in a
# longer list the reference has only in part, so other regions are reported as unverified, not refused.
TUNING_REGIONS_3X = ("us-central1", "europe-west4")
KNOWN_REGIONS_25 = ("us-central1", "europe-west4")


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool | None  # None: could not be verified (a warning, not a failure)
    detail: str
    fix: str = ""


def location_check(location: str, base_model: str) -> Check:
    short = base_model.rsplit("/", 1)[-1]
    if short.startswith("gemini-3"):
        if location in TUNING_REGIONS_3X:
            return Check("location", True, f"{location} tunes {short}")
        return Check("location", False, f"{short} is tuned only in {' or '.join(TUNING_REGIONS_3X)}, not {location}",
                     "set GOOGLE_CLOUD_LOCATION=us-central1 (or pass --location)")
    if location in KNOWN_REGIONS_25:
        return Check("location", True, f"{location} tunes {short}")
    return Check("location", None, f"{location} may not tune {short} (not verified here)",
                 "check Google's supervised-tuning region list, or use us-central1")


async def run_checks(env: Mapping[str, str], *, bucket: str | None, base_model: str = "gemini-2.5-flash",
                     project: str | None = None, location: str | None = None, quota_project: str | None = None,
                     base_url: str | None = None, storage_url: str = GCS_URL) -> list[Check]:
    """The doctor's checks for Vertex AI on Google (or on another server given by the URLs)."""
    checks: list[Check] = []
    try:
        cloud: GoogleCloud = await asyncio.to_thread(load_google_cloud, env, project=project, location=location,
                                                     quota_project=quota_project)
    except BackendError as exc:
        return [Check("credentials", False, exc.message, exc.next_step or LOGIN_HELP)]
    checks.append(Check("credentials", True, f"{cloud.kind.replace('_', ' ')} from {cloud.source}"))
    authorizer = Authorizer(cloud.credentials, cloud.quota_project)
    try:
        await authorizer.refresh_if_needed()
    except BackendError as exc:
        return [*checks, Check("token", False, exc.message, exc.next_step)]
    checks.append(Check("token", True, f"a token for {cloud.identity}"))
    if not cloud.project:
        return [*checks, Check("project", False, "no Google Cloud project is set", PROJECT_HELP)]
    checks.append(Check("project", True, f"{cloud.project} (from {cloud.project_source})"))
    checks.append(location_check(cloud.location, base_model))

    where = base_url or aiplatform_url(cloud.location)
    vertex = Rest(authorizer, where, where="Vertex AI", unreachable_hint="check your network connection",
                  project=cloud.project, identity=cloud.identity)
    storage = CloudStorage(Rest(authorizer, storage_url, where="Cloud Storage",
                                unreachable_hint="check your network connection", project=cloud.project,
                                identity=cloud.identity))
    try:
        try:
            await vertex.call("GET", f"v1beta1/projects/{cloud.project}/locations/{cloud.location}/tuningJobs",
                              query={"pageSize": 1})
            checks.append(Check("permission", True, f"may list tuning jobs in {cloud.project}/{cloud.location}"))
        except BackendError as exc:
            checks.append(Check("permission", False, exc.message, exc.next_step))
        checks.append(await _bucket_check(storage, bucket, cloud))
    finally:
        await vertex.close()
        await storage.rest.close()
    if cloud.kind == "authorized_user" and not cloud.quota_project:
        checks.append(Check("quota project", None, "user credentials without a quota project: some APIs bill and "
                            "limit them against Google's own project", "run `gcloud auth application-default "
                            f"set-quota-project {cloud.project}`"))
    elif cloud.quota_project:
        checks.append(Check("quota project", True, f"{cloud.quota_project} (sent as x-goog-user-project)"))
    return checks


async def _bucket_check(storage: CloudStorage, bucket: str | None, cloud: GoogleCloud) -> Check:
    create = f"`gcloud storage buckets create gs://NAME --project={cloud.project} --location={cloud.location}`"
    if not bucket:
        return Check("bucket", False, "no bucket is set for dataset uploads",
                     f"create one with {create}, then pass --bucket NAME (or set \"bucket\" in config.json)")
    try:
        access = await storage.check_bucket(bucket)
    except BackendError as exc:
        return Check("bucket", False, exc.message, exc.next_step)
    if not access.exists:
        return Check("bucket", False, f"gs://{bucket} does not exist",
                     f"create it with {create.replace('NAME', bucket)}")
    if not access.writable:
        missing = ", ".join(sorted(set(NEEDED_PERMISSIONS) - access.granted))
        return Check("bucket", False, f"{cloud.identity} lacks {missing} on gs://{bucket}",
                     f"grant Storage Object Admin on gs://{bucket} to {cloud.identity}")
    return Check("bucket", True, f"gs://{bucket} exists and is writable")
