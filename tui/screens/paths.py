"""Paths as the screens show them."""

from __future__ import annotations

from pathlib import Path


def display_path(path: str | Path) -> str:
    """A path as short as it can be said: relative to the working directory, or with ~."""
    path = Path(path).expanduser()
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        pass
    try:
        return "~/" + str(path.resolve().relative_to(Path.home().resolve()))
    except (ValueError, OSError, RuntimeError):
        return str(path)
