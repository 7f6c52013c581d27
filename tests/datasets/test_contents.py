"""Converting datasets to Vertex `contents` JSONL, the validation split, and the Vertex lint rules."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from tests.datasets.conftest import jsonl, pairs
from tui.datasets import lint, open_dataset
from tui.datasets.contents import example_token_limit, write_contents
from tui.datasets.split import ValidationSplit
from tui.samples import sample_paths


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def user_model(question: str, answer: str) -> list[dict]:
    return [{"role": "user", "parts": [{"text": question}]}, {"role": "model", "parts": [{"text": answer}]}]


def test_pairs_become_single_turn_contents_with_hashes_of_what_was_written(write, tmp_path):
    path = write("pairs.jsonl", jsonl(pairs(30)))
    result = write_contents(open_dataset(path), tmp_path / "out")
    rows = read_lines(result.training.path)
    assert rows[3] == {"contents": user_model("question 3", "answer 3")}
    data = result.training.path.read_bytes()
    assert result.training.sha256 == hashlib.sha256(data).hexdigest()
    assert result.training.md5 == hashlib.md5(data).hexdigest()
    assert result.training.size_bytes == len(data)
    assert result.training.sha256[:16] in result.training.path.name
    assert (result.training.examples, result.validation, result.skipped) == (30, None, 0)
    expected_chars = sum(len(f"question {i}") + len(f"answer {i}") for i in range(30))
    assert result.training.text_chars == expected_chars
    assert result.training.estimated_tokens == expected_chars // 4


def test_csv_and_bad_records_are_counted_as_skipped(write, tmp_path):
    path = write("data.csv", "input,output\nhello,world\n\"a, b\",c\nonly-one-field\n")
    result = write_contents(open_dataset(path), tmp_path)
    assert read_lines(result.training.path) == [{"contents": user_model("hello", "world")},
                                                {"contents": user_model("a, b", "c")}]
    assert result.skipped == 1


def test_multi_turn_vertex_and_chat_records_keep_every_turn(write, tmp_path):
    turns = [*user_model("q1", "a1"), *user_model("q2", "a2")]
    vertex = {"systemInstruction": {"parts": [{"text": "be brief"}]}, "contents": turns}
    chat = {"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"},
                         {"role": "assistant", "content": "hello"}, {"role": "user", "content": "bye"},
                         {"role": "assistant", "content": "ciao"}]}
    path = write("mixed.jsonl", jsonl([vertex, chat]))
    rows = read_lines(write_contents(open_dataset(path), tmp_path).training.path)
    assert rows[0] == {"systemInstruction": {"role": "system", "parts": [{"text": "be brief"}]}, "contents": turns}
    assert rows[1] == {"systemInstruction": {"role": "system", "parts": [{"text": "sys"}]},
                       "contents": [*user_model("hi", "hello"), *user_model("bye", "ciao")]}


@pytest.mark.parametrize("turns", [
    [{"role": "user", "parts": [{"text": "a"}]}, {"role": "user", "parts": [{"text": "b"}]},
     {"role": "model", "parts": [{"text": "c"}]}],
    [*user_model("q", "a"), {"role": "user", "parts": [{"text": "dangling"}]}],
    [{"role": "assistant", "parts": [{"text": "x"}]}, *user_model("q", "a")],
])
def test_conversations_breaking_vertex_role_rules_are_skipped(write, tmp_path, turns):
    path = write("bad.jsonl", jsonl([{"contents": user_model("ok", "fine")}, {"contents": turns}]))
    result = write_contents(open_dataset(path), tmp_path)
    assert (result.training.examples, result.skipped) == (1, 1)


def test_preamble_moves_to_system_instruction_only_where_inputs_start_with_it(write, tmp_path):
    rows = [{"text_input": "Classify the text.\nitem one", "output": "x"},
            {"text_input": "no preamble here", "output": "y"}]
    path = write("pre.jsonl", jsonl(rows))
    out = read_lines(write_contents(open_dataset(path), tmp_path, preamble="Classify the text.").training.path)
    assert out[0] == {"systemInstruction": {"role": "system", "parts": [{"text": "Classify the text."}]},
                      "contents": user_model("item one", "x")}
    assert out[1] == {"contents": user_model("no preamble here", "y")}


def labelled(n: int) -> list[dict]:
    """n examples with three labels in proportion 6:3:1."""
    names = ["billing"] * 6 + ["shipping"] * 3 + ["account"]
    return [{"text_input": f"ticket {i}", "output": names[i % 10]} for i in range(n)]


def test_split_is_stratified_by_label_and_seeded(write, tmp_path):
    path = write("cls.jsonl", jsonl(labelled(200)))
    first = write_contents(open_dataset(path), tmp_path / "a", split=ValidationSplit(0.2, seed=7))
    again = write_contents(open_dataset(path), tmp_path / "b", split=ValidationSplit(0.2, seed=7))
    other = write_contents(open_dataset(path), tmp_path / "c", split=ValidationSplit(0.2, seed=8))
    assert first.stratified
    assert first.validation is not None and first.validation.examples == 40
    assert first.training.examples == 160
    labels = Counter(row["contents"][-1]["parts"][0]["text"] for row in read_lines(first.validation.path))
    assert labels == {"billing": 24, "shipping": 12, "account": 4}
    assert first.validation.sha256 == again.validation.sha256
    assert other.validation is not None and first.validation.sha256 != other.validation.sha256
    train = {row["contents"][0]["parts"][0]["text"] for row in read_lines(first.training.path)}
    held = {row["contents"][0]["parts"][0]["text"] for row in read_lines(first.validation.path)}
    assert not train & held and len(train | held) == 200


def test_split_of_free_text_is_not_stratified_and_capped_at_the_vertex_limit(write, tmp_path):
    path = write("free.jsonl", jsonl(pairs(100)))
    result = write_contents(open_dataset(path), tmp_path, split=ValidationSplit(0.3, seed=1, limit=12))
    assert not result.stratified
    assert result.validation is not None
    assert (result.training.examples, result.validation.examples) == (88, 12)


def test_validation_split_fraction_is_checked():
    with pytest.raises(ValueError, match="between 0 and 1"):
        ValidationSplit(1.5)


def test_separate_validation_file_is_converted_alongside(write, tmp_path):
    train = write("train.jsonl", jsonl(pairs(20)))
    held = write("held.csv", "input,output\nq,a\n")
    result = write_contents(open_dataset(train), tmp_path, validation=open_dataset(held))
    assert result.validation is not None
    assert read_lines(result.validation.path) == [{"contents": user_model("q", "a")}]
    with pytest.raises(ValueError, match="not both"):
        write_contents(open_dataset(train), tmp_path, split=ValidationSplit(0.1), validation=open_dataset(held))


def test_samples_convert_without_loss(tmp_path):
    for path in sample_paths():
        reader = open_dataset(path)
        result = write_contents(reader, tmp_path)
        assert result.training.examples == len(reader)


def test_token_limit_by_model():
    assert example_token_limit("gemini-2.5-flash") == 131_072
    assert example_token_limit("projects/p/locations/l/publishers/google/models/gemini-2.5-pro") == 131_072


# -- lint with the Vertex target ---------------------------------------------------------------


def rules_of(report) -> Counter:
    return Counter(f.rule for f in report.findings)


def test_vertex_lint_accepts_multi_turn_that_gemini_refuses(write):
    rows = [{"contents": [*user_model(f"q{i}", "a"), *user_model("more", "b")]} for i in range(20)]
    path = write("multi.jsonl", jsonl(rows))
    gemini = lint(open_dataset(path))
    vertex = lint(open_dataset(path), target="vertex")
    assert gemini.rule_counts.get("multi-turn") == 20 and gemini.has_errors
    assert "multi-turn" not in vertex.rule_counts and "too-few-examples" not in vertex.rule_counts
    assert not vertex.has_errors


def test_vertex_lint_names_role_problems_with_their_line(write):
    good = [{"contents": user_model(f"q{i}", "a")} for i in range(20)]
    bad = {"contents": [*user_model("q", "a"), {"role": "user", "parts": [{"text": "last"}]}]}
    path = write("roles.jsonl", jsonl([*good, bad]))
    report = lint(open_dataset(path), target="vertex")
    finding = next(f for f in report.findings if f.rule == "last-turn-not-model")
    assert finding.line == 21 and finding.severity == "error"
    assert report.has_errors


def test_vertex_lint_counts_too_few_examples_itself(write):
    path = write("few.jsonl", jsonl(pairs(10)))
    report = lint(open_dataset(path), target="vertex")
    assert [f.message for f in report.findings if f.rule == "too-few-examples"] == [
        "10 valid examples; Vertex tuning needs at least 16"]
    assert report.counts["error"] == 1


def test_vertex_lint_warns_about_examples_over_the_token_limit(write):
    rows = [*pairs(20), {"text_input": "x" * (131_072 * 4 + 8), "output": "y"}]
    path = write("long.jsonl", jsonl(rows))
    report = lint(open_dataset(path), target="vertex")
    long = [f for f in report.findings if f.rule == "example-too-long"]
    assert [f.line for f in long] == [21]
    assert "input-too-long" not in report.rule_counts  # the Gemini API's character limit does not apply
    assert lint(open_dataset(path)).rule_counts["input-too-long"] == 1


def test_vertex_validation_lint_refuses_more_than_5000_examples(write):
    path = write("val.jsonl", jsonl(pairs(5001)))
    report = lint(open_dataset(path), target="vertex-validation")
    assert report.rule_counts.get("too-many-validation-examples") == 1
    assert lint(open_dataset(write("ok.jsonl", jsonl(pairs(5000)))), target="vertex-validation").rule_counts.get(
        "too-many-validation-examples") is None


def test_vertex_lint_reports_each_malformed_conversation_once(write):
    good = [{"contents": user_model(f"q{i}", "a")} for i in range(20)]
    reversed_pair = {"contents": list(reversed(user_model("q", "a")))}
    chat = {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"},
                         {"role": "assistant", "content": "c"}]}
    path = write("mixed.jsonl", jsonl([*good, reversed_pair, chat]))
    report = lint(open_dataset(path), target="vertex")
    by_line = Counter(f.line for f in report.findings if f.severity == "error")
    assert by_line == {21: 1, 22: 1}
    assert next(f.rule for f in report.findings if f.line == 22) == "roles-not-alternating"
