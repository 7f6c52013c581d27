"""The keys `config.json` may hold, validated: an unknown key or a value of the wrong type is an
error naming the file and the key (see `tui.config._read_config_file`).

A module of its own so that pydantic loads only when there is a config file to read.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from tui.config import AUTO_STEP_DELAY_S, BackendKind, Protocol, Server


class ConfigFile(BaseModel):
    """The keys `config.json` may hold; every key is optional, any other key is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: BackendKind | None = Field(
        None,
        description="Protocol and server in one word: 'local' (the Gemini API protocol on the emulator), 'gemini', "
        "'vertex' or 'vertex-local'. Default: detected (see protocol and server).",
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
    protocol: Protocol | None = Field(
        None, description="Tuning protocol: 'vertex' or 'gemini' (TUNEDECK_PROTOCOL, --protocol win; default detected)."
    )
    server: Server | None = Field(
        None, description="Where to tune: 'google' or 'local' (the emulator; TUNEDECK_SERVER and --server win)."
    )
    project: str | None = Field(None, description="Google Cloud project for Vertex AI (GOOGLE_CLOUD_PROJECT wins).")
    location: str | None = Field(
        None, description="Vertex AI location (GOOGLE_CLOUD_LOCATION wins; default us-central1)."
    )
    bucket: str | None = Field(
        None, description="Cloud Storage bucket for Vertex AI dataset uploads (TUNEDECK_BUCKET wins)."
    )
    quota_project: str | None = Field(
        None, description="Project billed for Vertex AI calls, sent as x-goog-user-project (overrides the ADC file's)."
    )
    emulator_step_delay: float | None = Field(
        None,
        ge=0,
        le=60,
        description="Seconds per training step of an emulator tunedeck starts by itself "
        f"(TUNEDECK_EMULATOR_STEP_DELAY wins; default {AUTO_STEP_DELAY_S}).",
    )
    training_price_per_million_tokens: float | None = Field(
        None,
        ge=0,
        le=1000,
        allow_inf_nan=False,
        description="Your price in US dollars per million training tokens (e.g. 3.0); with it the job form and "
        "`tune` show the estimated cost next to the billable tokens (TUNEDECK_TRAINING_PRICE wins; default: "
        "no cost shown).",
    )

    @field_validator("gemini_base_url", "local_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value
