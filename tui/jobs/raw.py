"""The few tuning calls that must bypass google-genai's typed methods.

Why this module exists: in Gemini-API mode, google-genai 3.6.1 loses data on exactly
these calls (reference: gemini-tuning-api.md §6.2-6.3):
- `tunings.tune` never sends `tuningTask.trainingData` (the examples) nor
  `learningRateMultiplier`, so a tuned model cannot be created through it;
- `tunings.get` / `models.get` drop `tuningTask.snapshots` and `hyperparameters`, which
  are the loss curve;
- `models.list` drops each tuned model's `state`;
- `tunings.cancel` posts to `tunedModels/{id}:cancel`, a route that does not exist; the
  documented cancel is the v1 long-running-operation route.
These calls therefore go through the SDK's own request path
(`client.aio._api_client.async_request`), so auth headers, base URL, API version,
timeouts and error types stay those of the SDK. Everything else uses the typed API.
`tests/jobs/test_raw_contract.py` fails when a future SDK changes what we rely on here.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

LIST_PAGE_SIZE = 100


async def _call(
    client: Any, method: str, path: str, body: dict | None = None, http_options: dict | None = None
) -> dict:
    response = await client.aio._api_client.async_request(method, path, body or {}, http_options)
    return json.loads(response.body) if response.body else {}


async def create_tuned_model(client: Any, tuned_model: dict, tuned_model_id: str | None = None) -> dict:
    """POST tunedModels with the full TunedModel body; returns the Operation."""
    path = "tunedModels"
    if tuned_model_id:
        path += "?" + urlencode({"tunedModelId": tuned_model_id})
    return await _call(client, "post", path, tuned_model)


async def get_tuned_model(client: Any, name: str) -> dict:
    """GET tunedModels/{id} with snapshots and hyperparameters intact."""
    return await _call(client, "get", quote(name, safe="/"))


async def get_operation(client: Any, operation: str) -> dict:
    """GET tunedModels/{id}/operations/{op}: metadata with totalSteps and completedSteps."""
    return await _call(client, "get", quote(operation, safe="/"))


async def list_operations(client: Any, name: str) -> list[dict]:
    """GET tunedModels/{id}/operations (first page; a tuned model has one create operation)."""
    body = await _call(client, "get", quote(name, safe="/") + "/operations")
    return list(body.get("operations", []))


async def list_tuned_models(client: Any, page_size: int = LIST_PAGE_SIZE) -> list[dict]:
    """GET tunedModels, following nextPageToken, with each model's state kept."""
    models: list[dict] = []
    token: str | None = None
    while True:
        query: dict[str, str | int] = {"pageSize": page_size}
        if token:
            query["pageToken"] = token
        body = await _call(client, "get", "tunedModels?" + urlencode(query))
        models.extend(body.get("tunedModels", []))
        token = body.get("nextPageToken")
        if not token:
            return models


async def cancel_operation(client: Any, operation: str) -> dict:
    """POST v1 tunedModels/{id}/operations/{op}:cancel (only v1 binds this route)."""
    return await _call(client, "post", quote(operation, safe="/") + ":cancel", {}, {"api_version": "v1"})
