"""Size limits on what clients send, as the real APIs document them or, where they do not, a sane choice.

Documented (Gemini API tuning guide): display name 40 characters, example input 40,000
and output 5,000 characters, prompt to a tuned model 40,000 characters, at most 5 stop
sequences. Vertex AI: display names up to 128 characters; labels at most 64, keys and
values up to 63 characters. Not documented, chosen here (docs/emulator.md says so):
`MAX_DESCRIPTION`, `MAX_EMAIL`, `MAX_STOP_SEQUENCE`, `MAX_READER_PROJECTS`. The whole
body is capped by `guard.MAX_BODY_BYTES`.
"""

from __future__ import annotations

from tui.emulator.wire import invalid

MAX_DESCRIPTION = 4_096  # characters; rides in every list and poll, so kept modest
MAX_EMAIL = 254  # characters: the longest address SMTP carries (RFC 5321)
MAX_STOP_SEQUENCE = 1_000  # characters per stop sequence
MAX_READER_PROJECTS = 100

# Vertex AI (documented)
VERTEX_MAX_DISPLAY_NAME = 128
VERTEX_MAX_LABELS = 64
VERTEX_MAX_LABEL_CHARS = 63


def check_length(value: str, field: str, limit: int) -> str:
    """`value` if it has at most `limit` characters, else a 400 naming the field and the limit."""
    if len(value) > limit:
        raise invalid(field, f"is {len(value)} characters long; the limit is {limit}")
    return value
