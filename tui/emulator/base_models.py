"""The base models the emulator lists: tunable Gemini-era models, as the models API shows them.

None of them generates here (the emulator only answers from tuned models); each lists
`createTunedModel` among its supported generation methods.
"""

from __future__ import annotations

from typing import Any

_TUNING_METHODS = ["createTunedModel"]
BASE_MODELS: list[dict[str, Any]] = [
    {
        "name": "models/gemini-1.5-flash-001-tuning",
        "baseModelId": "gemini-1.5-flash-001-tuning",
        "version": "001",
        "displayName": "Gemini 1.5 Flash 001 Tuning",
        "description": "Version of Gemini 1.5 Flash that supports tuning (local emulator).",
        "inputTokenLimit": 16384,
        "outputTokenLimit": 8192,
        "supportedGenerationMethods": _TUNING_METHODS,
        "temperature": 1.0,
        "maxTemperature": 2.0,
        "topP": 0.95,
        "topK": 64,
    },
    {
        "name": "models/gemini-1.0-pro-001",
        "baseModelId": "gemini-1.0-pro",
        "version": "001",
        "displayName": "Gemini 1.0 Pro 001 (Tuning)",
        "description": "The historic tunable Gemini 1.0 Pro (local emulator).",
        "inputTokenLimit": 30720,
        "outputTokenLimit": 2048,
        "supportedGenerationMethods": _TUNING_METHODS,
        "temperature": 0.9,
        "topP": 1.0,
        "topK": 1,
    },
    {
        "name": "models/text-bison-001",
        "baseModelId": "text-bison",
        "version": "001",
        "displayName": "PaLM 2 (Legacy)",
        "description": "The historic tunable PaLM text model (local emulator).",
        "inputTokenLimit": 8196,
        "outputTokenLimit": 1024,
        "supportedGenerationMethods": _TUNING_METHODS,
        "temperature": 0.7,
        "topP": 0.95,
        "topK": 40,
    },
]
BASE_MODEL_ALIASES = {"models/gemini-1.5-flash-001": "models/gemini-1.5-flash-001-tuning"}


def find_base_model(name: str) -> dict[str, Any] | None:
    """A base model by `models/x` or bare `x`, historic aliases included."""
    full = name if name.startswith("models/") else f"models/{name}"
    full = BASE_MODEL_ALIASES.get(full, full)
    return next((m for m in BASE_MODELS if m["name"] == full), None)
