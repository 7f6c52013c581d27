"""Changing the test switches at runtime (`POST /_emulator/config`): the whole body or nothing.

The body is validated as a whole first (pydantic); only a valid body changes anything, so a
refused change never leaves some switches set.
"""

from __future__ import annotations

import random
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from tui.emulator.wire import BAD_REQUEST_TYPE, ApiError, invalid

SWITCHES = ("denyScopes", "faultRate", "faultCodes", "stepDelay", "faultSeed")

StatusCode = Annotated[StrictInt, Field(ge=400, le=599)]


class ConfigChange(BaseModel):
    """A body of `POST /_emulator/config`; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    denyScopes: StrictBool = False
    faultRate: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False, strict=True)] = 0.0
    faultCodes: Annotated[list[StatusCode], Field(min_length=1, max_length=50)] = [429, 503]
    stepDelay: Annotated[float, Field(ge=0.0, le=60.0, allow_inf_nan=False, strict=True)] = 0.0
    faultSeed: Annotated[StrictInt, Field(ge=-(2**63), le=2**63 - 1)] | None = None


def _violations(exc: ValidationError) -> ApiError:
    fields = []
    for problem in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in problem["loc"]) or "(body)"
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = f"unknown switch; use {', '.join(SWITCHES)}"
        fields.append({"field": where, "description": message})
    summary = "; ".join(f"{f['field']}: {f['description']}" for f in fields)
    return ApiError(400, f"{summary} (nothing was changed)",
                    details=[{"@type": BAD_REQUEST_TYPE, "fieldViolations": fields}])  # fmt: skip


def parse_change(body: Any) -> ConfigChange:
    """Validate a whole config body; ApiError (400, naming every bad field) if any part is wrong."""
    if not isinstance(body, dict):
        raise invalid("", "the body must be a JSON object of switches (nothing was changed)")
    try:
        return ConfigChange.model_validate(body)
    except ValidationError as exc:
        raise _violations(exc) from None


def apply_change(config: Any, change: ConfigChange) -> None:
    """Set every switch the change names (it is already valid, so this cannot fail half way)."""
    given = change.model_fields_set
    if "denyScopes" in given:
        config.deny_scopes = change.denyScopes
    if "faultRate" in given:
        config.fault_rate = float(change.faultRate)
    if "faultCodes" in given:
        config.fault_codes = tuple(change.faultCodes)
    if "faultSeed" in given:
        config.fault_seed = change.faultSeed
        config.rng = random.Random(change.faultSeed)
    if "stepDelay" in given:
        config.step_delay = float(change.stepDelay)
