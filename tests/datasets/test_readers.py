"""Readers: format detection, the byte-offset index, pages, and malformed files."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.datasets.conftest import jsonl, pairs
from tui.datasets import DatasetError, open_dataset
from tui.datasets.index import STRIDE
from tui.models import DatasetFormat


def rows_of(reader):
    return [(r.line, r.example.text_input, r.example.output) if r.example else (r.line, r.error.rule)
            for r in reader.page(0, 10_000)]


def test_jsonl_pages_match_the_file_across_index_checkpoints(write):
    n = STRIDE * 3 + 5
    path = write("data.jsonl", jsonl(pairs(n)))
    reader = open_dataset(path)
    assert reader.format is DatasetFormat.JSONL and len(reader) == n
    for start in (0, STRIDE - 1, STRIDE, STRIDE + 1, 2 * STRIDE + 7, n - 2):
        page = reader.page(start, 3)
        assert [r.index for r in page] == list(range(start, min(n, start + 3)))
        assert [r.example.text_input for r in page] == [f"question {i}" for i in range(start, min(n, start + 3))]
        assert [r.line for r in page] == [i + 1 for i in range(start, min(n, start + 3))]
    assert reader.page(n, 5) == []
    assert reader.dataset.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert reader.dataset.size_bytes == path.stat().st_size and reader.dataset.examples == n


def test_blank_lines_are_skipped_but_line_numbers_stay_physical(write):
    body = "\n\n" + "\n\n".join(json.dumps(p) for p in pairs(STRIDE + 3)) + "\n\n"
    reader = open_dataset(write("gaps.jsonl", body))
    assert len(reader) == STRIDE + 3
    assert [r.line for r in reader.page(0, 2)] == [3, 5]
    assert reader.page(STRIDE + 1, 1)[0].line == 3 + 2 * (STRIDE + 1)


def test_bom_and_crlf(write):
    path = write("bom.jsonl", b"\xef\xbb\xbf" + jsonl(pairs(3)).replace("\n", "\r\n").encode())
    reader = open_dataset(path)
    assert rows_of(reader) == [
        (1, "question 0", "answer 0"),
        (2, "question 1", "answer 1"),
        (3, "question 2", "answer 2"),
    ]


def test_last_line_without_newline(write):
    reader = open_dataset(write("tail.jsonl", jsonl(pairs(2)).rstrip("\n")))
    assert rows_of(reader)[-1] == (2, "question 1", "answer 1")


def test_alternative_keys(write):
    body = jsonl([{"input": "a", "output": "b"}, {"prompt": "c", "completion": "d"}, {"textInput": "e", "output": "f"}])
    assert rows_of(open_dataset(write("keys.jsonl", body))) == [(1, "a", "b"), (2, "c", "d"), (3, "e", "f")]


def test_truncated_line_is_an_invalid_json_row_with_a_column(write):
    body = jsonl(pairs(2)) + '{"text_input": "cut off", "outp'
    rows = open_dataset(write("cut.jsonl", body)).page(0, 10)
    assert rows[2].example is None and rows[2].error.rule == "invalid-json" and rows[2].line == 3
    assert rows[2].error.column is not None and "column" in rows[2].error.message


def test_invalid_utf8_names_line_and_byte_offset(write):
    good = jsonl(pairs(1)).encode()
    bad = b'{"text_input": "caf\xe9", "output": "x"}\n'
    reader = open_dataset(write("latin1.jsonl", good + bad))
    row = reader.page(1, 1)[0]
    assert row.error.rule == "invalid-utf8" and row.line == 2
    offset = len(good) + bad.index(b"\xe9")
    assert f"byte offset {offset}" in row.error.message


@pytest.mark.parametrize(
    ("record", "rule", "field"),
    [
        ({"text_input": 5, "output": "x"}, "non-string-input", "text_input"),
        ({"text_input": "x", "output": ["a"]}, "non-string-output", "output"),
        ({"text_input": "x"}, "missing-output", "output"),
        ({"output": "x"}, "missing-input", "text_input"),
        ([1, 2], "not-an-object", None),
    ],
)
def test_wrong_types_and_missing_fields(write, record, rule, field):
    row = open_dataset(write("t.jsonl", json.dumps(record) + "\n")).page(0, 1)[0]
    assert (row.error.rule, row.error.field, row.line) == (rule, field, 1)
    assert row.error.hint


def test_huge_line_is_read_whole(write):
    big = "x" * 3_000_000
    reader = open_dataset(write("huge.jsonl", jsonl([{"text_input": big, "output": "y"}, *pairs(2)])))
    assert len(reader) == 3
    assert len(reader.page(0, 1)[0].example.text_input) == 3_000_000
    assert reader.page(1, 1)[0].example.text_input == "question 0"


@pytest.mark.parametrize("ending", ["\n", ""])
def test_records_across_read_sizes_match_the_file(write, ending):
    """Lines longer than a read, ending on a read's edge, blank or last without b"\n": each
    record comes whole, with its line and byte offset, whatever the size of a read."""
    records = [{"text_input": "x" * length, "output": str(length)} for length in (0, 1, 5, 17, 40, 3, 64, 2)]
    lines = [json.dumps(record) for record in records]
    body = "\n".join(lines[:3]) + "\n\n" + "\r\n".join(lines[3:5]) + "\r\n" + "\n".join(lines[5:]) + ending
    path = write("sizes.jsonl", body)
    data = path.read_bytes()
    expected, offset = [], 0
    for number, raw in enumerate(data.split(b"\n"), 1):
        if raw.removesuffix(b"\r"):
            expected.append((number, offset, raw))
        offset += len(raw) + 1
    reader = open_dataset(path)
    for read_size in (*range(1, 70), 1 << 16):
        got = list(reader.raw_records(0, read_size))
        assert [(line, offset, raw.removesuffix(b"\r")) for line, offset, raw in got] == [
            (line, offset, raw.removesuffix(b"\r")) for line, offset, raw in expected
        ]
    assert [row.example.output for row in reader.page(0, 100)] == [record["output"] for record in records]


def test_json_array(write):
    body = json.dumps(pairs(STRIDE + 2), indent=2)
    reader = open_dataset(write("data.json", body))
    assert reader.format is DatasetFormat.JSON and len(reader) == STRIDE + 2
    first, last = reader.page(0, 1)[0], reader.page(STRIDE + 1, 1)[0]
    assert (first.line, first.example.output) == (2, "answer 0")
    assert last.example.text_input == f"question {STRIDE + 1}"
    assert body.splitlines()[last.line - 1].strip() == "{"


def test_json_array_truncated_keeps_the_broken_element(write):
    body = json.dumps(pairs(3))[:-20]
    rows = open_dataset(write("cut.json", body)).page(0, 10)
    assert [r.example is not None for r in rows] == [True, True, False]
    assert rows[-1].error.rule == "invalid-json"


def test_json_object_instead_of_array_is_refused(write):
    with pytest.raises(DatasetError, match="array of examples"):
        open_dataset(write("obj.json", '{"examples": {"a": [1, 2]}}'), format="json")


def test_csv_with_header_quotes_and_multiline_fields(write):
    body = (
        'text_input,output\r\nplain,one\r\n"has, comma","two"\r\n'
        '"spans\nthree\nlines","quote "" inside"\r\nlast,four\r\n'
    )
    reader = open_dataset(write("d.csv", body))
    assert reader.format is DatasetFormat.CSV and len(reader) == 4
    assert rows_of(reader) == [
        (2, "plain", "one"),
        (3, "has, comma", "two"),
        (4, "spans\nthree\nlines", 'quote " inside'),
        (7, "last", "four"),
    ]
    assert (reader.dataset.input_column, reader.dataset.output_column) == ("text_input", "output")


def test_csv_multiline_records_across_checkpoints(write):
    lines = ["input,output"] + [f'"q{i}\nmore",a{i}' for i in range(STRIDE * 2 + 3)]
    reader = open_dataset(write("m.csv", "\n".join(lines) + "\n"))
    assert len(reader) == STRIDE * 2 + 3
    row = reader.page(STRIDE + 4, 1)[0]
    assert (row.example.text_input, row.line) == (f"q{STRIDE + 4}\nmore", 2 + 2 * (STRIDE + 4))


def test_tsv_and_named_columns(write):
    body = "id\tquestion\tanswer\n1\twhat\tthat\n"
    reader = open_dataset(write("d.tsv", body))
    assert reader.format is DatasetFormat.TSV and rows_of(reader) == [(2, "what", "that")]
    reader = open_dataset(write("d2.tsv", "a\tb\tc\nx\ty\tz\n"), input_column="c", output_column="a")
    assert rows_of(reader) == [(2, "z", "x")]


def test_csv_unknown_columns_are_a_dataset_error(write):
    with pytest.raises(DatasetError, match="cannot tell which column") as info:
        open_dataset(write("d.csv", "a,b,c\n1,2,3\n"))
    assert info.value.line == 1 and "--input-column" in info.value.hint
    with pytest.raises(DatasetError, match="no input column named 'zz'"):
        open_dataset(write("e.csv", "input,output\n1,2\n"), input_column="zz")


def test_csv_wrong_field_count_and_bad_quote(write):
    rows = open_dataset(write("d.csv", 'input,output\na,b,c\nok,fine\n"open,x\n')).page(0, 10)
    assert rows[0].error.rule == "invalid-csv" and "expected 2 fields, found 3" in rows[0].error.message
    assert rows[1].example.output == "fine"
    assert rows[2].error.rule == "invalid-csv" and rows[2].line == 4


def test_vertex_single_turn_with_system_instruction(write):
    record = {
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}, {"role": "model", "parts": [{"text": "yo"}]}],
    }
    multi = {
        "contents": [
            {"role": "user", "parts": [{"text": "a"}]},
            {"role": "model", "parts": [{"text": "b"}]},
            {"role": "user", "parts": [{"text": "c"}]},
            {"role": "model", "parts": [{"text": "d"}]},
        ]
    }
    reader = open_dataset(write("v.jsonl", jsonl([record, multi])))
    assert reader.format is DatasetFormat.VERTEX
    rows = reader.page(0, 2)
    assert (rows[0].example.text_input, rows[0].example.output) == ("Be brief.\n\nhi", "yo")
    assert rows[1].error.rule == "multi-turn" and "single-turn" in rows[1].error.message


def test_chat_messages(write):
    record = {
        "messages": [
            {"role": "system", "content": "Sys."},
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a"},
        ]
    }
    wrong = {"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "q"}]}
    reader = open_dataset(write("c.jsonl", jsonl([record, wrong])))
    assert reader.format is DatasetFormat.CHAT
    rows = reader.page(0, 2)
    assert rows[0].example.text_input == "Sys.\n\nq" and rows[0].example.output == "a"
    assert rows[1].error.rule == "bad-structure"


def test_empty_file_opens_with_no_records(write):
    reader = open_dataset(write("empty.jsonl", ""))
    assert len(reader) == 0 and reader.page(0, 10) == []


@pytest.mark.parametrize(
    ("name", "content", "message", "rule"),
    [
        ("b.jsonl", bytes(range(256)) * 4, "binary file", "unreadable-file"),
        ("u.jsonl", "\ufeff{}".encode("utf-16"), "UTF-16", "unreadable-file"),
        ("notes.txt", "just some words\n", "unknown dataset format", "unknown-format"),
        ("blank.dat", "", "unknown dataset format", "unknown-format"),
    ],
)
def test_unreadable_files_raise_dataset_error(write, name, content, message, rule):
    path = write(name, content)
    with pytest.raises(DatasetError, match=message) as info:
        open_dataset(path)
    assert info.value.rule == rule and str(info.value).startswith(f"{path}:")


def test_missing_file_directory_and_unknown_format_override(tmp_path, write):
    with pytest.raises(DatasetError, match="no such file"):
        open_dataset(tmp_path / "nope.jsonl")
    with pytest.raises(DatasetError, match="directory"):
        open_dataset(tmp_path)
    with pytest.raises(DatasetError, match="unknown format 'xml'") as info:
        open_dataset(write("x.jsonl", "{}\n"), format="xml")
    assert info.value.rule == "unknown-format"


def test_format_override_reads_jsonl_with_another_extension(write):
    reader = open_dataset(write("data.txt", jsonl(pairs(2))), format="jsonl")
    assert len(reader) == 2 and reader.page(1, 1)[0].example.output == "answer 1"


def test_iter_examples_streams_valid_examples_only(write):
    body = jsonl(pairs(3)) + "not json\n" + jsonl([{"text_input": "z", "output": "w"}])
    examples = list(open_dataset(write("mix.jsonl", body)).iter_examples())
    assert [e.text_input for e in examples] == ["question 0", "question 1", "question 2", "z"]
    assert examples[-1].line == 5


def test_progress_is_reported_and_reaches_the_total(write):
    path = write("p.jsonl", jsonl(pairs(50)))
    calls = []
    open_dataset(path, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (path.stat().st_size, path.stat().st_size)
    assert all(done <= total for done, total in calls)


def test_line_chunks_offsets_and_lines_agree_with_the_file(write):
    body = b"\xef\xbb\xbf" + b"first\n\nthird line is longer than a chunk\r\nfourth\nlast"
    reader = open_dataset(write("c.jsonl", body), format="jsonl")
    seen = [
        (line + i, offset, part)
        for line, offset, parts in reader.line_chunks(read_size=7)
        for i, part in enumerate(parts)
    ]
    assert [(n, part) for n, _, part in seen] == [
        (1, b"first"),
        (2, b""),
        (3, b"third line is longer than a chunk\r"),
        (4, b"fourth"),
        (5, b"last"),
    ]
    _first_line, first_offset, _ = seen[0]
    assert first_offset == 3
    _line, offset, parts = list(reader.line_chunks(read_size=7))[-1]
    assert body[offset:].startswith(parts[0])


def test_pretty_printed_json_object_is_refused_not_read_as_lines(write):
    with pytest.raises(DatasetError, match="array of examples") as info:
        open_dataset(write("wrapped.json", json.dumps({"examples": pairs(3)}, indent=2)))
    assert info.value.line == 1
    assert len(open_dataset(write("lines.json", jsonl(pairs(3))))) == 3


def test_csv_with_bom_and_prompt_completion_header(write):
    reader = open_dataset(write("b.csv", b"\xef\xbb\xbfprompt,completion\r\nhi,there\r\n"))
    assert (reader.dataset.input_column, rows_of(reader)) == ("prompt", [(2, "hi", "there")])


def test_csv_unbalanced_quote_names_the_lines_it_swallowed(write):
    body = 'input,output\n5" screen,size\nnext,row\nlast,"one"\n'
    rows = open_dataset(write("q.csv", body)).page(0, 10)
    assert rows[0].line == 2 and rows[0].error.rule == "invalid-csv"
    assert "runs over the next" in rows[0].error.message


def test_one_reader_serves_several_threads(write):
    from concurrent.futures import ThreadPoolExecutor

    n = STRIDE * 8
    reader = open_dataset(write("t.jsonl", jsonl(pairs(n))))

    def read(start: int) -> list[str]:
        return [r.example.text_input for r in reader.page(start, 7)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(read, range(0, n, 3)))
    assert results == [[f"question {i}" for i in range(s, min(n, s + 7))] for s in range(0, n, 3)]
