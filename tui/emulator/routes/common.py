"""Helpers shared by the Gemini API route modules: path patterns and looking up a tuned model."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tui.emulator.state import STATE
from tui.emulator.wire import not_found

GEMINI_VERSIONS = ("v1beta", "v1")
MODEL_ID = r"{model_id:[a-z][a-z0-9-]*}"
OP_ID = r"{op_id:[a-z0-9]+}"
BASE = r"{base:[^/:]+}"


def tuned_record(request: web.Request) -> dict[str, Any]:
    """The stored tuned model named by the path's `model_id`, or 404."""
    model_id = request.match_info["model_id"]
    record = request.app[STATE].store.get_model(model_id)
    if record is None:
        raise not_found(f"Tuned model tunedModels/{model_id} does not exist.")
    return record
