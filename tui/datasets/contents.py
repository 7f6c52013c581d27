"""Any dataset tunedeck reads, written as Vertex AI `contents` JSONL, streamed.

One record becomes `{"contents": [{"role": "user", ...}, {"role": "model", ...}]}`; Vertex
and chat records keep every turn (Vertex tunes multi-turn conversations), a chat's system
messages become `systemInstruction`, and on request the dataset's shared preamble moves
from the first user turn into `systemInstruction`. Records with problems are skipped and
counted (lint reports them). Validation examples are a seeded split of the records
(stratified by label for classification data, see `split.py`) or another file. Each output
is hashed (SHA-256 and MD5) as it is written, so the uploaded object can be named by its
content and checked against Cloud Storage's MD5.

Limits (reference: vertex-tuning-api.md §3.2): 131,072 tokens per example (input and output),
1 GB per file, at most 5000 validation examples.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from tui.datasets.progress import ProgressCallback, Throttle
from tui.datasets.reader import DELIMITERS, LINE_JSON, DatasetReader, non_blank
from tui.datasets.records import RecordProblem, load_batch, parse_object, plain_pairs
from tui.datasets.split import ValidationSplit, label_key, plan_split

MAX_FILE_BYTES = 1_000_000_000
DEFAULT_EXAMPLE_TOKENS = 131_072
EXAMPLE_TOKENS = {  # tokens per example (input and output), by base model
    "gemini-3.5-flash": 131_072,
    "gemini-3.1-flash-lite": 131_072,
    "gemini-2.5-pro": 131_072,
    "gemini-2.5-flash": 131_072,
    "gemini-2.5-flash-lite": 131_072,
}
CHARS_PER_TOKEN = 4  # an estimate, as everywhere in tunedeck; Vertex reports exact counts after launch
ROLES = ("user", "model")
CHAT_ROLES = {"user": "user", "assistant": "model", "model": "model"}
FLUSH_BYTES = 1 << 20
BATCH_BYTES = 1 << 20  # lines parsed together


def example_token_limit(base_model: str) -> int:
    """Tokens one example may hold for `base_model` (a short or full model name)."""
    short = base_model.rsplit("/", 1)[-1]
    for name, limit in EXAMPLE_TOKENS.items():
        if short == name or short.startswith(name + "-"):
            return limit
    return DEFAULT_EXAMPLE_TOKENS


@dataclass(frozen=True)
class ContentsFile:
    """One written `contents` JSONL file and what is known about it."""

    path: Path
    examples: int
    size_bytes: int
    sha256: str
    md5: str  # hex
    text_chars: int  # characters of text in every turn and system instruction
    longest_chars: int  # of one example

    @property
    def estimated_tokens(self) -> int:
        """Tokens of the whole file, estimated (characters / 4); Vertex reports the exact number after launch."""
        return self.text_chars // CHARS_PER_TOKEN


@dataclass(frozen=True)
class Conversion:
    """The result of `write_contents`: training file, optional validation file, records skipped."""

    training: ContentsFile
    validation: ContentsFile | None
    skipped: int
    stratified: bool = False  # the split kept each label's share


def _text_parts(content: object, where: str) -> tuple[list[dict], int]:
    """The parts of one turn, copied, and the characters of text in them."""
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list) or not parts:
        raise RecordProblem("bad-structure", f'{where} needs a non-empty "parts" list',
                            'write "parts": [{"text": "..."}]', field=where)
    chars = 0
    for part in parts:
        if not isinstance(part, dict) or not part:
            raise RecordProblem("bad-structure", f"{where} has a part that is not an object", field=where)
        text = part.get("text")
        if text is not None:
            if type(text) is not str:
                raise RecordProblem("bad-structure", f'{where} has a "text" that is not a string', field=where)
            chars += len(text)
        elif "fileData" not in part and "file_data" not in part:
            raise RecordProblem("bad-structure", f'{where} has a part with neither "text" nor "fileData"',
                                "write each part as {\"text\": \"...\"}", field=where)
    return parts, chars


class RoleProblem(RecordProblem):
    """A conversation that breaks Vertex's role rules; knows its shape, since the shared lint reads it too."""

    def __init__(self, rule: str, message: str, hint: str, field: str, roles: list[str]) -> None:
        super().__init__(rule, message, hint, field=field)
        self.turns = len(roles)
        self.has_user = "user" in roles

    @property
    def multi_turn(self) -> bool:
        """Whether the shared (Gemini API) rules call this record multi-turn rather than malformed."""
        return self.turns > 2 and self.has_user


def check_roles(roles: list[str], where: str = "contents") -> None:
    """Vertex's conversation rules: user and model turns, alternating, ending with the model."""
    for i, role in enumerate(roles):
        if role not in ROLES:
            raise RoleProblem("bad-role", f"{where}[{i}] has role {role!r}; Vertex takes only 'user' and 'model'",
                              "name each turn's role 'user' or 'model'", f"{where}[{i}].role", roles)
        if i and role == roles[i - 1]:
            raise RoleProblem("roles-not-alternating", f"{where}[{i - 1}] and {where}[{i}] are both {role!r} turns",
                              "alternate user and model turns (merge consecutive turns of one role)",
                              f"{where}[{i}].role", roles)
    if not roles:
        raise RecordProblem("bad-structure", f'"{where}" is empty', "give at least a user turn and a model turn",
                            field=where)
    if roles[-1] != "model":
        raise RoleProblem("last-turn-not-model", f"the last turn is a {roles[-1]!r} turn; Vertex learns from model "
                          "turns and needs the conversation to end with one", "end each example with a model turn",
                          f"{where}[{len(roles) - 1}]", roles)


def _from_vertex(obj: dict) -> tuple[dict, int]:
    contents = obj["contents"]
    if not isinstance(contents, list):
        raise RecordProblem("bad-structure", '"contents" must be a list', field="contents")
    turns, chars = [], 0
    for i, content in enumerate(contents):
        parts, n = _text_parts(content, f"contents[{i}]")
        turns.append({"role": content.get("role"), "parts": parts})
        chars += n
    check_roles([str(t["role"]) for t in turns])
    record: dict = {"contents": turns}
    system = obj.get("systemInstruction", obj.get("system_instruction"))
    if system is not None:
        parts, n = _text_parts(system, "systemInstruction")
        record = {"systemInstruction": {"role": "system", "parts": parts}, **record}
        chars += n
    return record, chars


def _from_chat(obj: dict) -> tuple[dict, int]:
    messages = obj["messages"]
    if not isinstance(messages, list):
        raise RecordProblem("bad-structure", '"messages" must be a list', field="messages")
    system: list[dict] = []
    turns: list[dict] = []
    chars = 0
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or type(message.get("content")) is not str:
            raise RecordProblem("bad-structure", f'messages[{i}] needs a string "content"', field=f"messages[{i}]")
        text, role = message["content"], message.get("role")
        chars += len(text)
        if role == "system":
            system.append({"text": text})
        else:
            turns.append({"role": CHAT_ROLES.get(str(role), str(role)), "parts": [{"text": text}]})
    check_roles([str(t["role"]) for t in turns], "messages")
    record: dict = {"contents": turns}
    if system:
        record = {"systemInstruction": {"role": "system", "parts": system}, **record}
    return record, chars


def _pair(text_input: str, output: str) -> tuple[dict, int]:
    return {"contents": [{"role": "user", "parts": [{"text": text_input}]},
                         {"role": "model", "parts": [{"text": output}]}]}, len(text_input) + len(output)


def object_contents(obj: object) -> tuple[dict, int]:
    """One parsed JSON record as a Vertex `contents` object, and its characters of text; raises RecordProblem."""
    if isinstance(obj, dict) and "contents" in obj:
        return _from_vertex(obj)
    if isinstance(obj, dict) and "messages" in obj:
        return _from_chat(obj)
    return _pair(*parse_object(obj))


def record_contents(reader: DatasetReader, raw: bytes, offset: int) -> tuple[dict, int]:
    """One record's bytes as a Vertex `contents` object, and its characters of text; raises RecordProblem."""
    if reader.format not in DELIMITERS:
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            reader.parse(raw, offset)  # raises the precise problem
            raise
        return object_contents(obj)
    return _pair(*reader.parse(raw, offset))


def move_preamble(record: dict, preamble: str) -> tuple[dict, int]:
    """The record with `preamble` (the first line of its first user turn) as `systemInstruction`.

    Returns the record and the characters removed. A record that already has a system
    instruction, or whose first turn does not start with the preamble line, is kept as is.
    """
    if "systemInstruction" in record:
        return record, 0
    first = record["contents"][0]
    parts = first["parts"]
    text = parts[0].get("text") if first.get("role") == "user" else None
    head, sep, rest = (text or "").partition("\n")
    if not sep or head.strip() != preamble or not rest.strip():
        return record, 0
    turn = {"role": "user", "parts": [{**parts[0], "text": rest}, *parts[1:]]}
    system = {"role": "system", "parts": [{"text": preamble}]}
    return {"systemInstruction": system, "contents": [turn, *record["contents"][1:]]}, len(head) + 1 - len(preamble)


Converted = tuple[int, dict | None, int, RecordProblem | None]  # line, contents object, chars of text, problem
NOT_JSON = RecordProblem("invalid-json", "invalid JSON")


def _one(reader: DatasetReader, number: int, raw: bytes, offset: int) -> Converted:
    try:
        return number, *record_contents(reader, raw, offset), None
    except RecordProblem as problem:
        return number, None, 0, problem
    except orjson.JSONDecodeError:
        return number, None, 0, NOT_JSON


def _batched(reader: DatasetReader) -> Iterator[Converted]:
    """Each record of a JSON-lines file, converted, parsed a batch at a time."""
    for line, _offset, raws in reader.line_batches(BATCH_BYTES):
        lines, kept = non_blank(line, raws)
        objects = load_batch(kept)
        if objects is None:  # some line is not JSON: record by record, so only that one is skipped
            for number, raw in zip(lines, kept, strict=True):
                yield _one(reader, number, raw, 0)
            continue
        pairs = plain_pairs(objects)
        if pairs is not None:  # the common case: plain {"text_input", "output"} records
            for number, text_input, output in zip(lines, pairs[0], pairs[1], strict=True):
                yield number, *_pair(text_input, output), None
            continue
        for number, obj in zip(lines, objects, strict=True):
            try:
                yield number, *object_contents(obj), None
            except RecordProblem as problem:
                yield number, None, 0, problem


def iter_contents(reader: DatasetReader, preamble: str | None = None) -> Iterator[Converted]:
    """(line, contents object or None, chars of text, the problem that stops a record) of each record, in order."""
    if reader.format in LINE_JSON:
        records = _batched(reader)
    else:
        records = (_one(reader, line, raw, offset) for line, offset, raw in reader.raw_records())
    if not preamble:
        yield from records
        return
    for line, record, chars, problem in records:
        if record is not None:
            record, removed = move_preamble(record, preamble)
            chars -= removed
        yield line, record, chars, problem


class _Sink:
    """A `contents` JSONL file being written: buffered, hashed, counted; renamed by its hash when done."""

    def __init__(self, directory: Path, stem: str) -> None:
        self.directory, self.stem = directory, stem
        self.tmp = directory / f".{stem}.{os.getpid()}.tmp"
        self.file = open(self.tmp, "wb")  # noqa: SIM115 - closed in finish() or abort()
        self.sha256, self.md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
        self.buffer: list[bytes] = []
        self.buffered = self.examples = self.size = self.chars = self.longest = 0

    def add(self, record: dict, chars: int) -> None:
        line = orjson.dumps(record) + b"\n"
        self.buffer.append(line)
        self.buffered += len(line)
        self.examples += 1
        self.chars += chars
        self.longest = max(self.longest, chars)
        if self.buffered >= FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        block = b"".join(self.buffer)
        self.sha256.update(block)
        self.md5.update(block)
        self.file.write(block)
        self.size += len(block)
        self.buffer, self.buffered = [], 0

    def finish(self) -> ContentsFile:
        self._flush()
        self.file.close()
        digest = self.sha256.hexdigest()
        path = self.directory / f"{self.stem}-{digest[:16]}.jsonl"
        os.replace(self.tmp, path)
        return ContentsFile(path, self.examples, self.size, digest, self.md5.hexdigest(), self.chars, self.longest)

    def abort(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)


def write_contents(reader: DatasetReader, directory: str | Path, *, preamble: str | None = None,
                   split: ValidationSplit | None = None, validation: DatasetReader | None = None,
                   progress: ProgressCallback | None = None) -> Conversion:
    """Write `reader`'s examples as `contents` JSONL under `directory`: training, and validation when asked.

    `preamble` (the dataset profile's shared first line) becomes `systemInstruction`.
    Validation comes from `split` (a seeded share of the records) or from another dataset
    (`validation`), not both. Blocking; call it from a thread.
    """
    if split is not None and validation is not None:
        raise ValueError("give a validation split or a validation file, not both")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = reader.path.stem
    chosen = None
    if split is not None:
        chosen = plan_split((label_key(record) for _line, record, _chars, _bad in iter_contents(reader) if record),
                            split)
    sinks = [_Sink(directory, f"{stem}-train")]
    if chosen is not None or validation is not None:
        sinks.append(_Sink(directory, f"{stem}-validation"))
    throttle = Throttle(progress, len(reader) + (len(validation) if validation is not None else 0))
    skipped = done = 0
    try:
        for sources, to_validation in ((reader, False), (validation, True)):
            if sources is None:
                continue
            for _line, record, chars, _problem in iter_contents(sources, preamble):
                done += 1
                throttle(done)
                if record is None:
                    skipped += 1
                    continue
                into = to_validation or (chosen is not None and chosen.takes(record))
                sinks[1 if into else 0].add(record, chars)
        files = [sink.finish() for sink in sinks]
    except BaseException:
        for sink in sinks:
            sink.abort()
        raise
    throttle.finish()
    return Conversion(files[0], files[1] if len(files) > 1 else None, skipped,
                      stratified=bool(chosen and chosen.stratified))
