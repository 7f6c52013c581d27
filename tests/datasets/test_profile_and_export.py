"""The format profile's prompt check, and export to the Gemini and Vertex JSONL shapes."""

from __future__ import annotations

import json

import pytest

from tests.datasets.conftest import jsonl
from tui.datasets import export_jsonl, lint, open_dataset
from tui.datasets.profile import FormatProfile, marker_signature

PROFILE = FormatProfile(preamble="Answer from the context.", markers=("question:", "context:"))


def test_marker_signature_finds_line_start_and_inline_markers():
    assert marker_signature("Answer.\nquestion: at 14:00?\ncontext: x") == ("question:", "context:")
    assert marker_signature("Translate to French: hello") == ("Translate to French:",)
    assert marker_signature("see http://example.com and a ratio 3:1") == ()


def test_a_prompt_in_the_dataset_format_passes():
    assert PROFILE.check_prompt("Answer from the context.\nquestion: why?\ncontext: because") == []


@pytest.mark.parametrize(("prompt", "rules"), [
    ("question: why?\ncontext: because", ["missing-preamble"]),
    ("Answer from the context.\nquestion: why?", ["missing-marker"]),
    ("Answer from the context.\ncontext: because\nquestion: why?", ["marker-order"]),
    ("why?", ["missing-preamble", "missing-marker"]),
])
def test_prompts_that_break_the_format_are_flagged(prompt, rules):
    findings = PROFILE.check_prompt(prompt)
    assert [f.rule for f in findings] == rules
    assert all(f.hint for f in findings)


def test_profile_from_lint_checks_prompts(write):
    rows = [
        {"text_input": f"Answer from the context.\nquestion: q{i}\ncontext: c{i}", "output": f"a{i}"} for i in range(25)
    ]
    profile = lint(open_dataset(write("p.jsonl", jsonl(rows)))).profile
    assert profile.preamble == "Answer from the context." and profile.markers == ("question:", "context:")
    assert [f.rule for f in profile.check_prompt("question: q")] == ["missing-preamble", "missing-marker"]


def test_export_gemini_and_vertex_shapes_round_trip(write, tmp_path):
    body = "text_input,output\n" + '"multi\nline",one\nplain,two\n'
    reader = open_dataset(write("d.csv", body))
    gemini, vertex = tmp_path / "g.jsonl", tmp_path / "v.jsonl"
    assert export_jsonl(reader, gemini) == 2
    assert [json.loads(line) for line in gemini.read_text().splitlines()] == [
        {"text_input": "multi\nline", "output": "one"},
        {"text_input": "plain", "output": "two"},
    ]
    assert export_jsonl(reader, vertex, shape="vertex") == 2
    first = json.loads(vertex.read_text().splitlines()[0])
    assert first == {
        "contents": [
            {"role": "user", "parts": [{"text": "multi\nline"}]},
            {"role": "model", "parts": [{"text": "one"}]},
        ]
    }
    again = open_dataset(vertex)
    assert [(e.text_input, e.output) for e in again.iter_examples()] == [("multi\nline", "one"), ("plain", "two")]


def test_export_skips_invalid_rows_and_rejects_unknown_shapes(write, tmp_path):
    reader = open_dataset(write("d.jsonl", jsonl([{"text_input": "a", "output": "b"}]) + "oops\n"))
    assert export_jsonl(reader, tmp_path / "out.jsonl") == 1
    with pytest.raises(ValueError, match="unknown export shape"):
        export_jsonl(reader, tmp_path / "x.jsonl", shape="yaml")
    assert not (tmp_path / "x.jsonl").exists()
