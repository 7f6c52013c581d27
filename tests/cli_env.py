"""The CLI's environment for a test: a fresh emulator, fresh dirs, nothing from the developer's shell."""

from __future__ import annotations

CLEARED = (
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "TUNEDECK_BACKEND",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "TUNEDECK_TRAINING_PRICE",
)


def use_emulator(emulator, tmp_path, monkeypatch, protocol: str | None = "vertex"):
    """Point the CLI at `emulator` (on the Vertex protocol unless told otherwise); returns it."""
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TUNEDECK_LOCAL_URL", emulator.url)
    monkeypatch.setenv("TUNEDECK_EMULATOR_API_KEY", emulator.api_key)
    monkeypatch.setenv("TUNEDECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TUNEDECK_CONFIG_DIR", str(tmp_path / "config"))
    if protocol is not None:
        monkeypatch.setenv("TUNEDECK_PROTOCOL", protocol)
    return emulator
