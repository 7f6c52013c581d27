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


def fold_path(path: str, width: int) -> str:
    """`path` in lines of at most `width` cells, broken after a `/` rather than inside a name
    (a name longer than a line is the only thing cut)."""
    if width <= 0 or len(path) <= width:
        return path
    parts = [part + "/" for part in path.split("/")]
    parts[-1] = parts[-1][:-1]
    lines: list[str] = []
    line = ""
    for part in parts:
        while len(part) > width:  # a single name wider than the line
            if line:
                lines.append(line)
                line = ""
            lines.append(part[:width])
            part = part[width:]
        if len(line) + len(part) > width:
            lines.append(line)
            line = ""
        line += part
    if line:
        lines.append(line)
    return "\n".join(lines)
