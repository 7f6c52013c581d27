"""Counts and sizes in words: `1 error` / `2 errors`, `50 MiB` (binary units, as file managers show them)."""

from __future__ import annotations

_UNITS = ("KiB", "MiB", "GiB", "TiB")


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 example`, `0 examples`, `1,000 examples` (`many` for irregular plurals)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def size(n: int | float) -> str:
    """A byte count in the largest binary unit that keeps it at 1 or more: `50 MiB`, `1.5 KiB`, `100 bytes`."""
    if n < 1024:
        return plural(int(n), "byte")
    value = float(n)
    for unit in _UNITS:
        value /= 1024
        if value < 1024 or unit == _UNITS[-1]:
            shown = f"{value:,.1f}".removesuffix(".0")
            return f"{shown} {unit}"
    raise AssertionError("unreachable")


def examples_text(records: int, valid: int) -> str:
    """`3 examples`, or `3 records · 2 valid examples` when some records are not usable examples."""
    if records == valid:
        return plural(records, "example")
    return f"{plural(records, 'record')} · {plural(valid, 'valid example')}"
