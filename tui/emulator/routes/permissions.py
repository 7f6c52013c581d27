"""Sharing a tuned model: `tunedModels/{id}/permissions` and `:transferOwnership` (v1beta).

Roles nest: READER uses the model, WRITER also edits and shares, OWNER also deletes. The
creator holds the OWNER permission (as `OWNER_EMAIL`: the emulator has no identities).
OWNER is never granted directly: `transferOwnership` makes the new owner OWNER and the
previous owner WRITER. `granteeType: EVERYONE` shares publicly, as READER, with no email.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from tui.emulator.bodies import json_body, read_json
from tui.emulator.limits import MAX_EMAIL
from tui.emulator.paging import decode_token, encode_token, page_size
from tui.emulator.resources import as_object, as_text, random_suffix
from tui.emulator.routes.common import MODEL_ID, tuned_record
from tui.emulator.state import STATE
from tui.emulator.store import Store
from tui.emulator.wire import ApiError, failed_precondition, invalid, not_found

OWNER_EMAIL = "owner@localhost"
ROLES = ("READER", "WRITER", "OWNER")
GRANTEE_TYPES = ("USER", "GROUP", "EVERYONE")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
PERMISSION_ID = r"{permission_id:[a-z0-9]+}"


def grant_owner(store: Store, model_id: str) -> None:
    """The creator's OWNER permission, added when a tuned model is created."""
    store.add_permission(model_id, random_suffix(12), "USER", OWNER_EMAIL, "OWNER")


def permission_json(model_id: str, row: dict) -> dict:
    body = {
        "name": f"tunedModels/{model_id}/permissions/{row['id']}",
        "granteeType": row["grantee_type"],
        "role": row["role"],
    }
    if row["email"]:
        body["emailAddress"] = row["email"]
    return body


def _role(value: Any, field: str = "role") -> str:
    if value not in ROLES:
        raise invalid(field, f"must be one of {', '.join(ROLES)}, got {value!r}")
    if value == "OWNER":
        raise invalid(field, "OWNER cannot be granted; use tunedModels/{id}:transferOwnership")
    return value


def _store(request: web.Request) -> Store:
    return request.app[STATE].store


def permission_of(request: web.Request) -> tuple[str, dict]:
    model_id = tuned_record(request)["id"]
    wanted = request.match_info["permission_id"]
    row = next((r for r in _store(request).permissions(model_id) if r["id"] == wanted), None)
    if row is None:
        raise not_found(f"Permission tunedModels/{model_id}/permissions/{wanted} does not exist.")
    return model_id, row


async def create(request: web.Request) -> web.Response:
    model_id = tuned_record(request)["id"]
    body = as_object(await read_json(request), "permission")
    for key in body:
        if key not in ("granteeType", "emailAddress", "role", "name"):
            raise ApiError(
                400, f"Invalid JSON payload received. Unknown name \"{key}\" at 'permission': Cannot find field."
            )
    grantee = body.get("granteeType") or ("USER" if body.get("emailAddress") else None)
    if grantee not in GRANTEE_TYPES:
        raise invalid("granteeType", f"must be one of {', '.join(GRANTEE_TYPES)}, got {grantee!r}")
    role = _role(body.get("role"))
    email = body.get("emailAddress")
    if grantee == "EVERYONE":
        if email:
            raise invalid("emailAddress", "must be empty when granteeType is EVERYONE")
        if role != "READER":
            raise invalid("role", "a model shared with everyone can only be READER")
    else:
        email = as_text(email or "", "emailAddress", MAX_EMAIL)
        if not _EMAIL.fullmatch(email):
            raise invalid("emailAddress", f"is required for granteeType {grantee} and must be an email address")
    for row in _store(request).permissions(model_id):
        if row["grantee_type"] == grantee and (row["email"] or "") == (email or ""):
            raise ApiError(409, f"A permission for {email or 'everyone'} already exists on tunedModels/{model_id}.")
    permission_id = random_suffix(12)
    _store(request).add_permission(model_id, permission_id, grantee, email, role)
    return json_body(
        permission_json(model_id, {"id": permission_id, "grantee_type": grantee, "email": email, "role": role})
    )


async def list_permissions(request: web.Request) -> web.Response:
    model_id = tuned_record(request)["id"]
    size = page_size(request, 10)
    after = decode_token(request, {"pageSize": size})
    rows = _store(request).permissions(model_id, after)
    body: dict = {"permissions": [permission_json(model_id, r) for r in rows[:size]]} if rows else {}
    if len(rows) > size:
        body["nextPageToken"] = encode_token(rows[size - 1]["seq"], {"pageSize": size})
    return json_body(body)


async def get(request: web.Request) -> web.Response:
    model_id, row = permission_of(request)
    return json_body(permission_json(model_id, row))


async def patch(request: web.Request) -> web.Response:
    model_id, row = permission_of(request)
    mask = [p.strip() for p in request.query.get("updateMask", "").split(",") if p.strip()]
    if mask != ["role"]:
        raise invalid("updateMask", "is required and must be 'role' (the only field a permission can change)")
    if row["role"] == "OWNER":
        raise failed_precondition("The owner's role changes only through tunedModels/{id}:transferOwnership.")
    role = _role(as_object(await read_json(request), "permission").get("role"))
    _store(request).set_permission_role(model_id, row["id"], role)
    return json_body(permission_json(model_id, {**row, "role": role}))


async def delete(request: web.Request) -> web.Response:
    model_id, row = permission_of(request)
    if row["role"] == "OWNER":
        raise failed_precondition("The owner's permission cannot be deleted; transfer ownership first.")
    _store(request).delete_permission(model_id, row["id"])
    return json_body({})


async def transfer(request: web.Request) -> web.Response:
    model_id = tuned_record(request)["id"]
    body = as_object(await read_json(request), "request")
    email = as_text(body.get("emailAddress", ""), "emailAddress", MAX_EMAIL)
    if not _EMAIL.fullmatch(email):
        raise invalid("emailAddress", "is required: the email address of the new owner")
    rows = _store(request).permissions(model_id)
    for row in rows:
        if row["role"] == "OWNER" and row["email"] != email:
            _store(request).set_permission_role(model_id, row["id"], "WRITER")
    existing = next((r for r in rows if r["grantee_type"] == "USER" and r["email"] == email), None)
    if existing is not None:
        _store(request).set_permission_role(model_id, existing["id"], "OWNER")
    else:
        _store(request).add_permission(model_id, random_suffix(12), "USER", email, "OWNER")
    return json_body({})


def add_routes(app: web.Application) -> None:
    routes = web.RouteTableDef()
    base = f"/v1beta/tunedModels/{MODEL_ID}"
    routes.post(f"{base}/permissions")(create)
    routes.get(f"{base}/permissions")(list_permissions)
    routes.get(f"{base}/permissions/{PERMISSION_ID}")(get)
    routes.patch(f"{base}/permissions/{PERMISSION_ID}")(patch)
    routes.delete(f"{base}/permissions/{PERMISSION_ID}")(delete)
    routes.post(f"{base}:transferOwnership")(transfer)
    app.add_routes(routes)
