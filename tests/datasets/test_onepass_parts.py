"""The file shared out in parts between two processes: parts are cut on line starts, and a record
that a part's nominal size would cut in two, a CRLF line, a blank line or a last line without
its newline is read once, by one part, with its true line number."""

from __future__ import annotations

import fcntl
import hashlib
import os
import struct
import termios
import time
from pathlib import Path

import pytest

from tests.datasets.test_onepass import reference, report_of
from tui.datasets import onepass, scan
from tui.datasets.digest import FileHasher
from tui.datasets.onepass import check_file
from tui.datasets.reader import open_dataset

PART = 97  # bytes: shorter than most records, so nearly every cut falls inside one
READ = 700  # bytes of lines read at a time, the first batch (what the candidates are learnt from) included


@pytest.fixture
def tiny_parts(monkeypatch):
    """Parts of PART bytes, batches of READ bytes (in the one-pass check and in the reference lint)."""
    monkeypatch.setattr(onepass, "PART_BYTES", PART)
    monkeypatch.setattr(onepass, "MIN_PART_BYTES", PART)
    monkeypatch.setattr(onepass, "SEEK_READ", 13)  # the next line start is looked for across several reads
    monkeypatch.setattr(onepass, "READ", READ)
    monkeypatch.setattr(scan, "READ", READ)


def dataset(count: int, newline: bytes = b"\n", blank_every: int = 0, final_newline: bool = True
            ) -> tuple[bytes, dict[str, list[int]]]:
    """`count` records in the shape of a templated dataset, with an unreadable record every 17th, a padded
    input every 11th and (with `blank_every`) blank lines, alternately b"\\n" and b"\\r\\n"; the bytes and
    the lines where each rule must be reported."""
    lines: list[bytes] = []
    expected: dict[str, list[int]] = {"invalid-json": [], "whitespace": []}
    for i in range(count):
        if blank_every and i % blank_every == blank_every - 1:
            lines.append(b"\r" if newline == b"\n" and i % 2 else b"")  # b"\r" + b"\n": a blank CRLF line
        number = len(lines) + 1
        if i % 17 == 5:
            lines.append(b'{"text_input": "cut short')
            expected["invalid-json"].append(number)
            continue
        text = f"Answer briefly.\\nquestion: item {i} of the list{' ' * 3 if i % 11 == 3 else ''}"
        if i % 11 == 3:
            expected["whitespace"].append(number)
        lines.append(f'{{"text_input": "{text}", "output": "answer {i % 7}"}}'.encode())
    data = newline.join(lines)
    return data + newline if final_newline else data, expected


def findings_at(report, rule: str) -> list[int | None]:
    return [f.line for f in report.findings if f.rule == rule]


CASES = {
    "lf": {},
    "crlf": {"newline": b"\r\n"},
    "blank-lines": {"blank_every": 5},
    "crlf-blank-lines": {"newline": b"\r\n", "blank_every": 3},
    "no-final-newline": {"final_newline": False},
    "crlf-no-final-newline": {"newline": b"\r\n", "final_newline": False, "blank_every": 7},
}


@pytest.mark.parametrize("shape", list(CASES), ids=list(CASES))
def test_part_bounds_are_line_starts(tmp_path, tiny_parts, shape):
    data, _ = dataset(400, **CASES[shape])
    path = tmp_path / "d.jsonl"
    path.write_bytes(data)
    begin = data.index(b"\n", 1000) + 1
    bounds = onepass._part_bounds(path, begin, len(data))
    assert bounds[0] == begin and bounds[-1] == len(data)
    assert bounds == sorted(set(bounds))
    assert len(bounds) > len(data[begin:]) // 300  # most records hold a cut of their own
    for bound in bounds[1:-1]:
        assert data[bound - 1:bound] == b"\n"


def test_a_line_longer_than_a_part_is_one_part(tmp_path, tiny_parts):
    long = b'{"text_input": "' + b"x" * 1000 + b'", "output": "y"}\n'
    data = b'{"text_input": "a", "output": "b"}\n' + long * 3
    path = tmp_path / "long.jsonl"
    path.write_bytes(data)
    begin = data.index(b"\n") + 1
    bounds = onepass._part_bounds(path, begin, len(data))
    assert [data[b - 1:b] for b in bounds[1:-1]] == [b"\n"] * (len(bounds) - 2)
    assert bounds == [begin, begin + len(long), begin + 2 * len(long), len(data)]  # each long line is a part of its own


@pytest.mark.parametrize("shape", list(CASES), ids=list(CASES))
def test_records_cut_by_parts_report_as_in_one_pass(tmp_path, tiny_parts, shape):
    data, expected = dataset(600, **CASES[shape])
    path = tmp_path / "d.jsonl"
    path.write_bytes(data)
    reader, report = check_file(path, processes=2, split_bytes=0)
    assert report_of(reader, report) == reference(path)
    # the lines named are those of the records themselves, not of where a part began
    assert findings_at(report, "invalid-json") == expected["invalid-json"]
    assert sorted(findings_at(report, "whitespace")) == expected["whitespace"]
    assert reader.dataset.sha256 == hashlib.sha256(data).hexdigest()
    fresh = open_dataset(path)
    for start in (0, 31, 32, len(reader) // 2, len(reader) - 1):
        assert reader.page(start, 2) == fresh.page(start, 2)


def claims_left(fd: int) -> int:
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def parent_waits_for_the_child(monkeypatch, taken: int) -> list[list[int]]:
    """The parent takes no part before the child has taken `taken`; the numbers of the parts the child
    hands back are appended to the list returned."""
    take, join, handed = onepass._take_parts, onepass._join, []
    parent = os.getpid()

    def take_after_the_child(template, reader, bounds, claims, throttle=None, **hooks):
        if os.getpid() == parent:
            waited = time.monotonic()
            while claims_left(claims) > NUMBER_BYTES * (len(bounds) - 1 - taken) and time.monotonic() - waited < 30:
                time.sleep(0.001)
        return take(template, reader, bounds, claims, throttle, **hooks)

    def join_and_count(inbox):
        parts = join(inbox)
        handed.append(sorted(parts))
        return parts

    monkeypatch.setattr(onepass, "_take_parts", take_after_the_child)
    monkeypatch.setattr(onepass, "_join", join_and_count)
    return handed


def test_parts_the_child_took_come_back_in_file_order(tmp_path, tiny_parts, monkeypatch):
    """The parent waits until the child has taken a part before it takes any, so both checked some."""
    data, _ = dataset(600, newline=b"\r\n", blank_every=4, final_newline=False)
    path = tmp_path / "d.jsonl"
    path.write_bytes(data)
    handed = parent_waits_for_the_child(monkeypatch, 1)
    reader, report = check_file(path, processes=2, split_bytes=0)
    assert handed and handed[0]  # the child checked parts and handed them back
    assert report_of(reader, report) == reference(path)


NUMBER_BYTES = onepass.NUMBER.size


def test_parts_of_a_failed_child_are_checked_by_the_parent(tmp_path, tiny_parts, monkeypatch):
    data, expected = dataset(500, blank_every=6)
    path = tmp_path / "d.jsonl"
    path.write_bytes(data)
    parent = os.getpid()
    dumps = onepass.pickle.dumps

    def failing_in_the_child(*args, **kwargs):
        if os.getpid() != parent:
            raise RuntimeError("the child fails after taking its parts")
        return dumps(*args, **kwargs)

    monkeypatch.setattr(onepass.pickle, "dumps", failing_in_the_child)
    reader, report = check_file(path, processes=2, split_bytes=0)
    assert report_of(reader, report) == reference(path)
    assert findings_at(report, "invalid-json") == expected["invalid-json"]


def test_without_fork_one_process_takes_every_part(tmp_path, tiny_parts, monkeypatch):
    data, _ = dataset(300, newline=b"\r\n")
    path = tmp_path / "d.jsonl"
    path.write_bytes(data)

    def no_fork():
        raise OSError("fork refused")

    monkeypatch.setattr(onepass.os, "fork", no_fork)
    reader, report = check_file(path, processes=2, split_bytes=0)
    assert report_of(reader, report) == reference(path)


@pytest.mark.parametrize("process", [True, False], ids=["process", "thread"])
def test_file_hasher_gives_the_sha256_or_the_error(tmp_path, process):
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"x" * 3_000_001)
    assert FileHasher(path, process=process).result() == hashlib.sha256(path.read_bytes()).hexdigest()
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert FileHasher(empty, process=process).result() == hashlib.sha256(b"").hexdigest()
    missing = FileHasher(tmp_path / "gone.jsonl", process=process)
    with pytest.raises(FileNotFoundError) as raised:
        missing.result()
    assert raised.value.filename == str(tmp_path / "gone.jsonl")


def test_a_file_that_cannot_be_hashed_is_a_dataset_error(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"text_input": "a", "output": "b"}\n')
    hasher = FileHasher(tmp_path / "elsewhere.jsonl", process=True)
    from tui.datasets import DatasetError

    with pytest.raises(DatasetError, match="cannot read the file"):
        check_file(Path(path), hasher=hasher)


def test_closing_a_hasher_stops_its_process(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"x" * (64 << 20))
    hasher = FileHasher(path, process=True)
    child = hasher._child
    assert child is not None
    hasher.close()
    with pytest.raises(ProcessLookupError):  # stopped and reaped
        os.kill(child[0], 0)
    hasher.close()  # twice is harmless


def vertex(i: int) -> bytes:
    return (f'{{"contents": [{{"role": "user", "parts": [{{"text": "question: item {i}"}}]}}, '
            f'{{"role": "model", "parts": [{{"text": "answer {i % 5}"}}]}}]}}').encode()


def chat(i: int) -> bytes:
    return (f'{{"messages": [{{"role": "user", "content": "question: item {i}"}}, '
            f'{{"role": "assistant", "content": "answer {i % 5}"}}]}}').encode()


def plain(i: int) -> bytes:
    return f'{{"text_input": "question: item {i}", "output": "answer {i % 5}"}}'.encode()


@pytest.mark.parametrize("record", [vertex, chat, plain], ids=["vertex", "chat", "bom-and-bad-utf8"])
def test_other_shapes_and_bad_bytes_in_parts_report_as_in_one_pass(tmp_path, tiny_parts, record):
    lines = [record(i) for i in range(400)]
    for i in range(7, 400, 41):  # bytes that are not UTF-8, at a byte offset the finding names
        lines[i] = lines[i].replace(b"item", b"it\xffem")
    lines[100] = lines[3]  # a duplicate, found across parts
    data = (b"\xef\xbb\xbf" if record is plain else b"") + b"\n".join(lines) + b"\n"
    path = tmp_path / "d.jsonl"
    path.write_bytes(data)
    reader, report = check_file(path, processes=2, split_bytes=0)
    assert report_of(reader, report) == reference(path)
    bad = [f for f in report.findings if f.rule == "invalid-utf8"]
    assert [f.line for f in bad] == list(range(8, 401, 41))
    for finding in bad:  # the offset named is where the bad byte is in the file
        assert data[int(finding.message.rsplit(" ", 1)[1])] == 0xFF
    assert [f.line for f in report.findings if f.rule == "duplicate"] == [101]


@pytest.mark.parametrize("roomy", [True, False], ids=["sent-as-checked", "sent-at-the-end"])
def test_parts_a_child_sent_before_failing_are_kept_and_the_rest_checked_here(tmp_path, tiny_parts, monkeypatch,
                                                                              roomy):
    import fcntl

    if not roomy:  # a pipe that cannot be enlarged: the child sends its parts when it has checked them all
        monkeypatch.delattr(fcntl, "F_SETPIPE_SZ", raising=False)
    data, expected = dataset(500, newline=b"\r\n", blank_every=5)
    path = tmp_path / "d.jsonl"
    path.write_bytes(data)
    parent, dumps, sent = os.getpid(), onepass.pickle.dumps, []

    def failing_on_the_third(*args, **kwargs):
        if os.getpid() != parent:
            sent.append(1)
            if len(sent) == 3:
                raise RuntimeError("the child fails after sending two parts")
        return dumps(*args, **kwargs)

    monkeypatch.setattr(onepass.pickle, "dumps", failing_on_the_third)
    handed = parent_waits_for_the_child(monkeypatch, 3)
    reader, report = check_file(path, processes=2, split_bytes=0)
    assert len(handed[0]) == 2  # the two parts sent whole are kept
    assert report_of(reader, report) == reference(path)
    assert findings_at(report, "invalid-json") == expected["invalid-json"]
