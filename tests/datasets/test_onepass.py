"""One-pass checking (`check_file`, what `tunedeck validate` runs): the same report, index and
SHA-256 as indexing first and linting after, whether one process reads the file or two
share it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.datasets.conftest import jsonl, pairs
from tui.cli import main
from tui.commands.validate import _json_document
from tui.datasets import onepass
from tui.datasets.lint import lint
from tui.datasets.onepass import check_file
from tui.datasets.reader import open_dataset
from tui.samples import sample_paths

REPO = Path(__file__).resolve().parents[2]
BROKEN = REPO / "tests" / "app" / "data" / "broken.jsonl"
# Records that trip most per-example rules; repeated, they also trip the cap of 200 findings per rule.
TROUBLE = (
    b'{"text_input": 1, "output": ["a"]}\n'
    b'{"text_input": "caf\xe9", "output": "x"}\n'
    b"{broken\n"
    b'{"text_input": "  padded ", "output": "x "}\n'
    b"\n\r\n"
    b'{"contents": [{"role": "user", "parts": [{"text": "a"}]}, {"role": "model", "parts": [{"text": "b"}]},'
    b' {"role": "user", "parts": [{"text": "c"}]}]}\n'
    b'{"text_input": "", "output": "empty input"}\n'
    b"[1, 2]\n"
)


def report_of(reader, report) -> dict:
    """Everything a check produces that a user or a later step sees."""
    document = _json_document(reader, report)
    index = reader.index
    document["index"] = (index.records, index.start, list(index.offsets), list(index.line_numbers), index.complete)
    document["rule_counts"] = report.rule_counts
    document["profile_shares"] = (report.profile.preamble_share, report.profile.marker_shares)
    return document


def reference(path: Path) -> dict:
    reader = open_dataset(path)
    return report_of(reader, lint(reader))


def grown(tmp_path: Path, source: bytes, name: str) -> Path:
    """`source` three times, apart by distinct clean examples: a file larger than the first batch, so two
    processes share it, with the findings of `source` (and duplicates of its examples) in both parts."""
    filler = [jsonl(pairs(n, prefix=f"filler {part}")).encode() for part, n in (("a", 60_000), ("b", 25_000))]
    path = tmp_path / name
    path.write_bytes(source + b"\n" + filler[0] + source + b"\n" + filler[1] + source)
    return path


def sources() -> list[tuple[str, bytes]]:
    shipped = [(path.name, path.read_bytes()) for path in sample_paths()]
    return [*shipped, ("broken.jsonl", BROKEN.read_bytes()),
            ("trouble.jsonl", jsonl(pairs(40)).encode() + TROUBLE + b'{"text_input": "last", "output": "one"}')]


@pytest.mark.parametrize(("name", "source"), sources(), ids=[name for name, _ in sources()])
def test_one_pass_matches_index_then_lint_on_samples_and_broken_files(tmp_path, name, source):
    path = tmp_path / name
    path.write_bytes(source)
    reader, report = check_file(path, processes=1)
    assert report_of(reader, report) == reference(path)


@pytest.mark.parametrize(("name", "source"), sources(), ids=[name for name, _ in sources()])
def test_two_processes_give_the_report_one_gives(tmp_path, name, source, monkeypatch):
    path = grown(tmp_path, source, name)
    forks = []
    fork = onepass._fork
    monkeypatch.setattr(onepass, "_fork", lambda *args: forks.append(args) or fork(*args))
    reader, report = check_file(path, processes=2, split_bytes=0)
    assert len(forks) == 1  # the second process did check a part
    expected = reference(path)
    assert report_of(reader, report) == expected
    assert expected["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    # the pages a reader serves from the one-pass index are those of the two-pass one
    for start in (0, len(reader) // 2 - 1, len(reader) - 3):
        assert reader.page(start, 3) == open_dataset(path).page(start, 3)


def test_two_processes_cap_findings_per_rule_in_file_order(tmp_path):
    path = tmp_path / "capped.jsonl"
    path.write_bytes((jsonl(pairs(30)).encode() + b"{broken\n") * 40_000)
    reader, report = check_file(path, processes=2, split_bytes=0)
    broken = [f for f in report.findings if f.rule == "invalid-json"]
    lines = [f.line for f in broken if f.line is not None]
    assert len(lines) == 200 and lines == sorted(lines) and lines[0] == 31
    assert report.rule_counts["invalid-json"] == reader.index.records - report.stats.examples
    assert any("more invalid-json findings not listed" in f.message for f in broken)


def test_csv_and_json_arrays_are_indexed_then_checked(tmp_path):
    csv_path = tmp_path / "d.csv"
    csv_path.write_text("input,output\n" + "".join(f"q{i},a{i}\n" for i in range(30)), encoding="utf-8")
    json_path = tmp_path / "d.json"
    json_path.write_text(json.dumps(pairs(30)), encoding="utf-8")
    for path in (csv_path, json_path):
        reader, report = check_file(path, split_bytes=0)
        assert report_of(reader, report) == reference(path)


def test_validate_prints_what_it_printed_before(tmp_path, capsys):
    path = grown(tmp_path, BROKEN.read_bytes(), "broken-big.jsonl")
    assert main(["validate", str(path), "--json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    expected = reference(path)
    for key in ("index", "rule_counts", "profile_shares"):
        expected.pop(key)
    assert printed == json.loads(json.dumps(expected))
