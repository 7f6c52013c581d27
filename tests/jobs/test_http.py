"""The backend's HTTP session reads proxy settings once, and never proxies the local emulator."""

from __future__ import annotations

import pytest

from tui.jobs.http import env_proxy, is_loopback


@pytest.fixture
def proxy_env(monkeypatch):
    for name in (
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_environment_proxy_applies_to_google(proxy_env):
    assert env_proxy(None) is None
    proxy_env.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert env_proxy(None) == "http://proxy.example:3128"
    assert env_proxy("https://generativelanguage.googleapis.com") == "http://proxy.example:3128"
    assert env_proxy("http://gateway.example:8080") is None  # only an https proxy is set


def test_no_proxy_and_loopback_go_direct(proxy_env):
    proxy_env.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    proxy_env.setenv("HTTP_PROXY", "http://proxy.example:3128")
    proxy_env.setenv("NO_PROXY", "googleapis.com")
    assert env_proxy(None) is None
    for url in ("http://127.0.0.1:8765", "http://localhost:9000", "http://[::1]:8000"):
        assert env_proxy(url) is None, url
    assert is_loopback("127.0.0.5") and not is_loopback("10.0.0.1") and not is_loopback("example.com")


async def test_the_backend_session_does_not_read_the_environment_per_request(emulator):
    from tui.jobs.gemini import GeminiBackend

    backend = GeminiBackend(emulator.api_key, base_url=emulator.url, name="local")
    try:
        assert isinstance(await backend.list_jobs(), list)
        session = backend._bound[2]
        assert session.trust_env is False and not session.closed
    finally:
        await backend.close()
    assert session.closed and backend._bound is None
