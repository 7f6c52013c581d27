"""generateContent for tuned models: request checks, sampling, and the response shape.

Tokens are the trained model's units, UTF-8 bytes: `maxOutputTokens` caps bytes and the
usage counts are byte counts. Weights are loaded once per tuned model and kept (a small
LRU); sampling runs in a thread so the event loop keeps answering.
"""

from __future__ import annotations

import codecs
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.emulator.limits import MAX_STOP_SEQUENCE, check_length
from tui.emulator.resources import as_integer, as_number
from tui.emulator.wire import ApiError, invalid

MAX_CANDIDATES = 8
_CACHE_SIZE = 8


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    temperature: float
    top_k: int | None
    top_p: float | None
    max_output_tokens: int | None
    candidate_count: int
    stop_sequences: tuple[str, ...]
    seed: int | None


def parse_request(body: Any, model: dict, name: str) -> GenerationRequest:
    """Validate a GenerateContentRequest against what a tuned model accepts."""
    if not isinstance(body, dict):
        raise invalid("", "the request body must be a JSON object")
    if body.get("systemInstruction"):
        raise invalid(
            "systemInstruction",
            f"system instructions are not supported by tuned models ({name}); put the instruction in the prompt, as in "
            "the training examples",
        )
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise invalid("contents", "is required: at least one content with a text part")
    user_turns = [c for c in contents if isinstance(c, dict) and c.get("role", "user") == "user"]
    if not user_turns:
        raise invalid("contents", "needs a content with role 'user'")
    texts = []
    last = user_turns[-1]
    for i, part in enumerate(last.get("parts") or []):
        if not isinstance(part, dict) or "text" not in part:
            raise invalid(f"contents[{contents.index(last)}].parts[{i}]", "tuned models take text input only")
        texts.append(str(part["text"]))
    if not texts:
        raise invalid(f"contents[{contents.index(last)}].parts", "is empty; give a text part")
    config = body.get("generationConfig") or {}
    if not isinstance(config, dict):
        raise invalid("generationConfig", "must be a JSON object")
    if config.get("responseMimeType") not in (None, "text/plain"):
        raise invalid("generationConfig.responseMimeType", "JSON mode is not supported by tuned models")
    if config.get("responseSchema") or config.get("responseJsonSchema"):
        raise invalid("generationConfig.responseSchema", "JSON mode is not supported by tuned models")
    pick = lambda key, default: config[key] if config.get(key) is not None else default  # noqa: E731
    temperature = as_number(
        pick("temperature", model["temperature"] if model["temperature"] is not None else 1.0),
        "generationConfig.temperature",
        0.0,
        2.0,
    )
    top_k = pick("topK", model["top_k"])
    top_p = pick("topP", model["top_p"])
    max_tokens = config.get("maxOutputTokens")
    stops = config.get("stopSequences") or []
    if not isinstance(stops, list) or len(stops) > 5 or not all(isinstance(s, str) for s in stops):
        raise invalid("generationConfig.stopSequences", "must be a list of at most 5 strings")
    for i, stop in enumerate(stops):
        check_length(stop, f"generationConfig.stopSequences[{i}]", MAX_STOP_SEQUENCE)
    return GenerationRequest(
        prompt="".join(texts),
        temperature=temperature,
        top_k=as_integer(top_k, "generationConfig.topK", 0, 1000) or None if top_k is not None else None,
        top_p=as_number(top_p, "generationConfig.topP", 0.0, 1.0) if top_p is not None else None,
        max_output_tokens=as_integer(max_tokens, "generationConfig.maxOutputTokens", 1, 8192)
        if max_tokens is not None
        else None,
        candidate_count=as_integer(pick("candidateCount", 1), "generationConfig.candidateCount", 1, MAX_CANDIDATES),
        stop_sequences=tuple(s for s in stops if s),
        seed=as_integer(config["seed"], "generationConfig.seed", -(2**31), 2**31 - 1)
        if config.get("seed") is not None
        else None,
    )


def parse_text_request(body: Any, model: dict, name: str) -> GenerationRequest:
    """A legacy GenerateTextRequest, checked as the matching GenerateContentRequest."""
    if not isinstance(body, dict):
        raise invalid("", "the request body must be a JSON object")
    prompt = body.get("prompt")
    if not isinstance(prompt, dict) or not isinstance(prompt.get("text"), str):
        raise invalid("prompt.text", "is required")
    config = {
        k: body[k]
        for k in ("temperature", "topP", "topK", "maxOutputTokens", "candidateCount", "stopSequences")
        if k in body
    }
    return parse_request({"contents": [{"parts": [{"text": prompt["text"]}]}], "generationConfig": config}, model, name)


class WeightsCache:
    """Trained models loaded from disk, most recently used kept."""

    def __init__(self) -> None:
        self._models: OrderedDict[Path, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path):
        from tui.emulator.model import Model

        mtime = path.stat().st_mtime
        with self._lock:
            hit = self._models.get(path)
            if hit and hit[0] == mtime:
                self._models.move_to_end(path)
                return hit[1]
        model, _ = Model.load(path)
        with self._lock:
            self._models[path] = (mtime, model)
            while len(self._models) > _CACHE_SIZE:
                self._models.popitem(last=False)
        return model

    def drop(self, path: Path) -> None:
        with self._lock:
            self._models.pop(path, None)


@dataclass
class Piece:
    """Text produced for one candidate since the last piece, or its end."""

    index: int
    text: str
    finish_reason: str | None = None
    tokens: int = 0
    logprob_sum: float = 0.0


def generate(model: Any, request: GenerationRequest, chunk_chars: int = 16) -> Iterator[Piece]:
    """Sample every candidate; yield its text in pieces of about `chunk_chars`, the last with a finish reason."""
    import numpy as np

    for index in range(request.candidate_count):
        rng = np.random.default_rng(None if request.seed is None else (request.seed + index) % 2**32)
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        text, sent, tokens, logprob, reason = "", 0, 0, 0.0, "MAX_TOKENS"
        hold = max((len(s) for s in request.stop_sequences), default=1) - 1  # a stop sequence may be forming
        for byte, lp in model.sample(
            request.prompt, request.max_output_tokens, request.temperature, request.top_k, request.top_p, rng
        ):
            logprob += lp
            if byte is None:
                reason = "STOP"
                break
            tokens += 1
            text += decoder.decode(bytes([byte]))
            hit = next((s for s in request.stop_sequences if s in text), None)
            if hit:
                text, reason = text[: text.index(hit)], "STOP"
                break
            if len(text) - hold - sent >= chunk_chars:
                yield Piece(index, text[sent : len(text) - hold])
                sent = len(text) - hold
        if reason == "MAX_TOKENS":
            text += decoder.decode(b"", final=True)
        yield Piece(index, text[sent:], reason, tokens, logprob)


def collect(pieces: Iterator[Piece]) -> list[Piece]:
    """Join streamed pieces into one finished piece per candidate."""
    joined: dict[int, Piece] = {}
    for piece in pieces:
        if piece.index in joined:
            whole = joined[piece.index]
            whole.text += piece.text
            whole.finish_reason, whole.tokens, whole.logprob_sum = piece.finish_reason, piece.tokens, piece.logprob_sum
        else:
            joined[piece.index] = Piece(piece.index, piece.text, piece.finish_reason, piece.tokens, piece.logprob_sum)
    return [joined[i] for i in sorted(joined)]


def response_json(pieces: list[Piece], prompt_tokens: int, model_name: str, final: bool = True) -> dict:
    """A GenerateContentResponse holding the given pieces."""
    candidates = []
    for piece in pieces:
        candidate: dict[str, Any] = {
            "content": {"parts": [{"text": piece.text}], "role": "model"},
            "index": piece.index,
        }
        if piece.finish_reason:
            candidate["finishReason"] = piece.finish_reason
            if piece.tokens:
                candidate["avgLogprobs"] = piece.logprob_sum / max(1, piece.tokens)
        if candidate["index"] == 0:
            candidate.pop("index")
        candidates.append(candidate)
    out: dict[str, Any] = {"candidates": candidates}
    if final:
        produced = sum(p.tokens for p in pieces)
        out["usageMetadata"] = {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": produced,
            "totalTokenCount": prompt_tokens + produced,
        }
    out["modelVersion"] = model_name
    out["responseId"] = secrets.token_urlsafe(12)
    return out


def not_ready(name: str, state: str) -> ApiError:
    if state == "CREATING":
        return ApiError(
            400,
            f"Tuned model {name} is still being tuned (state CREATING); try again when it is ACTIVE.",
            status="FAILED_PRECONDITION",
        )
    return ApiError(
        400,
        f"Tuned model {name} is in state {state} and cannot generate content; tune it again.",
        status="FAILED_PRECONDITION",
    )
