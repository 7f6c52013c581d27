"""Lint rules: each one fires where it should, names the line and field, and gives a hint."""

from __future__ import annotations

import json

import pytest

from tests.datasets.conftest import jsonl, pairs
from tui.datasets import lint, open_dataset
from tui.datasets.findings import MAX_PER_RULE
from tui.models import Severity, Task


def check(write, rows_or_text, name="d.jsonl", **options):
    text = rows_or_text if isinstance(rows_or_text, (str, bytes)) else jsonl(rows_or_text)
    return lint(open_dataset(write(name, text)), **options)


def found(report, rule):
    return [f for f in report.findings if f.rule == rule]


def test_clean_dataset_has_only_info(write):
    report = check(write, pairs(120))
    assert not report.has_errors and report.counts["warning"] == 0
    assert {f.rule for f in report.findings} == {"format", "task"}
    assert all(f.severity is Severity.INFO and f.hint is not None for f in report.findings)


def test_record_errors_are_findings_with_location(write):
    text = jsonl(pairs(25)) + '{"text_input": 1, "output": "x"}\n' + "{broken\n"
    report = check(write, text)
    assert report.has_errors
    wrong = found(report, "non-string-input")[0]
    assert (wrong.line, wrong.field, wrong.severity) == (26, "text_input", Severity.ERROR)
    broken = found(report, "invalid-json")[0]
    assert broken.line == 27 and broken.column and broken.path.endswith("d.jsonl")
    assert report.stats.examples == 25


def test_a_bad_input_does_not_hide_a_bad_output(write):
    text = jsonl(pairs(25)) + '{"text_input": 1, "output": ["a"]}\n' + '{"text_input": null}\n'
    report = check(write, text)
    assert [(f.rule, f.line, f.field) for f in report.findings if f.line] == [
        ("non-string-input", 26, "text_input"),
        ("non-string-output", 26, "output"),
        ("non-string-input", 27, "text_input"),
        ("missing-output", 27, "output"),
    ]
    row = open_dataset(write("d.jsonl", text)).page(25, 1)[0]  # the browser names both
    assert row.error.rule == "non-string-input" and "output" in row.error.message


def test_empty_and_too_long_fields(write):
    rows = [*pairs(25), {"text_input": "q", "output": ""}, {"text_input": "", "output": "a"},
            {"text_input": "i" * 40_001, "output": "a"}, {"text_input": "q2", "output": "o" * 5_001}]
    report = check(write, rows)
    assert [(f.line, f.field) for f in found(report, "empty-output")] == [(26, "output")]
    assert [(f.line, f.field) for f in found(report, "empty-input")] == [(27, "text_input")]
    assert [f.line for f in found(report, "input-too-long")] == [28]
    assert "40,001" in found(report, "input-too-long")[0].message
    assert [f.line for f in found(report, "output-too-long")] == [29]


def test_limits_are_inclusive(write):
    rows = [*pairs(25), {"text_input": "i" * 40000, "output": "o" * 5000}]
    report = check(write, rows)
    assert not found(report, "input-too-long") and not found(report, "output-too-long")


def test_fewer_than_twenty_examples_is_an_error(write):
    report = check(write, pairs(19))
    assert [f.severity for f in found(report, "too-few-examples")] == [Severity.ERROR]
    assert not found(check(write, pairs(20)), "too-few-examples")


def test_empty_file_is_an_error_not_a_crash(write):
    report = check(write, "")
    assert report.has_errors and found(report, "empty-file") and report.stats.examples == 0


def test_inline_payload_over_4_mb(write):
    rows = [{"text_input": f"{i} " + "x" * 39_000, "output": "y"} for i in range(110)]
    report = check(write, rows)
    assert found(report, "payload-too-large")[0].severity is Severity.ERROR
    assert report.stats.inline_bytes > 4 * 1024 * 1024
    assert not found(check(write, rows, target="vertex"), "payload-too-large")


def test_payload_counts_utf8_bytes(write):
    thai = "ภาษาไทย" * 5
    report = check(write, [{"text_input": f"{thai} {i}", "output": thai} for i in range(20)])
    assert report.stats.inline_bytes >= 20 * 2 * len(thai.encode())


def test_multi_turn_is_an_error(write):
    convo = {"contents": [{"role": "user", "parts": [{"text": "a"}]}, {"role": "model", "parts": [{"text": "b"}]},
                          {"role": "user", "parts": [{"text": "c"}]}, {"role": "model", "parts": [{"text": "d"}]}]}
    report = check(write, [convo] * 3)
    assert [(f.line, f.severity) for f in found(report, "multi-turn")] == [(n, Severity.ERROR) for n in (1, 2, 3)]


@pytest.mark.parametrize(("task", "n", "warned"), [
    ("classification", 99, True), ("classification", 100, False), ("summarization", 60, True),
    ("document-search", 99, True), ("generation", 25, False)])
def test_fewer_examples_than_advised_for_the_task(write, task, n, warned):
    report = check(write, pairs(n), task=task)
    assert bool(found(report, "fewer-than-advised")) is warned
    assert report.task is Task(task) and not report.task_guessed


def test_task_is_guessed_from_outputs(write):
    labels = ["red", "green", "blue"]
    report = check(write, [{"text_input": f"item {i}", "output": labels[i % 3]} for i in range(60)])
    assert report.task is Task.CLASSIFICATION and report.task_guessed
    assert report.stats.labels == {"blue": 20, "green": 20, "red": 20}
    assert found(report, "fewer-than-advised")
    long_inputs = [{"text_input": f"note {i}: " + "words " * 60, "output": f"short {i}"} for i in range(30)]
    assert check(write, long_inputs).task is Task.SUMMARIZATION
    assert check(write, pairs(30)).task is Task.GENERATION


def test_heavily_imbalanced_labels(write):
    rows = [{"text_input": f"item {i}", "output": "common" if i < 100 else "rare"} for i in range(120)]
    report = check(write, rows)
    warning = found(report, "imbalanced-labels")[0]
    assert "common 100" in warning.message and "rare 20" in warning.message
    balanced = [{"text_input": f"item {i}", "output": ["a", "b"][i % 2]} for i in range(120)]
    assert not found(check(write, balanced), "imbalanced-labels")


def test_duplicates_and_conflicting_outputs(write):
    rows = [*pairs(22), {"text_input": "question 3", "output": "answer 3"},
            {"text_input": "question 5", "output": "something else"}]
    report = check(write, rows)
    dup = found(report, "duplicate")
    assert [(f.line, f.severity) for f in dup] == [(23, Severity.WARNING)] and "line 4" in dup[0].message
    conflict = found(report, "conflicting-output")
    assert [f.line for f in conflict] == [24] and "line 6" in conflict[0].message
    assert (report.stats.duplicates, report.stats.conflicting_inputs) == (1, 1)


def test_leading_and_trailing_whitespace(write):
    rows = [*pairs(22), {"text_input": " padded", "output": "x"}, {"text_input": "fine", "output": "x\n"}]
    report = check(write, rows)
    assert [(f.line, f.field) for f in found(report, "whitespace")] == [(23, "text_input"), (24, "output")]


def test_inconsistent_markers_missing_and_out_of_order(write):
    rows = [{"text_input": f"question: q{i}\ncontext: c{i}", "output": f"a{i}"} for i in range(30)]
    rows.append({"text_input": "question: only the question", "output": "x"})
    rows.append({"text_input": "context: c first\nquestion: q after", "output": "y"})
    report = check(write, rows)
    assert report.profile.markers == ("question:", "context:")
    missing = found(report, "missing-marker")
    assert [(f.line, f.field) for f in missing] == [(31, "text_input")] and "context:" in missing[0].message
    assert [f.line for f in found(report, "marker-order")] == [32]
    assert found(report, "markers")[0].severity is Severity.INFO


def test_inline_markers_are_found(write):
    rows = [{"text_input": f"Answer it. question: q{i} context: c{i}", "output": f"a{i}"} for i in range(25)]
    rows.append({"text_input": "Answer it. question: q", "output": "x"})
    report = check(write, rows)
    assert report.profile.markers == ("question:", "context:")
    assert [f.line for f in found(report, "missing-marker")] == [26]


def test_preamble_shared_by_most_inputs(write):
    rows = [{"text_input": f"Classify the review.\nreview: text {i}", "output": ["pos", "neg"][i % 2]}
            for i in range(40)]
    rows.insert(7, {"text_input": "review: forgot the preamble", "output": "pos"})
    report = check(write, rows)
    assert report.profile.preamble == "Classify the review."
    assert [f.line for f in found(report, "missing-preamble")] == [8]
    assert found(report, "preamble")[0].severity is Severity.INFO


def test_no_profile_when_inputs_share_nothing(write):
    report = check(write, pairs(30))
    assert report.profile.preamble is None and report.profile.markers == ()


def test_findings_are_sorted_by_line_and_capped_per_rule_with_true_counts(write):
    rows = [{"text_input": f"q{i}", "output": ""} for i in range(MAX_PER_RULE + 50)]
    report = check(write, rows)
    empty = found(report, "empty-output")
    assert len(empty) == MAX_PER_RULE + 1  # the kept ones plus a "more not listed" summary
    assert report.rule_counts["empty-output"] == MAX_PER_RULE + 50
    assert report.counts["error"] >= MAX_PER_RULE + 50
    assert any("50 more" in f.message for f in empty)
    lines = [f.line or 0 for f in report.findings]
    assert lines == sorted(lines)


def test_csv_and_json_go_through_the_same_rules(write):
    csv_text = "input,output\n" + "".join(f"q{i},a{i}\n" for i in range(21)) + "q1,a1\n"
    report = check(write, csv_text, name="d.csv")
    assert [f.line for f in found(report, "duplicate")] == [23]
    report = check(write, json.dumps([*pairs(21), {"text_input": "", "output": "x"}], indent=1), name="d.json")
    assert found(report, "empty-input")


def test_stats_lengths_and_token_estimate(write):
    rows = [{"text_input": "x" * (10 + i), "output": "y" * 4} for i in range(21)]
    stats = check(write, rows).stats
    assert (stats.examples, stats.input_chars.min, stats.input_chars.max, stats.input_chars.p50) == (21, 10, 30, 20)
    assert stats.output_chars.mean == 4 and sum(stats.input_chars.histogram) == 21
    assert stats.estimated_tokens == round((sum(range(10, 31)) + 84) / 4)


def test_lint_reports_progress(write):
    calls = []
    check(write, pairs(30), progress=lambda done, total: calls.append((done, total)))
    assert calls[-1][0] == calls[-1][1]


def test_invalid_utf8_offset_through_the_lint_pass(write):
    good = ("\n" + jsonl(pairs(21))).encode()
    bad = b'{"text_input": "\xff", "output": "x"}\n'
    report = check(write, good + bad + b"\n" + jsonl(pairs(1, "other")).encode())
    finding = found(report, "invalid-utf8")[0]
    offset = len(good) + bad.index(b"\xff")
    assert finding.line == 23 and f"byte offset {offset}" in finding.message
