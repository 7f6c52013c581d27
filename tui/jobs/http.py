"""The HTTP session the backend hands google-genai.

google-genai's own aiohttp session trusts the environment, so every request looks up a
proxy and a netrc file in worker threads: about 0.7 ms of CPU per request, most of a poll's
cost. This session reads the proxy settings once instead. A loopback URL (the local
emulator) never goes through a proxy.
"""

from __future__ import annotations

from ipaddress import ip_address
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

GEMINI_URL = "https://generativelanguage.googleapis.com"
READ_BUFFER_SIZE = 2**22  # google-genai's: a streamed answer can arrive as one long line


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def env_proxy(url: str | None) -> str | None:
    """The proxy the environment (`HTTPS_PROXY`, `NO_PROXY`, …) sets for `url`, if any."""
    parts = urlsplit(url or GEMINI_URL)
    host = parts.hostname or ""
    if not host or is_loopback(host) or proxy_bypass(host):
        return None
    return getproxies().get(parts.scheme or "https")


def client_session(base_url: str | None):
    """An aiohttp session for one event loop, configured like google-genai's own."""
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0),  # google-genai's default: no pool limit
        trust_env=False,
        proxy=env_proxy(base_url),
        read_bufsize=READ_BUFFER_SIZE,
    )
