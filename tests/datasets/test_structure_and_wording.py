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
    report = check(write, [*pairs(25), {"question": "q", "answer": "a"}])
    assert located(report) == [("missing-input", 26, "text_input"), ("missing-output", 26, "output")]
    missing = next(f for f in report.findings if f.rule == "missing-input")
    assert "question" in missing.hint and "answer" in missing.hint  # the keys it does have


def test_a_record_without_input_and_with_a_bad_output_reports_both(write):
    report = check(write, [*pairs(25), {"question": "q", "output": 3}])
    assert located(report) == [("missing-input", 26, "text_input"), ("non-string-output", 26, "output")]


def test_a_prompt_without_completion_still_names_the_prompt(write):
    report = check(write, [*pairs(25), {"completion": "c"}])
    assert located(report) == [("missing-input", 26, "prompt")]


def test_an_example_with_an_input_too_long_is_not_counted_valid(write):
    rows = [*pairs(25), {"text_input": "i" * 40001, "output": "a"}, {"text_input": "q", "output": ""}]
    report = check(write, rows)
    assert report.stats.examples == 25
    assert "25 valid examples of 27 records" in next(f.message for f in report.findings if f.rule == "format")


def test_counts_of_one_are_singular(write):
    report = check(write, [{"text_input": "q", "output": "a"}])
    assert "1 valid example of 1 record" in next(f.message for f in report.findings if f.rule == "format")
    assert next(f.message for f in report.findings if f.rule == "too-few-examples").startswith("1 valid example;")


def test_an_empty_file_says_it_is_empty(write):
    report = check(write, "")
    empty = [f for f in report.findings if f.rule == "empty-file"]
    assert [f.severity.value for f in empty] == ["error"] and "file is empty" in empty[0].message
    assert report.has_errors and report.stats.examples == 0
    blank = check(write, "\n\n", name="blank.jsonl")
    assert "no records" in next(f.message for f in blank.findings if f.rule == "empty-file")


def test_sizes_in_binary_units():
    from tui.datasets.wording import plural, size

    assert size(52_428_800) == "50 MiB"
    assert size(1_572_864) == "1.5 MiB"
    assert size(4 * 1024 * 1024) == "4 MiB"
    assert size(2048) == "2 KiB" and size(100) == "100 bytes" and size(1) == "1 byte"
    assert size(3 * 1024**3) == "3 GiB"
    assert plural(1, "error") == "1 error" and plural(2, "error") == "2 errors"
    assert plural(1_000, "record") == "1,000 records"


def test_one_finding_beyond_the_listed_ones_is_singular(write):
    from tui.datasets.findings import MAX_PER_RULE

    report = check(write, [{"text_input": f"q{i}", "output": ""} for i in range(MAX_PER_RULE + 1)])
    summary = [f.message for f in report.findings if f.rule == "empty-output" and f.line is None]
    assert summary == [f"1 more empty-output finding not listed ({MAX_PER_RULE + 1} in all)"]
