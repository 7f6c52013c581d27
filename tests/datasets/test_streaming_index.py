"""The index grows while it is built: rows can be read before it is complete, and are the
same once it is."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest

from tests.datasets.conftest import jsonl, pairs
from tui.datasets.index import CHUNK, IndexingStopped
from tui.datasets.reader import open_dataset, open_reader

N = 60_000  # about 2.6 MB: several chunks of the indexing pass


def paused_reader(path):
    """A reader indexing in the background, held at its first progress report (after the first chunk)."""
    reader = open_reader(path)
    reached, resume = threading.Event(), threading.Event()

    def progress(done: int, total: int) -> None:
        if done < total and not reached.is_set():
            reached.set()
            assert resume.wait(30)

    reader.index_in_background(progress)
    assert reached.wait(30)
    return reader, resume


def test_first_page_is_read_before_the_index_is_built(write):
    path = write("big.jsonl", jsonl(pairs(N)))
    reader = open_reader(path)
    assert len(reader) == 0 and not reader.complete
    page = reader.page(0, 50)
    assert [(r.index, r.line, r.example.text_input) for r in page] == [(i, i + 1, f"question {i}") for i in range(50)]


def test_rows_are_readable_while_indexing_and_the_same_after(write):
    path = write("big.jsonl", jsonl(pairs(N)))
    reader, resume = paused_reader(path)
    try:
        indexed = len(reader)
        assert not reader.complete and 0 < indexed < N
        assert 0 < reader.index.fraction < 1 and reader.index.indexed_bytes == CHUNK
        inside = reader.page(indexed - 2, 2)  # the last records indexed so far
        beyond = reader.page(indexed + 500, 2)  # not indexed yet: read on from the last checkpoint
        assert [r.example.text_input for r in inside + beyond] == [
            f"question {i}" for i in (indexed - 2, indexed - 1, indexed + 500, indexed + 501)]
    finally:
        resume.set()
    assert reader.wait_indexed(30) and reader.complete and len(reader) == N
    whole = open_dataset(path)
    assert reader.page(indexed - 2, 2) + reader.page(indexed + 500, 2) == inside + beyond
    assert (list(reader.index.offsets), list(reader.index.line_numbers)) == (
        list(whole.index.offsets), list(whole.index.line_numbers))
    assert reader.dataset == whole.dataset
    assert reader.dataset.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_json_array_page_waits_for_its_elements(write):
    path = write("big.json", json.dumps(pairs(N)))
    reader = open_reader(path)
    reader.index_in_background()
    page = reader.page(1000, 3)  # returns once these elements are indexed
    assert [r.example.text_input for r in page] == ["question 1000", "question 1001", "question 1002"]
    assert reader.wait_indexed(30) and len(reader) == N


def test_csv_header_and_rows_before_the_index(write):
    path = write("big.csv", "input,output\n" + "".join(f"q{i},a{i}\n" for i in range(N)))
    reader = open_reader(path)
    rows = [(r.line, r.example.text_input, r.example.output) for r in reader.page(0, 2)]
    assert rows == [(2, "q0", "a0"), (3, "q1", "a1")]
    reader.index_in_background()
    assert reader.wait_indexed(30) and len(reader) == N


def test_stopping_the_index_is_reported_to_whoever_waits(write):
    path = write("big.jsonl", jsonl(pairs(N)))
    reader, resume = paused_reader(path)
    reader.stop_indexing()
    resume.set()
    with pytest.raises(IndexingStopped):
        reader.wait_indexed(30)
    assert not reader.complete


def test_a_file_that_cannot_be_indexed_raises_when_waited_for(write):
    path = write("object.json", '{"text_input": "a", "output": "b"}\n{"no": "array"}')
    reader = open_reader(path, format="json")
    reader.index_in_background()
    with pytest.raises(Exception, match="must hold an array"):
        reader.wait_indexed(30)
    with pytest.raises(Exception, match="must hold an array"):
        reader.page(0, 5)
