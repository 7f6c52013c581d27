"""Reading Vertex `contents` records and their statistics, without a server."""

from __future__ import annotations

import json

import pytest

from tui.emulator.vertex.contents import ContentProblem, estimate_tokens, parse_example, parse_turns, prompt_of
from tui.emulator.vertex.stats import DatasetProblem, batch_size_for, distribution, process
from tui.emulator.vertex.validate import base_model_id, checkpoint_epochs


def _turn(role: str, text: str) -> dict:
    return {"role": role, "parts": [{"text": text}]}


def test_a_single_turn_record_is_its_text_and_a_conversation_is_one_line_per_turn():
    single = parse_example({"contents": [_turn("user", "2+2?"), _turn("model", "4")]})
    assert (single.prompt, single.answer, single.messages) == ("2+2?", "4", 2)
    talk = parse_example(
        {
            "systemInstruction": {"role": "system", "parts": [{"text": "Be brief."}]},
            "contents": [_turn("user", "hi"), _turn("model", "hello"), _turn("user", "2+2?"), _turn("model", "4")],
        }
    )
    assert talk.prompt == "Be brief.\n\nuser: hi\nmodel: hello\nuser: 2+2?"
    assert talk.answer == "4" and talk.messages == 4
    assert talk.input_tokens == estimate_tokens(talk.prompt) and talk.output_tokens == 1
    # generation builds the same prompt from a request's turns
    turns = parse_turns([_turn("user", "hi"), _turn("model", "hello"), _turn("user", "2+2?")])
    assert prompt_of(turns, "Be brief.") == talk.prompt


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ([1, 2], "not an object"),
        ({"messages": []}, 'no "contents"'),
        ({"contents": []}, "non-empty list"),
        ({"contents": [_turn("system", "x"), _turn("model", "y")]}, "role 'system'"),
        ({"contents": [_turn("user", "q")]}, "last turn must be the 'model'"),
        ({"contents": [_turn("user", "q"), _turn("model", "")]}, "empty"),
        ({"contents": [{"role": "user", "parts": []}, _turn("model", "a")]}, 'non-empty "parts"'),
    ],
)
def test_records_the_service_cannot_use(record, message):
    with pytest.raises(ContentProblem, match=message):
        parse_example(record)


def test_statistics_of_a_dataset(tmp_path):
    lines = [{"contents": [_turn("user", "q" * (4 * n)), _turn("model", "a" * 4)]} for n in range(1, 11)]
    train = tmp_path / "t.jsonl"
    train.write_text("\n".join(json.dumps(r) for r in lines) + "\n\n")
    result = process((train, "gs://b/t.jsonl"), None, epochs=3)
    stats = result.stats
    assert result.batch_size == 4 and result.total_steps == 8 and len(result.train) == 10 and result.validation == []
    assert stats["tuningDatasetExampleCount"] == "10" and stats["tuningStepCount"] == "8"
    inputs = stats["userInputTokenDistribution"]
    assert inputs["sum"] == "55" and inputs["billableSum"] == "165" and inputs["min"] == 1 and inputs["max"] == 10
    assert inputs["median"] == 5.5 and inputs["p5"] == 1 and inputs["p95"] == 10
    assert sum(b["count"] for b in inputs["buckets"]) == 10
    assert stats["totalBillableTokenCount"] == str(3 * (55 + 10))
    assert stats["totalTuningCharacterCount"] == str(4 * 55 + 40)


def test_a_bad_line_is_named(tmp_path):
    train = tmp_path / "t.jsonl"
    train.write_text(json.dumps({"contents": [_turn("user", "q"), _turn("model", "a")]}) + "\n{not json\n")
    with pytest.raises(DatasetProblem, match=r"training dataset gs://b/t.jsonl line 2: not valid JSON"):
        process((train, "gs://b/t.jsonl"), None, epochs=1)


def test_choices_the_emulator_makes():
    assert [batch_size_for(n) for n in (1, 999, 1000, 9999, 10_000)] == [4, 4, 8, 8, 16]
    assert checkpoint_epochs(3, False) == [1, 2, 3] and checkpoint_epochs(3, True) == [3]
    assert checkpoint_epochs(20, False) == list(range(2, 21, 2))
    assert base_model_id("projects/p/locations/l/publishers/google/models/gemini-2.5-flash-001") == "gemini-2.5-flash"
    assert base_model_id("gemini-2.0-flash-001") is None
    assert distribution([7], 2)["buckets"] == [{"count": 1.0, "left": 7, "right": 8.0}]
