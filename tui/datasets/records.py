"""Turning one record's bytes into an (input, output) pair, or a precise problem.

Accepted shapes of a JSON record: `{"text_input", "output"}` (or the API's `textInput`),
`{"input", "output"}`, `{"prompt", "completion"}`, Vertex `{"contents": [...], "systemInstruction"?}` and chat
`{"messages": [{"role", "content"}]}`. The shape is read from each record's keys, so
every JSON-based format shares one parser.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

import orjson

PAIR_KEYS = (("text_input", "output"), ("textInput", "output"), ("input", "output"), ("prompt", "completion"))
SYSTEM_JOIN = "\n\n"
_INPUT, _OUTPUT = itemgetter("text_input"), itemgetter("output")
_PAIR = {2}


class RecordProblem(Exception):
    """What is wrong with one record; the reader adds path and line."""

    def __init__(self, rule: str, message: str, hint: str = "", field: str | None = None,
                 column: int | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.hint = hint
        self.field = field
        self.column = column

    def each(self) -> list[RecordProblem]:
        """Every problem this stands for (one, unless it is `RecordProblems`)."""
        return [self]


class RecordProblems(RecordProblem):
    """Several independent problems with one record (its input and its output)."""

    def __init__(self, problems: list[RecordProblem]) -> None:
        first = problems[0]
        super().__init__(first.rule, first.message, first.hint, first.field, first.column)
        self.problems = problems

    def each(self) -> list[RecordProblem]:
        return list(self.problems)


def decode_problem(raw: bytes, offset: int) -> RecordProblem | None:
    """An invalid-utf8 problem naming the absolute byte offset, or None if `raw` decodes."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return RecordProblem("invalid-utf8", f"invalid UTF-8 at byte offset {offset + exc.start}",
                             "re-save the file as UTF-8 (the byte offset counts from the start of the file)",
                             column=exc.start + 1)
    return None


def parse_json(raw: bytes, offset: int) -> tuple[str, str]:
    """Parse one JSON record (a JSONL line or an array element)."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        bad = decode_problem(raw, offset)
        if bad is not None:
            raise bad from None
        if not raw.strip():
            raise RecordProblem("invalid-json", "line holds only whitespace", "delete the line") from None
        message = exc.msg if hasattr(exc, "msg") else str(exc)
        raise RecordProblem("invalid-json", f"invalid JSON at column {exc.colno}: {message}",
                            "fix the JSON on this line (a truncated line or a missing quote or comma is typical)",
                            column=exc.colno) from None
    return parse_object(obj)


def parse_object(obj: object) -> tuple[str, str]:
    """(input, output) of one parsed JSON record."""
    if type(obj) is not dict:
        raise RecordProblem("not-an-object", f"expected a JSON object, found {type(obj).__name__}",
                            'write each example as {"text_input": "...", "output": "..."}')
    return extract(obj)


def load_batch(raws: Sequence[bytes]) -> list[object] | None:
    """The parsed JSON of every record of a batch, or None if any is not valid JSON."""
    try:
        return list(map(orjson.loads, raws))
    except orjson.JSONDecodeError:
        return None


def plain_pairs(objects: list[Any]) -> tuple[list[str], list[str], list[str], list[str]] | None:
    """When parsed records are all plain {"text_input": str, "output": str} objects (other keys allowed,
    but not "contents" or "messages"): inputs, outputs, and both with str.strip applied, the same as
    `parse_object` gives each. None when any record is anything else."""
    try:
        inputs, outputs = list(map(_INPUT, objects)), list(map(_OUTPUT, objects))
        bare_inputs, bare_outputs = list(map(str.strip, inputs)), list(map(str.strip, outputs))  # strings only
    except (TypeError, KeyError):
        return None
    if set(map(len, objects)) != _PAIR and any(map(_other_shape, objects)):
        return None
    return inputs, outputs, bare_inputs, bare_outputs


def _other_shape(obj: dict) -> bool:
    """An object that `extract` reads as Vertex or chat though it has "text_input" too."""
    return "contents" in obj or "messages" in obj


def extract(obj: dict) -> tuple[str, str]:
    """(input, output) of a parsed JSON object in any accepted shape."""
    if "contents" in obj:
        return _from_vertex(obj)
    if "messages" in obj:
        return _from_chat(obj)
    for in_key, out_key in PAIR_KEYS:
        if in_key in obj:
            return _pair(obj, in_key, out_key)
    raise RecordProblems(_without_input(obj))


def _without_input(obj: dict) -> list[RecordProblem]:
    """A record with no input key: that, and whatever is wrong with its output too."""
    out_key = "completion" if "completion" in obj else "output"
    field = "prompt" if out_key == "completion" else "text_input"
    keys = ", ".join(f'"{k}"' for k in list(obj)[:6]) or "none"
    message = f'missing "{field}" (the input; also accepted: "textInput", "input", "prompt")'
    hint = f'give every example a "text_input" and an "output" (this one has: {keys})'
    problems = [RecordProblem("missing-input", message, hint, field=field)]
    try:
        _text(obj, out_key, "output")
    except RecordProblem as problem:
        problems.append(problem)
    return problems


def _pair(obj: dict, in_key: str, out_key: str) -> tuple[str, str]:
    """Input and output, or every problem with them: a bad input does not hide a bad output."""
    texts, problems = [], []
    for key, what in ((in_key, "input"), (out_key, "output")):
        try:
            texts.append(_text(obj, key, what))
        except RecordProblem as problem:
            problems.append(problem)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise RecordProblems(problems)
    return texts[0], texts[1]


def _text(obj: dict, key: str, what: str) -> str:
    value = obj.get(key)
    if type(value) is str:
        return value
    if value is None and key not in obj:
        raise RecordProblem(f"missing-{what}", f'missing "{key}"', f'add a "{key}" string to this example', field=key)
    raise RecordProblem(f"non-string-{what}", f'"{key}" must be a string, found {_json_type(value)}',
                        f'write "{key}" as a JSON string (quote numbers, join lists)', field=key)


def _json_type(value: object) -> str:
    return {dict: "an object", list: "an array", bool: "a boolean", int: "a number", float: "a number",
            type(None): "null"}.get(type(value), type(value).__name__)


def _parts_text(content: object, where: str) -> str:
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list) or not parts:
        raise RecordProblem("bad-structure", f'{where} needs a non-empty "parts" list',
                            'write "parts": [{"text": "..."}]', field=where)
    texts = []
    for part in parts:
        text = part.get("text") if isinstance(part, dict) else None
        if type(text) is not str:
            raise RecordProblem("bad-structure", f"{where} has a part without text", "only text parts can be tuned",
                                field=where)
        texts.append(text)
    return "".join(texts)


def _single_turn(turns: list[tuple[str, str]], user: str, model: str) -> tuple[str, str]:
    roles = [role for role, _ in turns]
    if roles == [user, model]:
        return turns[0][1], turns[1][1]
    if len(turns) > 2 and roles.count(user) >= 1:
        raise RecordProblem("multi-turn",
                            f"{len(turns)} turns ({', '.join(roles)}); the Gemini API tunes single-turn examples only",
                            f"keep one {user} turn and one {model} turn per example "
                            "(split conversations into examples)")
    raise RecordProblem("bad-structure",
                        f"expected one {user} turn then one {model} turn, found: {', '.join(roles) or 'none'}",
                        f"give each example a {user} turn followed by a {model} turn")


def _from_vertex(obj: dict) -> tuple[str, str]:
    contents = obj["contents"]
    if not isinstance(contents, list):
        raise RecordProblem("bad-structure", '"contents" must be a list', field="contents")
    turns = []
    for i, content in enumerate(contents):
        role = content.get("role") if isinstance(content, dict) else None
        turns.append((str(role), _parts_text(content, f"contents[{i}]")))
    text_input, output = _single_turn(turns, "user", "model")
    system = obj.get("systemInstruction", obj.get("system_instruction"))
    if system is not None:
        text_input = _parts_text(system, "systemInstruction") + SYSTEM_JOIN + text_input
    return text_input, output


def _from_chat(obj: dict) -> tuple[str, str]:
    messages = obj["messages"]
    if not isinstance(messages, list):
        raise RecordProblem("bad-structure", '"messages" must be a list', field="messages")
    system, turns = [], []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or type(message.get("content")) is not str:
            raise RecordProblem("bad-structure", f'messages[{i}] needs a string "content"', field=f"messages[{i}]")
        if message.get("role") == "system":
            system.append(message["content"])
        else:
            turns.append((str(message.get("role")), message["content"]))
    text_input, output = _single_turn(turns, "user", "assistant")
    if system:
        text_input = SYSTEM_JOIN.join(system) + SYSTEM_JOIN + text_input
    return text_input, output


def parse_csv(raw: bytes, offset: int, delimiter: str, width: int, columns: tuple[int, int]) -> tuple[str, str]:
    """Parse one CSV/TSV record (possibly several physical lines) into (input, output)."""
    fields = split_csv(raw, offset, delimiter)
    if len(fields) != width:
        raise RecordProblem("invalid-csv", f"expected {width} fields, found {len(fields)}{_spanned(raw)}",
                            "quote fields that contain the delimiter, and check for a missing or extra field")
    return fields[columns[0]], fields[columns[1]]


def split_csv(raw: bytes, offset: int, delimiter: str) -> list[str]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise decode_problem(raw, offset) or RecordProblem("invalid-utf8", "invalid UTF-8") from None
    try:
        rows = list(csv.reader(text.splitlines(keepends=True), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise RecordProblem("invalid-csv", f"invalid CSV: {exc}{_spanned(raw)}",
                            'wrap fields containing quotes in "..." and double inner quotes') from None
    if len(rows) != 1:
        raise RecordProblem("invalid-csv", f"invalid CSV: record splits into {len(rows)} rows{_spanned(raw)}",
                            'check the quoting: a field with a " must be wrapped in "..." with inner quotes doubled')
    return rows[0]


def _spanned(raw: bytes) -> str:
    """For a record read across lines: say so, since an unbalanced quote is the usual cause."""
    extra = raw.count(b"\n")
    return f" (a quote opened here runs over the next {extra} line{'s' if extra > 1 else ''})" if extra else ""
