"""Settings: where state lives, which backend to use, which credentials were found.

Settings come from (highest first) command-line flags, environment variables and the
config file `config.json` in the user config dir. The file is validated (`ConfigFile`):
an unknown key or a value of the wrong type is an error naming the file and the key. The
API key is read from the environment (GEMINI_API_KEY / GOOGLE_API_KEY, as google-genai
reads them) or from the config file the user wrote; tunedeck never writes it anywhere and
only shows it masked.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from tui.errors import TunedeckError

APP_NAME = "tunedeck"

# The local emulator's key is random per emulator data dir (`<emulator_dir>/api-key`, see
# tui/emulator/keyfile.py); $TUNEDECK_EMULATOR_API_KEY names a fixed one (with TUNEDECK_LOCAL_URL).
LOCAL_KEY_ENV = "TUNEDECK_EMULATOR_API_KEY"
# Seconds each training step sleeps in an emulator tunedeck starts by itself, so a default
# job on a shipped sample lasts long enough to watch its curve grow (about 20 s to 50 s).
AUTO_STEP_DELAY_S = 0.18


class BackendKind(StrEnum):
    LOCAL = "local"
    GEMINI = "gemini"


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

    data_dir: Path = field(default_factory=lambda: Path(user_data_dir(APP_NAME)))
    config_dir: Path = field(default_factory=lambda: Path(user_config_dir(APP_NAME)))
    backend: BackendKind | None = None  # None: Gemini when a key is found, else local
    api_key: str | None = field(default=None, repr=False)
    api_key_source: str | None = None
    gemini_base_url: str | None = None
    local_url: str | None = None  # use this running emulator instead of starting one
    local_api_key: str | None = field(default=None, repr=False)  # its key, if not the emulator_dir's own
    bell: bool = False
    emulator_step_delay: float = AUTO_STEP_DELAY_S  # pacing of an emulator tunedeck starts by itself

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
        return BackendKind.GEMINI if self.api_key else BackendKind.LOCAL

    @property
    def masked_key(self) -> str:
        return mask_secret(self.api_key)

    def with_overrides(self, **changes) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


class ConfigFile(BaseModel):
    """The keys `config.json` may hold; every key is optional, any other key is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: BackendKind | None = Field(
        None,
        description="Which backend to use: 'local' (the emulator) or 'gemini'. Default: Gemini when a key is found.",
    )
    api_key: str | None = Field(
        None,
        description="A Gemini API key, used when GOOGLE_API_KEY and GEMINI_API_KEY are unset. Keep the file private.",
    )
    gemini_base_url: str | None = Field(
        None, description="Another Gemini API endpoint (GOOGLE_GEMINI_BASE_URL wins), e.g. a proxy."
    )
    local_url: str | None = Field(
        None, description="A running emulator to use instead of starting one (TUNEDECK_LOCAL_URL wins)."
    )
    bell: StrictBool = Field(False, description="Ring the terminal bell when a job finishes.")
    emulator_step_delay: float | None = Field(
        None,
        ge=0,
        le=60,
        description="Seconds per training step of an emulator tunedeck starts by itself "
        f"(TUNEDECK_EMULATOR_STEP_DELAY wins; default {AUTO_STEP_DELAY_S}).",
    )

    @field_validator("gemini_base_url", "local_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value


class ConfigError(TunedeckError):
    """The config file or an environment variable is unusable."""

    def __str__(self) -> str:
        return f"{self.message} — {self.next_step}" if self.next_step else self.message


def _read_config_file(config_dir: Path) -> ConfigFile:
    path = config_dir / "config.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ConfigFile()
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})", "fix or remove it") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config file must hold a JSON object", 'e.g. {"bell": true}')
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
) -> Settings:
    """Build settings from the environment and the config file."""
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
        raise ConfigError(f"unknown backend {chosen!r}", "use 'local' or 'gemini'") from exc

    pacing = env.get("TUNEDECK_EMULATOR_STEP_DELAY")
    try:
        step_delay = float(pacing) if pacing else file.emulator_step_delay
        if step_delay is not None and not 0 <= step_delay <= 60:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"TUNEDECK_EMULATOR_STEP_DELAY={pacing!r} is not a pacing tunedeck can use", "give seconds between 0 and 60"
        ) from None

    return Settings(
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
    )
