"""Settings: where state lives, which backend to use, which credentials were found.

Settings come from (highest first) command-line flags, environment variables and the
config file `config.json` in the user config dir. The file is validated (`ConfigFile`):
an unknown key or a value of the wrong type is an error naming the file and the key. The
API key is read from the environment (GEMINI_API_KEY / GOOGLE_API_KEY, as google-genai
reads them) or from the config file the user wrote; tunedeck never writes it anywhere and
only shows it masked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, cast

from tui.errors import TunedeckError

if TYPE_CHECKING:
    from tui.config_file import ConfigFile

# The config file's keys are validated by a pydantic model (tui/config_file.py), imported only
# when there is a file to read: without one, the app's first frame does not wait for pydantic.

APP_NAME = "tunedeck"

# The local emulator's key is random per emulator data dir (`<emulator_dir>/api-key`, see
# tui/emulator/keyfile.py); $TUNEDECK_EMULATOR_API_KEY names a fixed one (with TUNEDECK_LOCAL_URL).
LOCAL_KEY_ENV = "TUNEDECK_EMULATOR_API_KEY"
# Seconds each training step sleeps in an emulator tunedeck starts by itself, so a default
# job on a shipped sample lasts long enough to watch its curve grow (about 20 s to 50 s).
AUTO_STEP_DELAY_S = 0.18


class BackendKind(StrEnum):
    LOCAL = "local"  # the Gemini API protocol on the local emulator
    GEMINI = "gemini"  # the Gemini API on Google
    VERTEX = "vertex"  # Vertex AI on Google
    VERTEX_LOCAL = "vertex-local"  # the Vertex AI protocol on the local emulator


# The protocol on a machine with neither Google credentials nor an API key: Vertex AI, on the local emulator.
FRESH_MACHINE_PROTOCOL = "vertex"


class Protocol(StrEnum):
    VERTEX = "vertex"
    GEMINI = "gemini"


class Server(StrEnum):
    GOOGLE = "google"
    LOCAL = "local"


KINDS = {
    (Protocol.GEMINI, Server.LOCAL): BackendKind.LOCAL, (Protocol.GEMINI, Server.GOOGLE): BackendKind.GEMINI,
    (Protocol.VERTEX, Server.GOOGLE): BackendKind.VERTEX, (Protocol.VERTEX, Server.LOCAL): BackendKind.VERTEX_LOCAL,
}


def _platform_dir(kind: str) -> Path:
    """The user's data or config dir for tunedeck, as the platform has it (platformdirs)."""
    import platformdirs

    return Path(getattr(platformdirs, kind)(APP_NAME))


def mask_secret(secret: str | None) -> str:
    """Show only enough of a key to tell keys apart: `AIza…x9Q2`."""
    if not secret:
        return "(none)"
    if len(secret) <= 8:
        return "…" + secret[-2:]
    return f"{secret[:4]}…{secret[-4:]}"


@dataclass(frozen=True)
class Settings:
    """Everything the app, the CLI and the job manager need to know about the environment."""

    data_dir: Path = field(default_factory=lambda: _platform_dir("user_data_dir"))
    config_dir: Path = field(default_factory=lambda: _platform_dir("user_config_dir"))
    backend: BackendKind | None = None  # None: Gemini when a key is found, else local
    api_key: str | None = field(default=None, repr=False)
    api_key_source: str | None = None
    gemini_base_url: str | None = None
    local_url: str | None = None  # use this running emulator instead of starting one
    local_api_key: str | None = field(default=None, repr=False)  # its key, if not the emulator_dir's own
    bell: bool = False
    emulator_step_delay: float = AUTO_STEP_DELAY_S  # pacing of an emulator tunedeck starts by itself
    # Protocol and server, chosen independently (flags, TUNEDECK_PROTOCOL / TUNEDECK_SERVER, config keys), or
    # detected by `load_settings`; `backend` (the older single choice) wins over both.
    protocol: Protocol | None = None
    server: Server | None = None
    choice_reason: str | None = None  # why this protocol and server, in words (for doctor)
    google_project: str | None = None  # Vertex on Google: --project or config key (GOOGLE_CLOUD_PROJECT beats config)
    google_location: str | None = None
    bucket: str | None = None  # Cloud Storage bucket for Vertex dataset uploads
    quota_project: str | None = None
    training_price: float | None = None  # dollars per million training tokens, for the cost estimate

    @property
    def history_path(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def emulator_dir(self) -> Path:
        return self.data_dir / "emulator"

    @property
    def active_backend(self) -> BackendKind:
        if self.backend is not None:
            return self.backend
        if self.protocol is None and self.server is None:
            return BackendKind.GEMINI if self.api_key else BackendKind.LOCAL
        protocol = self.protocol or Protocol.VERTEX
        server = self.server or (Server.GOOGLE if (self.api_key if protocol is Protocol.GEMINI else self.google_project)
                                 else Server.LOCAL)
        return KINDS[(protocol, server)]

    @property
    def masked_key(self) -> str:
        return mask_secret(self.api_key)

    def with_overrides(self, **changes) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def __getattr__(name: str) -> object:
    if name == "ConfigFile":  # `from tui.config import ConfigFile` still works
        from tui.config_file import ConfigFile

        return ConfigFile
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ConfigError(TunedeckError):
    """The config file or an environment variable is unusable."""

    def __str__(self) -> str:
        return f"{self.message} — {self.next_step}" if self.next_step else self.message


class _NoConfigFile:
    """The values of an absent config file: every key at its default (all None but `bell`).
    tests/test_models.py checks them against `ConfigFile()`."""

    bell = False

    def __getattr__(self, key: str) -> None:
        if key.startswith("__"):
            raise AttributeError(key)
        return None  # (the type checker sees a ConfigFile, so a misspelt key is still caught)


def _read_config_file(config_dir: Path) -> ConfigFile:
    path = config_dir / "config.json"
    if not path.exists():  # json loads only when there is a file to read
        return cast("ConfigFile", _NoConfigFile())
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return cast("ConfigFile", _NoConfigFile())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})", "fix or remove it") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config file must hold a JSON object", 'e.g. {"bell": true}')
    from pydantic import ValidationError

    from tui.config_file import ConfigFile

    try:
        return ConfigFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or "(file)"
            message = (
                "unknown key" if error["type"] == "extra_forbidden" else error["msg"].removeprefix("Value error, ")
            )
            problems.append(f"{path}: {key}: {message}")
        known = ", ".join(ConfigFile.model_fields)
        raise ConfigError("\n".join(problems), f"fix the file; the keys it may hold: {known}") from None


def load_settings(
    env: dict[str, str] | None = None,
    data_dir: Path | None = None,
    config_dir: Path | None = None,
    backend: str | None = None,
    protocol: str | None = None,
    server: str | None = None,
    project: str | None = None,
    location: str | None = None,
    bucket: str | None = None,
) -> Settings:
    """Build settings from the environment and the config file (flags given as arguments win)."""
    env = dict(os.environ) if env is None else env
    base = Settings()
    config_dir = config_dir or (Path(env["TUNEDECK_CONFIG_DIR"]) if env.get("TUNEDECK_CONFIG_DIR") else base.config_dir)
    data_dir = data_dir or (Path(env["TUNEDECK_DATA_DIR"]) if env.get("TUNEDECK_DATA_DIR") else base.data_dir)
    file = _read_config_file(config_dir)

    api_key, source = None, None
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY"):  # google-genai's order: GOOGLE wins
        if env.get(name, "").strip():
            api_key, source = env[name].strip(), f"${name}"
            break
    if api_key is None and file.api_key and file.api_key.strip():
        api_key, source = file.api_key.strip(), str(config_dir / "config.json")

    chosen = backend or env.get("TUNEDECK_BACKEND") or file.backend
    try:
        kind = BackendKind(chosen) if chosen else None
    except ValueError as exc:
        raise ConfigError(f"unknown backend {chosen!r}", "use 'local', 'gemini', 'vertex' or 'vertex-local'") from exc

    pacing = env.get("TUNEDECK_EMULATOR_STEP_DELAY")
    try:
        step_delay = float(pacing) if pacing else file.emulator_step_delay
        if step_delay is not None and not 0 <= step_delay <= 60:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"TUNEDECK_EMULATOR_STEP_DELAY={pacing!r} is not a pacing tunedeck can use", "give seconds between 0 and 60"
        ) from None

    price = env.get("TUNEDECK_TRAINING_PRICE", "").strip()
    try:
        training_price = float(price) if price else file.training_price_per_million_tokens
        if training_price is not None and not 0 <= training_price <= 1000:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"TUNEDECK_TRAINING_PRICE={price!r} is not a price tunedeck can use",
            "give US dollars per million training tokens, e.g. 3.0 (between 0 and 1000)",
        ) from None

    google_project = project or (None if env.get("GOOGLE_CLOUD_PROJECT") else file.project) or None
    choice = _choose(env, file, kind, protocol, server, api_key, google_project)

    return Settings(
        protocol=choice[0],
        server=choice[1],
        choice_reason=choice[2],
        google_project=google_project,
        google_location=location or (None if env.get("GOOGLE_CLOUD_LOCATION") else file.location) or None,
        bucket=bucket or env.get("TUNEDECK_BUCKET") or file.bucket or None,
        quota_project=file.quota_project or None,
        data_dir=data_dir,
        config_dir=config_dir,
        backend=kind,
        api_key=api_key,
        api_key_source=source,
        gemini_base_url=env.get("GOOGLE_GEMINI_BASE_URL") or file.gemini_base_url,
        local_url=env.get("TUNEDECK_LOCAL_URL") or file.local_url,
        local_api_key=env.get(LOCAL_KEY_ENV, "").strip() or None,
        bell=file.bell,
        emulator_step_delay=AUTO_STEP_DELAY_S if step_delay is None else step_delay,
        training_price=training_price,
    )


def _enum(cls, value, what: str):
    try:
        return cls(value) if value else None
    except ValueError:
        names = " or ".join(repr(m.value) for m in cls)
        raise ConfigError(f"unknown {what} {value!r}", f"use {names}") from None


def _choose(env: dict[str, str], file: ConfigFile, kind: BackendKind | None, protocol: str | None, server: str | None,
            api_key: str | None, project: str | None) -> tuple[Protocol | None, Server | None, str | None]:
    """Protocol and server: as asked (flag, env, config), else detected the way Google's tools would.

    Vertex on Google when Application Default Credentials and a project are found (or
    GOOGLE_GENAI_USE_VERTEXAI asks for Vertex); the Gemini API when an API key is set; else
    FRESH_MACHINE_PROTOCOL on the local emulator. GCE's metadata server is never asked.
    """
    asked_protocol = _enum(Protocol, protocol or env.get("TUNEDECK_PROTOCOL") or file.protocol, "protocol")
    asked_server = _enum(Server, server or env.get("TUNEDECK_SERVER") or file.server, "server")
    if kind is not None and asked_protocol is None and asked_server is None:
        return None, None, f"backend {kind.value} was chosen"
    from tui.jobs.vertex.detect import credentials_file, detect_project, wants_vertex

    use_vertex = wants_vertex(env)
    adc = credentials_file(env)
    google_project = detect_project(env, project)
    vertex_ready = adc is not None and google_project is not None
    if asked_protocol is None:
        if asked_server is Server.LOCAL:
            asked_protocol = Protocol.GEMINI if use_vertex is False else Protocol.VERTEX
        elif use_vertex is not None:
            asked_protocol = Protocol.VERTEX if use_vertex else Protocol.GEMINI
        elif vertex_ready:
            asked_protocol = Protocol.VERTEX
        elif api_key:
            asked_protocol = Protocol.GEMINI
        else:
            asked_protocol = Protocol(FRESH_MACHINE_PROTOCOL)
    if asked_server is None:
        ready = vertex_ready if asked_protocol is Protocol.VERTEX else api_key is not None
        asked_server = Server.GOOGLE if ready or (asked_protocol is Protocol.VERTEX and use_vertex) else Server.LOCAL
    if asked_protocol is Protocol.VERTEX and asked_server is Server.GOOGLE:
        reason = (f"Vertex AI: credentials in {adc[1]} and project {google_project}" if adc and google_project
                  else "Vertex AI was asked for, but credentials or a project are missing")
    elif asked_server is Server.GOOGLE:
        reason = "Gemini API: an API key is set"
    else:
        reason = "no Google credentials or API key found (or the local emulator was asked for): the local emulator"
    return asked_protocol, asked_server, reason
