"""Every structural problem of a record, honest counts, plural and size wording, empty files."""

from __future__ import annotations

from tests.datasets.conftest import jsonl, pairs
from tui.datasets import lint, open_dataset


def check(write, rows_or_text, name="d.jsonl", **options):
    text = rows_or_text if isinstance(rows_or_text, (str, bytes)) else jsonl(rows_or_text)
    return lint(open_dataset(write(name, text)), **options)


def located(report):
    return [(f.rule, f.line, f.field) for f in report.findings if f.line]


def test_a_record_with_neither_input_nor_output_reports_both(write):
    report = check(write, pairs(25) + [{"question": "q", "answer": "a"}])
    assert located(report) == [("missing-input", 26, "text_input"), ("missing-output", 26, "output")]
    missing = next(f for f in report.findings if f.rule == "missing-input")
    assert "question" in missing.hint and "answer" in missing.hint  # the keys it does have


def test_a_record_without_input_and_with_a_bad_output_reports_both(write):
    report = check(write, pairs(25) + [{"question": "q", "output": 3}])
    assert located(report) == [("missing-input", 26, "text_input"), ("non-string-output", 26, "output")]


def test_a_prompt_without_completion_still_names_the_prompt(write):
    report = check(write, pairs(25) + [{"completion": "c"}])
    assert located(report) == [("missing-input", 26, "prompt")]
