"""Bounded excerpts of values that may be megabytes long.

A single example can hold a 50 MB input. The screens never render such a value whole:
a table cell looks at a short prefix, the detail view shows one part of a few thousand
characters at a time (with the full length and how to see the rest), and the request
view shows each value cut, saying how long it really is.
"""

from __future__ import annotations

from dataclasses import dataclass

PART_CHARS = 4_000  # the detail view shows this many characters of a value at a time
CELL_SCAN = 8  # a one-line cell of width w looks at no more than w times this many characters
SHORTEN_CHARS = 2_000  # the request view shows this many characters of one value


def one_line(text: str, width: int) -> str:
    """`text` on one line of at most `width` characters (ending in … when cut); reads only a prefix."""
    head = text[: width * CELL_SCAN]
    flat = " ".join(head.split())
    if len(flat) <= width and len(head) == len(text):
        return flat
    return flat[: width - 1] + "…"


def shorten(text: str, limit: int = SHORTEN_CHARS) -> str:
    """`text` itself if short, else its first `limit` characters and how many there are in all."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit:,} more characters, {len(text):,} in all]"


@dataclass(frozen=True)
class Part:
    """One part of a long value: characters `start` to `end` (exclusive) of `total`."""

    text: str
    number: int
    parts: int
    start: int
    end: int
    total: int

    @property
    def whole(self) -> bool:
        return self.parts == 1

    def where(self) -> str:
        """Which characters are shown, e.g. 'characters 1 to 4,000 of 52,428,800 (part 1 of 13,108)'."""
        return (f"characters {self.start + 1:,} to {self.end:,} of {self.total:,} "
                f"(part {self.number + 1:,} of {self.parts:,})")


def part(text: str, number: int = 0, size: int = PART_CHARS) -> Part:
    """Part `number` of `text` cut in parts of `size` characters (the last part if `number` is past it)."""
    parts = max(1, -(-len(text) // size))
    number = max(0, min(number, parts - 1))
    start = number * size
    end = min(len(text), start + size)
    return Part(text[start:end], number, parts, start, end, len(text))
