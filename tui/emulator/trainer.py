"""Training the emulator's model (`tui.emulator.model`) on (text_input, output) examples.

Plain minibatch cross-entropy with Adam (lazy rows for the sparse n-gram and context
tables), gradient clipping and a cosine-decaying step size. The API's learning rate is
mapped to Adam's step size by `LR_SCALE` (0.001 -> 0.02). A step's loss is the true mean
cross-entropy per output byte of that step's batch, before its update; its accuracy is the
share of those bytes (and end-of-text) the model ranked first, and `last_predictions`
their count. `evaluate` measures the same three on held-out examples without training.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tui.emulator.model import BOS, COPY_GATES, COPY_NONE, EOS, VOCAB, Model, Shape, copy_rows, featurize
from tui.models import total_steps

LR_SCALE = 20.0  # Adam step size = API learning rate x LR_SCALE
FINAL_LR_FRACTION = 0.05  # the cosine schedule ends at this fraction of the start value
CLIP_NORM = 5.0
CHUNK_POSITIONS = 8192  # output bytes per forward/backward pass; bigger batches are chunked

__all__ = ["EOS", "Model", "Shape", "Trainer", "featurize", "learning_rate_schedule"]


def learning_rate_schedule(base: float, step: int, total: int) -> float:
    """Adam step size at a 0-based step: API rate x LR_SCALE, cosine-decayed to 5 %."""
    start = base * LR_SCALE
    progress = step / max(1, total - 1)
    return start * (FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * progress)))


def _chunks(batch: list[_Encoded]) -> list[list[_Encoded]]:
    """The batch cut into runs of at most `CHUNK_POSITIONS` output bytes (one example never split)."""
    chunks: list[list[_Encoded]] = []
    current: list[_Encoded] = []
    filled = 0
    for example in batch:
        if current and filled + len(example.targets) > CHUNK_POSITIONS:
            chunks.append(current)
            current, filled = [], 0
        current.append(example)
        filled += len(example.targets)
    chunks.append(current)
    return chunks


def _merge_rows(pairs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Sum row gradients from several chunks into one (rows, gradients) pair."""
    if len(pairs) == 1:
        return pairs[0]
    rows, inverse = np.unique(np.concatenate([r for r, _ in pairs]), return_inverse=True)
    merged = np.zeros((len(rows), pairs[0][1].shape[1]), np.float32)
    np.add.at(merged, inverse, np.concatenate([g for _, g in pairs]))
    return rows, merged


@dataclass
class _Encoded:
    ids: np.ndarray
    weights: np.ndarray
    targets: np.ndarray  # output bytes + EOS
    contexts: np.ndarray  # (len(targets), context) previous bytes, BOS-padded
    positions: np.ndarray
    copies: np.ndarray  # copy-table row at each position


def _encode_example(text_input: str, output: str, shape: Shape) -> _Encoded:
    ids, weights = featurize(text_input, shape)
    out = list(output.encode("utf-8"))
    targets = np.asarray([*out, EOS], dtype=np.int64)
    padded = [BOS] * shape.context + out
    n = len(targets)
    contexts = np.empty((n, shape.context), dtype=np.int64)
    for j in range(shape.context):  # column j holds the byte j+1 places back
        contexts[:, j] = padded[shape.context - 1 - j : shape.context - 1 - j + n]
    positions = np.minimum(np.arange(n), shape.positions - 1)
    return _Encoded(ids, weights, targets, contexts, positions, copy_rows(text_input, bytes(out)))


class Trainer:
    """Minibatch training of a `Model` on (text_input, output) examples, step by step."""

    def __init__(
        self,
        examples: Sequence[tuple[str, str]],
        epochs: int,
        batch_size: int,
        learning_rate: float,
        seed: int = 0,
        shape: Shape | None = None,
        start_from: Model | None = None,
    ) -> None:
        """`start_from`: continue from these weights (tuning a tuned model) instead of random ones."""
        if not examples:
            raise ValueError("no training examples")
        self.shape = start_from.shape if start_from is not None else (shape or Shape())
        self.examples = [_encode_example(a, b, self.shape) for a, b in examples]
        self.epochs, self.batch_size, self.learning_rate, self.seed = epochs, batch_size, learning_rate, seed
        self.total_steps = total_steps(len(examples), epochs, batch_size)
        longest = max(len(e.targets) for e in self.examples)
        max_output = min(8192, 2 * longest + 16)
        if start_from is not None:
            params = {k: v.copy() for k, v in start_from.params.items()}
            self.model = Model(self.shape, params, max(max_output, start_from.max_output_bytes))
        else:
            self.model = Model.initial(self.shape, np.random.default_rng(seed), max_output_bytes=max_output)
        self.moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in self.model.params.items()}
        self.step = 0  # steps done
        self.last_correct = 0  # next-byte predictions ranked first in the last step's batch
        self.last_predictions = 0  # predictions (output bytes + end-of-text) in the last step's batch
        self._order_cache: dict[int, np.ndarray] = {}

    # -- data order -----------------------------------------------------------------
    def _order(self, epoch: int) -> np.ndarray:
        if epoch not in self._order_cache:
            self._order_cache = {epoch: np.random.default_rng((self.seed, epoch)).permutation(len(self.examples))}
        return self._order_cache[epoch]

    def batch_indices(self, step: int) -> list[int]:
        """Examples of a 0-based step: the epochs' shuffles laid end to end, cut in batches."""
        n = len(self.examples)
        start, stop = step * self.batch_size, min((step + 1) * self.batch_size, n * self.epochs)
        return [int(self._order(i // n)[i % n]) for i in range(start, stop)]

    def epoch_of(self, step: int) -> int:
        """1-based epoch a 0-based step belongs to (the one its batch starts in)."""
        return min(self.epochs, step * self.batch_size // len(self.examples) + 1)

    # -- one step -------------------------------------------------------------------
    def steps_through_epoch(self, epoch: int) -> int:
        """Steps done once the 1-based `epoch` is complete (its last batch may reach into the next)."""
        return total_steps(len(self.examples), epoch, self.batch_size)

    def encode(self, examples: Sequence[tuple[str, str]]) -> list[_Encoded]:
        """Held-out examples, prepared once for `evaluate`."""
        return [_encode_example(a, b, self.shape) for a, b in examples]

    def evaluate(self, encoded: Sequence[_Encoded]) -> tuple[float, float, int]:
        """Mean loss per output byte, next-byte accuracy and prediction count on `encoded` (no update)."""
        loss, correct, count = 0.0, 0, 0
        for chunk in _chunks(list(encoded)):
            chunk_loss, chunk_correct, _, _ = self._gradients(chunk, 1, backward=False)
            loss += chunk_loss
            correct += chunk_correct
            count += sum(len(e.targets) for e in chunk)
        return loss / max(1, count), correct / max(1, count), count

    def train_step(self) -> float:
        """Train on the next batch; return that batch's mean loss before the update.

        Big batches are split into chunks of at most `CHUNK_POSITIONS` output bytes whose
        gradients are summed, so memory stays bounded whatever the batch size.
        """
        batch = [self.examples[i] for i in self.batch_indices(self.step)]
        count = sum(len(e.targets) for e in batch)
        loss, correct = 0.0, 0
        dense: dict[str, np.ndarray] = {}
        sparse: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {"E": [], "C": [], "Q": []}
        for chunk in _chunks(batch):
            chunk_loss, chunk_correct, chunk_dense, chunk_sparse = self._gradients(chunk, count)
            loss += chunk_loss
            correct += chunk_correct
            for name, grad in chunk_dense.items():
                dense[name] = dense[name] + grad if name in dense else grad
            for name, pair in chunk_sparse.items():
                sparse[name].append(pair)
        merged = {name: _merge_rows(pairs) for name, pairs in sparse.items()}

        norm = math.sqrt(sum(float(np.vdot(g, g)) for g in (*dense.values(), *(g for _, g in merged.values()))))
        scale = min(1.0, CLIP_NORM / (norm + 1e-12))
        lr = learning_rate_schedule(self.learning_rate, self.step, self.total_steps)
        t = self.step + 1
        for name, grad in dense.items():
            self._adam(name, grad * scale, lr, t)
        for name, (rows, grad) in merged.items():
            self._adam(name, grad * scale, lr, t, rows=rows)
        self.step += 1
        self.last_correct, self.last_predictions = correct, count
        return loss / count

    def _gradients(self, batch: list[_Encoded], count_all: int, backward: bool = True) -> tuple[float, int, dict, dict]:
        """Summed loss of `batch`, its correct next-byte predictions, and gradients of the mean loss
        over `count_all` positions (none with `backward=False`)."""
        p, shape = self.model.params, self.shape
        size = len(batch)
        ids = np.concatenate([e.ids for e in batch])
        feature_owner = np.repeat(np.arange(size), [len(e.ids) for e in batch])
        targets = np.concatenate([e.targets for e in batch])
        context_rows = np.concatenate([e.contexts for e in batch]) + np.arange(shape.context) * VOCAB
        positions = np.concatenate([e.positions for e in batch])
        lengths = [len(e.targets) for e in batch]
        owner = np.repeat(np.arange(size), lengths)
        starts = np.cumsum([0, *lengths[:-1]])
        count = len(targets)

        # The n-gram rows and context rows this batch touches, and sparse maps onto them.
        rows_e, inverse_e = np.unique(ids, return_inverse=True)
        pool = np.zeros((len(rows_e), size), np.float32)  # ids are unique within an example
        pool[inverse_e, feature_owner] = np.concatenate([e.weights for e in batch])
        rows_c, inverse_c = np.unique(context_rows, return_inverse=True)
        pick_c = np.zeros((len(rows_c), count), np.float32)  # context rows differ per column
        pick_c[inverse_c.reshape(count, shape.context), np.arange(count)[:, None]] = 1.0
        pick_p = np.zeros((shape.positions, count), np.float32)
        pick_p[positions, np.arange(count)] = 1.0
        rows_q, inverse_q = np.unique(np.concatenate([e.copies for e in batch]), return_inverse=True)
        pick_q = np.zeros((len(rows_q), count), np.float32)
        pick_q[inverse_q, np.arange(count)] = 1.0
        table_c = p["C"].reshape(-1, shape.hidden)

        pooled = pool.T @ p["E"][rows_e]
        pre = pooled[owner] + pick_p.T @ p["P"] + pick_c.T @ table_c[rows_c] + pick_q.T @ p["Q"][rows_q] + p["b1"]
        hidden = np.maximum(pre, 0.0)
        logits = hidden @ p["W"] + p["b2"]
        # Pointer gate: boost the copy candidate's logit (the prompt's end boosts end-of-text).
        copies = np.concatenate([e.copies for e in batch])
        gate_rows, candidates = copies // 258, copies % 258
        boosted = np.nonzero(candidates < COPY_NONE)[0]
        pick_g = np.zeros((COPY_GATES, count), np.float32)
        pick_g[gate_rows, np.arange(count)] = 1.0
        gate = p["g0"][gate_rows] + np.einsum("nh,nh->n", hidden, p["G"][gate_rows])
        logits[boosted, candidates[boosted]] += gate[boosted]
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        probs = exp / exp.sum(axis=1, keepdims=True)
        picked = probs[np.arange(count), targets]
        loss = float(-np.sum(np.log(np.maximum(picked, 1e-30))))
        correct = int(np.count_nonzero(probs.argmax(axis=1) == targets))
        if not backward:
            return loss, correct, {}, {}

        grad_logits = probs
        grad_logits[np.arange(count), targets] -= 1.0
        grad_logits /= count_all
        grad_gate = np.zeros(count, np.float32)
        grad_gate[boosted] = grad_logits[boosted, candidates[boosted]]
        grad_pre = (grad_logits @ p["W"].T + grad_gate[:, None] * p["G"][gate_rows]) * (pre > 0)
        dense = {
            "W": hidden.T @ grad_logits,
            "b2": grad_logits.sum(axis=0),
            "b1": grad_pre.sum(axis=0),
            "P": pick_p @ grad_pre,
            "G": pick_g @ (grad_gate[:, None] * hidden),
            "g0": pick_g @ grad_gate,
        }
        sparse = {
            "E": (rows_e, pool @ np.add.reduceat(grad_pre, starts, axis=0)),
            "C": (rows_c, pick_c @ grad_pre),
            "Q": (rows_q, pick_q @ grad_pre),
        }
        return loss, correct, dense, sparse

    def _adam(self, name: str, grad: np.ndarray, lr: float, t: int, rows: np.ndarray | None = None) -> None:
        b1, b2, eps = 0.9, 0.999, 1e-8
        m, v = self.moments[name]
        param = self.model.params[name]
        step = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        if rows is None:
            m *= b1
            m += (1 - b1) * grad
            v *= b2
            v += (1 - b2) * grad * grad
            param -= step * m / (np.sqrt(v) + eps)
            return
        # Lazy Adam: only the rows this batch touched (tables are viewed as 2-D row sets).
        m2, v2, p2 = (a.reshape(-1, a.shape[-1]) for a in (m, v, param))
        m_rows = b1 * m2[rows] + (1 - b1) * grad
        v_rows = b2 * v2[rows] + (1 - b2) * grad * grad
        m2[rows] = m_rows
        v2[rows] = v_rows
        p2[rows] -= step * m_rows / (np.sqrt(v_rows) + eps)

    # -- checkpoints ----------------------------------------------------------------
    def save_checkpoint(self, path: Path, notes: bytes = b"") -> None:
        """Weights, optimiser state and step (all a later process needs to carry on exactly), and `notes`."""
        extra = {f"m_{k}": m for k, (m, _) in self.moments.items()}
        extra |= {f"v_{k}": v for k, (_, v) in self.moments.items()}
        extra["step"] = np.asarray([self.step, self.total_steps, self.seed], dtype=np.int64)
        extra["notes"] = np.frombuffer(notes, dtype=np.uint8)
        self.model.save(path, extra)

    def load_checkpoint(self, path: Path) -> bytes:
        """Restore weights, optimiser state and step; return the notes saved with them."""
        model, extra = Model.load(path)
        step, total, seed = (int(x) for x in extra["step"])
        if total != self.total_steps or seed != self.seed or model.shape != self.shape:
            raise ValueError(f"checkpoint {path.name} belongs to a different run (steps {total}, seed {seed})")
        self.model.params = model.params
        self.model.max_output_bytes = model.max_output_bytes
        self.moments = {
            k: (extra[f"m_{k}"], extra[f"v_{k}"]) if f"m_{k}" in extra else (np.zeros_like(v), np.zeros_like(v))
            for k, v in model.params.items()
        }
        self.step = step
        return extra["notes"].tobytes() if "notes" in extra else b""
