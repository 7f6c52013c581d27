"""A preamble that shares its line with the question: a leading sentence or words most inputs repeat."""

from __future__ import annotations

from tests.datasets.conftest import jsonl, pairs
from tui.datasets import lint, open_dataset
from tui.datasets.profile import FormatProfile

TICKETS = ["My card was declined", "The parcel never came", "I cannot log in", "Refund my order please",
           "The app crashes on start", "Change my address", "Where is my invoice", "Password reset fails"]


def profile_of(write, rows, name="d.jsonl"):
    return lint(open_dataset(write(name, jsonl(rows))))


def tickets(n: int, lead: str = "Classify the ticket. ") -> list[dict]:
    return [{"text_input": f"{lead}{TICKETS[i % len(TICKETS)]} ({i})", "output": ["billing", "shipping"][i % 2]}
            for i in range(n)]


def test_a_leading_sentence_on_the_first_line_is_learnt_and_missing_ones_warned(write):
    rows = tickets(40)
    rows.insert(9, {"text_input": "My card was declined again", "output": "billing"})
    report = profile_of(write, rows)
    assert report.profile.preamble == "Classify the ticket."
    assert report.profile.preamble_inline
    missing = [f for f in report.findings if f.rule == "missing-preamble"]
    assert [(f.line, f.field) for f in missing] == [(10, "text_input")]
    assert "Classify the ticket." in missing[0].message
    assert "Classify the ticket." in report.profile.describe()


def test_leading_words_without_a_full_stop_are_learnt(write):
    rows = [{"text_input": f"Please label this ticket {t.lower()} {i}", "output": "x" if i % 2 else "y"}
            for i, t in enumerate(TICKETS * 4)]
    rows.append({"text_input": "card declined", "output": "x"})
    report = profile_of(write, rows)
    assert report.profile.preamble == "Please label this ticket"
    assert [f.line for f in report.findings if f.rule == "missing-preamble"] == [33]


def test_inputs_sharing_no_leading_words_have_no_preamble(write):
    report = profile_of(write, pairs(40))  # "question 0", "question 1": one shared word is not a preamble
    assert report.profile.preamble is None
    assert not [f for f in report.findings if f.rule == "missing-preamble"]


def test_a_separate_first_line_is_still_the_preamble(write):
    rows = [{"text_input": f"Classify the review.\nreview: text {i}", "output": ["pos", "neg"][i % 2]}
            for i in range(30)]
    report = profile_of(write, rows)
    assert report.profile.preamble == "Classify the review." and not report.profile.preamble_inline


def test_the_prompt_check_uses_an_inline_preamble(write):
    profile = profile_of(write, tickets(40)).profile
    assert profile.check_prompt("Classify the ticket. My parcel is late") == []
    flagged = profile.check_prompt("My parcel is late")
    assert [f.rule for f in flagged] == ["missing-preamble"]
    assert "Classify the ticket." in flagged[0].message and "own line" not in flagged[0].hint


def test_a_line_preamble_is_not_satisfied_inline():
    profile = FormatProfile(preamble="Answer from the context.")
    assert [f.rule for f in profile.check_prompt("Answer from the context. why?")] == ["missing-preamble"]
    assert profile.check_prompt("Answer from the context.\nwhy?") == []
