"""The model the emulator tunes: a byte-level MLP over hashed character n-grams.

The input prompt becomes a bag of hashed character 1-5-grams and words (sub-linear
counts, L2-normalised), pooled through an embedding table. Each output byte is predicted
from that pooled vector plus embeddings of the last `context` output bytes and of the
position, through one ReLU layer and a softmax over 256 bytes + end-of-text.

A copy feature lets it lift text out of the prompt: `CopyTracker` follows the longest
suffix of the answer so far that also occurs in the prompt, and the model sees the prompt
byte that comes next (with the match length, bucketed) through its own embedding table,
and a learned gate adds to that byte's logit (pointer-style; the prompt's end boosts
end-of-text).
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

EOS = 256  # the end-of-text class
BOS = 256  # "before the start" in the context window
VOCAB = 257
COPY_LENGTHS = (0, 1, 2, 3, 4, 6, 9, 13)  # lower bounds of the match-length buckets
COPY_END, COPY_NONE = 256, 257  # "the match reaches the end of the prompt", "no match"
COPY_GATES = len(COPY_LENGTHS) * 2  # bucket x "candidate is the prompt's last byte"
COPY_ROWS = COPY_GATES * 258  # ... x candidate
_WORD = re.compile(r"\w+")
_FNV = np.uint64(0x100000001B3)
_MIX = np.uint64(0xFF51AFD7ED558CCD)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class Shape:
    """Sizes of the model."""

    buckets: int = 1 << 14
    hidden: int = 128
    context: int = 8
    positions: int = 64
    max_ngram: int = 5


def featurize(text: str, shape: Shape) -> tuple[np.ndarray, np.ndarray]:
    """Hashed n-gram bucket ids of a prompt and their weights (L2-normalised)."""
    data = np.frombuffer(b"\x02" + text.encode("utf-8") + b"\x03", dtype=np.uint8).astype(np.uint64)
    parts = []
    with np.errstate(over="ignore"):
        for n in range(1, shape.max_ngram + 1):
            if len(data) < n:
                break
            h = np.full(len(data) - n + 1, np.uint64(n) * _GOLDEN, dtype=np.uint64)
            for j in range(n):
                h = (h ^ data[j : len(data) - n + 1 + j]) * _FNV
            h ^= h >> np.uint64(31)
            h *= _MIX
            h ^= h >> np.uint64(29)
            parts.append(h % np.uint64(shape.buckets))
    words = [zlib.crc32(b"w:" + w.encode("utf-8")) % shape.buckets for w in _WORD.findall(text.lower())]
    if words:
        parts.append(np.asarray(words, dtype=np.uint64))
    ids, counts = np.unique(np.concatenate(parts).astype(np.int64), return_counts=True)
    weights = 1.0 + np.log(counts.astype(np.float32))
    weights /= np.sqrt(np.sum(weights * weights))
    return ids, weights.astype(np.float32)


class CopyTracker:
    """Where the answer so far matches the prompt; the row of the copy table it selects."""

    MAX_SEARCH = 8  # longest suffix looked up afresh when a match breaks

    def __init__(self, prompt: bytes) -> None:
        self.prompt = prompt
        self.out = bytearray()
        self.index: int | None = 0  # the empty answer "matches" the start of the prompt
        self.length = 0

    def row(self) -> int:
        if self.index is None:
            candidate, length, last = COPY_NONE, 0, 0
        else:
            at = self.index + self.length
            candidate = self.prompt[at] if at < len(self.prompt) else COPY_END
            length, last = self.length, int(at == len(self.prompt) - 1)
        bucket = sum(length >= b for b in COPY_LENGTHS) - 1
        return (bucket * 2 + last) * 258 + candidate

    def push(self, byte: int) -> None:
        self.out.append(byte)
        at = None
        if self.index is not None:
            at = self.index + self.length
            if at < len(self.prompt) and self.prompt[at] == byte:
                self.length += 1
                return
        for k in range(min(self.MAX_SEARCH, len(self.out)), 1, -1):  # a fresh match of 2+ bytes
            found = self.prompt.find(self.out[-k:])
            if found >= 0:
                self.index, self.length = found, k
                return
        if at is not None and at < len(self.prompt):  # a substituted byte: keep the alignment
            self.index, self.length = at + 1, 0
            return
        found = self.prompt.find(self.out[-1:])
        self.index, self.length = (found, 1) if found >= 0 else (None, 0)


def copy_rows(prompt: str, output: bytes) -> np.ndarray:
    """The copy-table row seen at each output position (output bytes + end-of-text)."""
    tracker = CopyTracker(prompt.encode("utf-8"))
    rows = np.empty(len(output) + 1, dtype=np.int64)
    for t in range(len(output) + 1):
        rows[t] = tracker.row()
        if t < len(output):
            tracker.push(output[t])
    return rows


class Model:
    """The weights, and inference with them."""

    NAMES = ("E", "C", "P", "Q", "b1", "W", "b2", "G", "g0")

    def __init__(self, shape: Shape, params: dict[str, np.ndarray], max_output_bytes: int = 256,
                 origin: dict | None = None) -> None:  # fmt: skip
        self.shape = shape
        self.params = params
        self.max_output_bytes = max_output_bytes
        self.origin = origin  # the random generator state the initial weights were drawn from, if known
        self._initial: dict[str, np.ndarray] | None = None  # those weights, once needed

    @classmethod
    def initial(cls, shape: Shape, rng: np.random.Generator, max_output_bytes: int) -> Model:
        origin = dict(rng.bit_generator.state)  # a copy: saved files store only what differs from these weights
        h = shape.hidden
        params = {
            "E": (rng.standard_normal((shape.buckets, h)) * 0.1).astype(np.float32),
            "C": (rng.standard_normal((shape.context, VOCAB, h)) * 0.1).astype(np.float32),
            "P": (rng.standard_normal((shape.positions, h)) * 0.1).astype(np.float32),
            "Q": (rng.standard_normal((COPY_ROWS, h)) * 0.1).astype(np.float32),
            "b1": np.zeros(h, np.float32),
            "W": (rng.standard_normal((h, VOCAB)) * math.sqrt(2.0 / h)).astype(np.float32),
            "b2": np.zeros(VOCAB, np.float32),
            "G": np.zeros((COPY_GATES, h), np.float32),
            "g0": np.zeros(COPY_GATES, np.float32),
        }
        model = cls(shape, params, max_output_bytes, origin)
        model._initial = {k: v.copy() for k, v in params.items()}  # kept: saving compares against them
        return model

    @staticmethod
    def _initial_params(shape: Shape, origin: dict) -> dict[str, np.ndarray]:
        generator = getattr(np.random, origin["bit_generator"])()
        generator.state = origin
        return Model.initial(shape, np.random.Generator(generator), 0).params

    def save(self, path: Path, extra: dict[str, np.ndarray] | None = None) -> None:
        """Write atomically (temp file, then rename; the temp file is removed if writing fails).

        Arrays are stored as the rows that differ from the initial weights (or from zeros), see packing.py."""
        from tui.emulator.packing import pack

        tmp = path.with_name(path.name + ".tmp")
        meta = np.frombuffer(repr({"shape": asdict(self.shape), "max_output_bytes": self.max_output_bytes,
                                   "origin": self.origin}).encode(), dtype=np.uint8)  # fmt: skip
        if self._initial is None and self.origin:
            self._initial = self._initial_params(self.shape, self.origin)
        bases = self._initial or {}
        arrays = pack({**self.params, **(extra or {})}, bases)
        try:
            with open(tmp, "wb") as fh:
                # numpy's stub types savez's keyword arrays as its `allow_pickle` flag
                np.savez(fh, __meta__=meta, **arrays)  # type: ignore[arg-type]
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)  # a full disk must not leave a partial file behind
            raise

    @classmethod
    def load(cls, path: Path) -> tuple[Model, dict[str, np.ndarray]]:
        """The model in a file, and any extra arrays saved with it."""
        import ast

        from tui.emulator.packing import unpack

        with np.load(path, allow_pickle=False) as data:
            stored = {k: data[k] for k in data.files}
        meta = ast.literal_eval(stored.pop("__meta__").tobytes().decode())
        shape = Shape(**meta["shape"])
        origin = meta.get("origin")
        initial: dict[str, np.ndarray] = {}

        def base_of(name: str) -> np.ndarray | None:
            if origin is None or name not in cls.NAMES:
                return None
            if not initial:
                initial.update(cls._initial_params(shape, origin))
            return initial[name]

        arrays = unpack(stored, base_of)
        params = {k: arrays.pop(k) for k in cls.NAMES if k in arrays}
        # Weights saved before copying existed: the copy parts start at zero (no effect).
        params.setdefault("Q", np.zeros((COPY_ROWS, shape.hidden), np.float32))
        params.setdefault("G", np.zeros((COPY_GATES, shape.hidden), np.float32))
        params.setdefault("g0", np.zeros(COPY_GATES, np.float32))
        return cls(shape, params, int(meta["max_output_bytes"]), origin), arrays  # initial weights rebuilt if saved

    def encode(self, text: str) -> np.ndarray:
        """The pooled prompt vector."""
        ids, weights = featurize(text, self.shape)
        return weights @ self.params["E"][ids]

    def step_logits(self, pooled: np.ndarray, produced: Sequence[int], copy_row: int) -> np.ndarray:
        p, k = self.params, self.shape.context
        pre = pooled + p["P"][min(len(produced), self.shape.positions - 1)] + p["Q"][copy_row] + p["b1"]
        for j in range(k):
            prev = produced[-1 - j] if len(produced) > j else BOS
            pre = pre + p["C"][j, prev]
        hidden = np.maximum(pre, 0.0)
        logits = hidden @ p["W"] + p["b2"]
        gate_row, candidate = divmod(copy_row, 258)
        if candidate < COPY_NONE:
            logits[candidate] += p["g0"][gate_row] + hidden @ p["G"][gate_row]
        return logits

    def sample(
        self,
        text: str,
        max_bytes: int | None = None,
        temperature: float = 0.0,
        top_k: int | None = None,
        top_p: float | None = None,
        rng: np.random.Generator | None = None,
    ) -> Iterator[tuple[int | None, float]]:
        """Yield (byte, log-probability) one at a time; a final (None, lp) means end-of-text."""
        rng = rng or np.random.default_rng()
        pooled = self.encode(text)
        tracker = CopyTracker(text.encode("utf-8"))
        produced: list[int] = []
        limit = self.max_output_bytes if max_bytes is None else max_bytes
        while len(produced) < limit:
            logits = self.step_logits(pooled, produced, tracker.row()).astype(np.float64)
            logp = logits - logits.max()
            logp -= np.log(np.exp(logp).sum())
            if temperature <= 0 or top_k == 1:
                choice = int(np.argmax(logp))
            else:
                choice = _sample(logp / temperature, top_k, top_p, rng)
            if choice == EOS:
                yield None, float(logp[choice])
                return
            produced.append(choice)
            tracker.push(choice)
            yield choice, float(logp[choice])


def _sample(logits: np.ndarray, top_k: int | None, top_p: float | None, rng: np.random.Generator) -> int:
    order = np.argsort(-logits)
    if top_k:
        order = order[:top_k]
    probs = np.exp(logits[order] - logits[order].max())
    probs /= probs.sum()
    if top_p is not None and 0 < top_p < 1:
        keep = int(np.searchsorted(np.cumsum(probs), top_p) + 1)
        order, probs = order[:keep], probs[:keep] / probs[:keep].sum()
    return int(order[rng.choice(len(order), p=probs)])
