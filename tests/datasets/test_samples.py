"""The shipped samples: lint clean, the advised sizes, and reproducible from their generator."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

from tui.datasets import lint, open_dataset, sample_paths
from tui.models import Task

ROOT = Path(__file__).resolve().parents[2]


def test_samples_are_shipped_in_the_order_a_new_user_sees_them():
    assert [p.name for p in sample_paths()] == ["number-increment.jsonl", "classification.jsonl", "summarization.jsonl"]


def test_every_sample_lints_clean():
    for path in sample_paths():
        report = lint(open_dataset(path))
        problems = [f"{f.line}: {f.rule}: {f.message}" for f in report.findings if f.severity != "info"]
        assert problems == [], path.name


def test_number_increment_covers_digits_words_and_roman_numerals():
    examples = {(e.text_input, e.output) for e in open_dataset(sample_paths()[0]).iter_examples()}
    assert {("7", "8"), ("seven", "eight"), ("VII", "VIII")} <= examples
    assert len(examples) >= 36


def test_classification_is_balanced_with_label_word_outputs():
    reader = open_dataset(sample_paths()[1])
    report = lint(reader)
    assert report.task is Task.CLASSIFICATION and 150 <= report.stats.examples <= 250
    labels = report.stats.labels
    assert 3 <= len(labels) <= 5 and max(labels.values()) == min(labels.values())
    held_out = Counter(e.output for i, e in enumerate(reader.iter_examples()) if i % 5 == 4)
    assert set(held_out) == set(labels) and max(held_out.values()) - min(held_out.values()) <= 2
    assert report.profile.preamble and report.profile.markers == ("ticket:",)


def test_summarization_has_one_line_outputs():
    reader = open_dataset(sample_paths()[2])
    examples = list(reader.iter_examples())
    assert len(examples) >= 100
    assert all("\n" not in e.output and len(e.output) < len(e.text_input) for e in examples)
    assert lint(reader).task is Task.SUMMARIZATION


def test_generator_reproduces_the_shipped_files(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_samples.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True, timeout=60)
    for path in sample_paths():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
