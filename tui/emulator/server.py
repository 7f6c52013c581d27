"""The aiohttp application: routes of the Gemini tuning API under /v1beta (and /v1).

Auth, fault injection and the error envelope are middlewares; handlers live in one module
per resource under `routes/` (listed in `ROUTE_MODULES`), reading the server's state from
the application (`tui.emulator.state.STATE`). Test switches (`EmulatorConfig`) can be changed at runtime through
`POST /_emulator/config` (same API key), read back with `GET /_emulator/config`.
`GET /_emulator/health` needs no key and says only that the server is up;
`GET /_emulator/info` (with the key) tells which process answers and from where.
Before all of this, `guard.py` checks Host, Origin, content type and size.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path

import orjson
from aiohttp import web

from tui.emulator.busy import is_transient, unavailable
from tui.emulator.guard import MAX_BODY_BYTES
from tui.emulator.routes import admin, gemini_models, generation, operations, permissions
from tui.emulator.state import STATE, State
from tui.emulator.wire import ApiError, error_info

log = logging.getLogger("tunedeck.emulator")

STATE_KEY = STATE  # the name serve.py and older callers use
# Each module has add_routes(app); a new resource is a new module added here.
ROUTE_MODULES = (gemini_models, generation, operations, permissions, admin)


@dataclass
class EmulatorConfig:
    """Switches for testing how a client copes with the API's failure modes."""

    deny_scopes: bool = False  # create answers 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT
    fault_rate: float = 0.0  # share of API requests answered with a fault code
    fault_codes: tuple[int, ...] = (429, 503)
    step_delay: float = 0.0  # seconds each training step sleeps
    fault_seed: int | None = None
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.fault_seed)

    def public(self) -> dict:
        data = asdict(self)
        data.pop("rng")
        data["fault_codes"] = list(self.fault_codes)
        return {"denyScopes": data["deny_scopes"], "faultRate": data["fault_rate"], "faultCodes": data["fault_codes"],
                "stepDelay": data["step_delay"], "faultSeed": data["fault_seed"]}  # fmt: skip


CONFIG_KEY = web.AppKey("config", EmulatorConfig)


def json_response(body: object, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json", headers=headers)


def error_response(error: ApiError) -> web.Response:
    return json_response(error.body(), status=error.code, headers=error.headers)


def _missing_key() -> ApiError:
    return ApiError(
        403,
        "Method doesn't allow unregistered callers (callers without established identity). "
        "Please use API Key or other form of API consumer identity to call this API.",
        details=[error_info("CREDENTIALS_MISSING")],
    )


def _bad_key() -> ApiError:
    return ApiError(400, "API key not valid. Please pass a valid API key.", details=[error_info("API_KEY_INVALID")])


def _bearer_only() -> ApiError:
    return ApiError(
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
        "valid authentication credential. The local emulator accepts API keys only (x-goog-api-key).",
        details=[error_info("ACCESS_TOKEN_TYPE_UNSUPPORTED")],
    )


def check_key(request: web.Request, api_key: str) -> None:
    given = request.headers.get("x-goog-api-key") or request.query.get("key")
    if not given:
        raise _bearer_only() if request.headers.get("Authorization", "").startswith("Bearer ") else _missing_key()
    # aiohttp keeps header bytes that are not UTF-8 as surrogates: compare the bytes as sent
    if not secrets.compare_digest(given.encode("utf-8", "surrogateescape"), api_key.encode()):
        raise _bad_key()


def _fault(config: EmulatorConfig) -> ApiError | None:
    if config.fault_rate <= 0 or config.rng.random() >= config.fault_rate:
        return None
    code = config.rng.choice(config.fault_codes)
    if code == 429:
        return ApiError(
            429,
            "Resource has been exhausted (e.g. check quota).",
            details=[error_info("RATE_LIMIT_EXCEEDED")],
            headers={"Retry-After": "1"},
        )
    if code == 503:
        return ApiError(503, "The service is currently unavailable.")
    return ApiError(code, f"Injected fault (HTTP {code}).")


def make_app(root: Path, api_key: str, config: EmulatorConfig, trainers: int | None = None) -> web.Application:
    """The emulator as an aiohttp application over the state in `root`."""
    from tui.emulator import auth, storage, vertex

    @web.middleware
    async def envelope(request: web.Request, handler):
        try:
            path = request.path
            if auth.is_bearer_path(path):
                pass  # Vertex AI and Cloud Storage routes: Bearer auth (tui.emulator.auth)
            elif path.startswith(("/v1beta/", "/v1/")) or path in ("/v1beta", "/v1"):
                check_key(request, api_key)
                fault = _fault(config)
                if fault is not None:
                    raise fault
            elif path.startswith("/_emulator/") and path != "/_emulator/health":
                check_key(request, api_key)
            return await handler(request)
        except ApiError as error:
            return error_response(error)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            return error_response(ApiError(404, f"The requested URL {request.path} was not found on this server."))
        except web.HTTPRequestEntityTooLarge:
            return error_response(ApiError(400, f"Request payload size exceeds the limit: {MAX_BODY_BYTES} bytes."))
        except web.HTTPException as exc:  # anything else aiohttp refuses, still in the API's shape
            return error_response(ApiError(exc.status, exc.reason))
        except sqlite3.OperationalError as exc:
            if is_transient(exc):  # another process holds the database: say when to come back
                log.warning("answered %s %s with 503: the database is busy", request.method, request.path)
                return error_response(unavailable())
            log.exception("unexpected error answering %s %s", request.method, request.path)
            return error_response(ApiError(500, "Internal error encountered."))
        except Exception:
            log.exception("unexpected error answering %s %s", request.method, request.path)
            return error_response(ApiError(500, "Internal error encountered."))

    app = web.Application(middlewares=[envelope], client_max_size=MAX_BODY_BYTES)
    app[CONFIG_KEY] = config
    state = State(root=root, config=config, trainers=trainers or min(4, os.cpu_count() or 1))
    app[STATE] = state
    app.on_startup.append(state.start)
    app.on_shutdown.append(state.stop)
    for module in ROUTE_MODULES:
        module.add_routes(app)
    auth.setup(app, root, api_key)
    storage.setup(app, root)
    vertex.setup(app, root)
    return app
