"""Vertex `contents` records as the emulator's model sees them: one prompt text and one answer.

A record's turns before its last model turn are the prompt, the last model turn is the
answer, and `systemInstruction` comes first as a preamble. A single user turn is used as
it is (so a converted Gemini example trains exactly as before); longer conversations become
one `role: text` line per turn. `generateContent` on a tuned endpoint builds the prompt the
same way from the request's contents, so the model is asked in the form it was taught.

Token counts are estimates: ⌈characters / 4⌉ per text (`estimate_tokens`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tui.datasets.records import SYSTEM_JOIN

ROLES = ("user", "model")
MAX_EXAMPLE_TOKENS = 131_072  # input + output tokens per example (reference §3.2)


class ContentProblem(ValueError):
    """A record the tuning service cannot use; the message says what is wrong."""


@dataclass(frozen=True)
class TuningExample:
    prompt: str
    answer: str
    messages: int  # contents entries
    input_tokens: int
    output_tokens: int
    characters: int
    user_contents: tuple[dict, ...]  # the user turns, as sample data for the statistics


def estimate_tokens(text: str) -> int:
    """The emulator's token estimate: one token per 4 characters, rounded up."""
    return math.ceil(len(text) / 4)


def _text(content: Any, where: str) -> str:
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list) or not parts:
        raise ContentProblem(f'{where} needs a non-empty "parts" list of {{"text": ...}} parts')
    texts = []
    for i, part in enumerate(parts):
        if not isinstance(part, dict) or not isinstance(part.get("text"), str):
            kind = next(iter(part), "?") if isinstance(part, dict) and part else type(part).__name__
            raise ContentProblem(f"{where}.parts[{i}] is a {kind} part; the local emulator tunes on text parts only")
        texts.append(part["text"])
    return "".join(texts)


def system_text(value: Any) -> str | None:
    """The text of a `systemInstruction` (a Content; its role is ignored), or None."""
    if value is None:
        return None
    return _text(value, "systemInstruction")


def prompt_of(turns: list[tuple[str, str]], system: str | None) -> str:
    """The prompt text for conversation `turns` (role, text) and an optional system instruction."""
    if len(turns) == 1 and turns[0][0] == "user":
        body = turns[0][1]
    else:
        body = "\n".join(f"{role}: {text}" for role, text in turns)
    return f"{system}{SYSTEM_JOIN}{body}" if system else body


def parse_turns(contents: Any, where: str = "contents") -> list[tuple[str, str]]:
    """(role, text) pairs of a `contents` list; roles must be user or model."""
    if not isinstance(contents, list) or not contents:
        raise ContentProblem(f'"{where}" must be a non-empty list of {{"role", "parts"}} turns')
    turns = []
    for i, content in enumerate(contents):
        role = content.get("role") if isinstance(content, dict) else None
        if role not in ROLES:
            raise ContentProblem(f'{where}[{i}] has role {role!r}; use "user" or "model"')
        turns.append((role, _text(content, f"{where}[{i}]")))
    return turns


def parse_example(record: Any) -> TuningExample:
    """One training record. Raises ContentProblem naming the field at fault."""
    if not isinstance(record, dict):
        raise ContentProblem(f'the line is a JSON {type(record).__name__}, not an object with "contents"')
    if "contents" not in record:
        keys = ", ".join(sorted(record)[:5]) or "none"
        raise ContentProblem(f'the record has no "contents" (keys: {keys}); each line needs "contents": [...]')
    turns = parse_turns(record["contents"])
    roles = [role for role, _ in turns]
    if roles[0] != "user":
        raise ContentProblem(
            f"roles out of order: the conversation starts with {roles[0]!r}; it must start with 'user'"
        )
    for i in range(1, len(roles)):
        if roles[i] == roles[i - 1]:
            raise ContentProblem(f"roles out of order: contents[{i - 1}] and contents[{i}] are both {roles[i]!r}")
    if roles[-1] != "model":
        raise ContentProblem("the last turn must be the 'model' answer to learn from")
    system = system_text(record.get("systemInstruction", record.get("system_instruction")))
    prompt = prompt_of(turns[:-1], system)
    answer = turns[-1][1]
    if not answer:
        raise ContentProblem("the last model turn is empty; every example needs the expected answer")
    users = tuple({"role": "user", "parts": [{"text": text[:1000]}]} for role, text in turns if role == "user")
    characters = sum(len(text) for _, text in turns) + len(system or "")
    return TuningExample(
        prompt, answer, len(turns), estimate_tokens(prompt), estimate_tokens(answer), characters, users
    )
