"""The numpy trainer on its own: data order, the loss it reports, checkpoints, chunking."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from tui.emulator import trainer as trainer_module
from tui.emulator.model import COPY_END, COPY_NONE, EOS, CopyTracker, Model, Shape, featurize
from tui.emulator.trainer import Trainer

EXAMPLES = [(f"question {i}: what is {i % 5} plus one?", str(i % 5 + 1)) for i in range(23)]


def test_every_example_once_per_epoch_and_total_steps():
    trainer = Trainer(EXAMPLES, epochs=3, batch_size=4, learning_rate=0.001, seed=1)
    assert trainer.total_steps == math.ceil(23 * 3 / 4)
    seen = [i for step in range(trainer.total_steps) for i in trainer.batch_indices(step)]
    assert len(seen) == 69
    for epoch in range(3):
        assert sorted(seen[epoch * 23 : (epoch + 1) * 23]) == list(range(23))
    assert [trainer.epoch_of(s) for s in (0, 5, 6, 11, 17)] == [1, 1, 2, 2, 3]


def test_reported_loss_is_the_true_mean_loss_of_the_batch():
    trainer = Trainer(EXAMPLES, epochs=2, batch_size=4, learning_rate=0.001, seed=2)
    for _ in range(3):
        trainer.train_step()
    model = Model(trainer.shape, {k: v.copy() for k, v in trainer.model.params.items()})
    batch = [EXAMPLES[i] for i in trainer.batch_indices(trainer.step)]
    losses = []
    for prompt, output in batch:
        pooled = model.encode(prompt)
        tracker = CopyTracker(prompt.encode())
        produced: list[int] = []
        for target in [*output.encode(), EOS]:
            logits = model.step_logits(pooled, produced, tracker.row()).astype(np.float64)
            logp = logits - logits.max() - np.log(np.exp(logits - logits.max()).sum())
            losses.append(-logp[target])
            produced.append(target)
            if target != EOS:
                tracker.push(target)
    assert trainer.train_step() == pytest.approx(float(np.mean(losses)), rel=1e-4)


def test_resuming_from_a_checkpoint_matches_an_uninterrupted_run(tmp_path):
    straight = Trainer(EXAMPLES, epochs=4, batch_size=3, learning_rate=0.002, seed=3)
    straight_losses = [straight.train_step() for _ in range(straight.total_steps)]

    first = Trainer(EXAMPLES, epochs=4, batch_size=3, learning_rate=0.002, seed=3)
    losses = [first.train_step() for _ in range(13)]
    first.save_checkpoint(tmp_path / "c.npz", b"notes")
    second = Trainer(EXAMPLES, epochs=4, batch_size=3, learning_rate=0.002, seed=3)
    assert second.load_checkpoint(tmp_path / "c.npz") == b"notes" and second.step == 13
    losses += [second.train_step() for _ in range(second.total_steps - 13)]
    assert losses == pytest.approx(straight_losses, rel=1e-5)

    other = Trainer(EXAMPLES, epochs=5, batch_size=3, learning_rate=0.002, seed=3)
    with pytest.raises(ValueError, match="different run"):
        other.load_checkpoint(tmp_path / "c.npz")


def test_chunked_batches_give_the_same_update(monkeypatch):
    long_examples = [(f"item {i}", f"answer {i % 3} " * 20) for i in range(16)]
    whole = Trainer(long_examples, epochs=1, batch_size=8, learning_rate=0.001, seed=4)
    chunked = Trainer(long_examples, epochs=1, batch_size=8, learning_rate=0.001, seed=4)
    whole_loss = whole.train_step()
    monkeypatch.setattr(trainer_module, "CHUNK_POSITIONS", 200)
    assert chunked.train_step() == pytest.approx(whole_loss, rel=1e-5)
    for name in whole.model.params:
        np.testing.assert_allclose(whole.model.params[name], chunked.model.params[name], atol=1e-5)


def test_learns_and_answers(tmp_path):
    trainer = Trainer(EXAMPLES, epochs=40, batch_size=4, learning_rate=0.001, seed=5)
    losses = [trainer.train_step() for _ in range(trainer.total_steps)]
    assert losses[-1] < 0.05 * losses[0]
    trainer.model.save(tmp_path / "m.npz")
    model, _ = Model.load(tmp_path / "m.npz")
    answers = Counter(
        bytes(b for b, _ in model.sample(prompt) if b is not None).decode() == output for prompt, output in EXAMPLES
    )
    assert answers[True] == len(EXAMPLES)


def test_features_are_deterministic_and_normalised():
    ids, weights = featurize("Hello, world", Shape())
    again, _ = featurize("Hello, world", Shape())
    assert np.array_equal(ids, again) and len(np.unique(ids)) == len(ids)
    assert float(np.sum(weights * weights)) == pytest.approx(1.0, rel=1e-5)
    empty_ids, _ = featurize("", Shape())
    assert len(empty_ids) > 0  # the start and end markers still give a feature


def test_copy_tracker_follows_the_prompt():
    tracker = CopyTracker(b"abcXabd. Ana")
    assert tracker.row() % 258 == ord("a")  # nothing produced yet: the prompt's first byte
    seen = []
    for byte in b"abd; AnZ":
        tracker.push(byte)
        seen.append((tracker.index, tracker.length, tracker.row() % 258))
    assert seen[0] == (0, 1, ord("b"))
    assert seen[1] == (0, 2, ord("c"))
    assert seen[2] == (4, 3, ord("."))  # "abd" broke the first match; found again at 4
    assert seen[3] == (8, 0, ord(" "))  # ";" for "." keeps the alignment
    assert seen[4:7] == [(8, 1, ord("A")), (8, 2, ord("n")), (8, 3, ord("a"))]
    assert seen[7][2] == COPY_END  # "Z" for the last "a": aligned past the end
    assert CopyTracker(b"").row() % 258 == COPY_END
    lone = CopyTracker(b"xy")
    lone.push(ord("q"))
    lone.push(ord("r"))
    lone.push(ord("s"))
    assert lone.row() % 258 == COPY_NONE


def test_weights_saved_without_the_copy_table_still_load(tmp_path):
    trainer = Trainer(EXAMPLES, epochs=1, batch_size=4, learning_rate=0.001, seed=6)
    params = {k: v for k, v in trainer.model.params.items() if k not in ("Q", "G", "g0")}
    Model(trainer.shape, params).save(tmp_path / "old.npz")
    model, _ = Model.load(tmp_path / "old.npz")
    assert not model.params["Q"].any() and not model.params["G"].any() and not model.params["g0"].any()
    assert len(list(model.sample("question 1", max_bytes=3))) >= 1


def test_multibyte_answers_come_out_whole():
    from tui.emulator.generation import GenerationRequest, collect, generate

    examples = [("ความรู้สึก: ดีมาก", "บวก"), ("ความรู้สึก: แย่มาก", "ลบ"), ("feeling: 😀", "emoji 😀 ok")] * 6
    trainer = Trainer(examples, epochs=20, batch_size=3, learning_rate=0.001, seed=7)
    for _ in range(trainer.total_steps):
        trainer.train_step()
    request = GenerationRequest(prompt="feeling: 😀", temperature=0.0, top_k=None, top_p=None, max_output_tokens=None,
                                candidate_count=1, stop_sequences=(), seed=None)  # fmt: skip
    pieces = list(generate(trainer.model, request, chunk_chars=2))
    assert len(pieces) > 2 and "\ufffd" not in "".join(p.text for p in pieces)
    assert collect(iter(pieces))[0].text == "emoji 😀 ok"
    thai = GenerationRequest(**{**request.__dict__, "prompt": "ความรู้สึก: ดีมาก"})
    assert collect(generate(trainer.model, thai))[0].text == "บวก"


def test_accuracy_prediction_counts_and_evaluation():
    trainer = Trainer(EXAMPLES, epochs=30, batch_size=4, learning_rate=0.001, seed=6)
    held_out = trainer.encode(EXAMPLES[:3])
    before_loss, before_accuracy, count = trainer.evaluate(held_out)
    assert count == sum(len(out.encode()) + 1 for _, out in EXAMPLES[:3])  # answer bytes and the end
    trainer.train_step()
    batch = [EXAMPLES[i] for i in trainer.batch_indices(0)]
    assert trainer.last_predictions == sum(len(out.encode()) + 1 for _, out in batch)
    assert 0 <= trainer.last_correct <= trainer.last_predictions
    while trainer.step < trainer.total_steps:
        trainer.train_step()
    after_loss, after_accuracy, _ = trainer.evaluate(held_out)
    assert after_loss < 0.1 * before_loss and after_accuracy > max(0.9, before_accuracy)
    assert trainer.evaluate(held_out) == (after_loss, after_accuracy, count)  # evaluation does not train
    assert trainer.last_correct / trainer.last_predictions > 0.9
