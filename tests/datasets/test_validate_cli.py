"""`tunedeck validate` as a subprocess: output lines, JSON document and exit codes 0/1/2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.datasets.conftest import jsonl, pairs
from tui.datasets import sample_paths


def validate(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui", "validate", *args], capture_output=True, text=True, timeout=60,
                          env=env)


def test_clean_file_exits_0_with_a_summary():
    path = sample_paths()[1]
    result = validate(str(path))
    assert result.returncode == 0, result.stderr
    assert f"{path}: info: format: detected format jsonl" in result.stdout
    assert "0 errors, 0 warnings" in result.stdout and "labels: " in result.stdout
    assert "estimate" in result.stdout


def test_warnings_alone_exit_0(write):
    path = write("w.jsonl", jsonl([*pairs(25), {"text_input": "question 1", "output": "answer 1"}]))
    result = validate(str(path))
    assert result.returncode == 0
    assert f"{path}:26: warning: duplicate: exact duplicate of line 2" in result.stdout
    assert "\n  hint: " in result.stdout


def test_errors_exit_1_and_name_file_line_severity_rule(write):
    path = write("e.jsonl", jsonl(pairs(25)) + '{"text_input": "x", "output": ""}\n{"bad json\n')
    result = validate(str(path))
    assert result.returncode == 1
    assert f"{path}:26: error: empty-output: output is empty" in result.stdout
    assert f"{path}:27: error: invalid-json: invalid JSON at column" in result.stdout


def test_json_output_is_one_document(write):
    path = write("j.csv", "question,answer\n" + "".join(f"q{i},a{i}\n" for i in range(5)))
    result = validate(str(path), "--json", "--task", "classification")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert {"format", "examples", "findings", "stats"} <= document.keys()
    assert (document["format"], document["examples"], document["task"]) == ("csv", 5, "classification")
    rule = next(f for f in document["findings"] if f["rule"] == "too-few-examples")
    assert set(rule) >= {"rule", "severity", "line", "field", "message", "hint"} and rule["severity"] == "error"
    assert document["stats"]["input_chars"]["max"] == 2


def test_unreadable_or_unknown_files_exit_2(write, tmp_path):
    result = validate(str(tmp_path / "missing.jsonl"))
    assert result.returncode == 2 and "error: unreadable-file: no such file" in result.stderr and result.stdout == ""
    binary = write("b.bin", bytes(range(256)))
    assert validate(str(binary)).returncode == 2
    unknown = write("notes.txt", "some words\n")
    result = validate(str(unknown), "--json")
    assert result.returncode == 2 and json.loads(result.stdout)["error"]["rule"] == "unknown-format"


def test_format_option_overrides_detection(write):
    path = write("data.jsonl", "input,output\n" + "".join(f"q{i},a{i}\n" for i in range(21)))
    assert validate(str(path)).returncode == 2
    assert validate(str(path), "--format", "csv").returncode == 0


def test_one_record_reads_in_the_singular_with_a_binary_size(write):
    path = write("one.jsonl", jsonl([{"text_input": "q", "output": "a"}]))
    result = validate(str(path))
    assert "0 valid examples of 1 records" not in result.stdout
    assert "1 valid example of 1 record," in result.stdout
    assert "findings: 1 error, 0 warnings, 2 info" in result.stdout
    assert f"record, {path.stat().st_size} bytes, sha256" in result.stdout and "takes up to 4 MiB" in result.stdout


def test_an_empty_file_says_so(write):
    path = write("empty.jsonl", "")
    result = validate(str(path))
    assert result.returncode == 1
    assert f"{path}: error: empty-file: the file is empty" in result.stdout


def test_a_long_report_is_written_whole_before_the_process_ends(write, capsys):
    """The command ends without the interpreter's tear-down: what it printed must all be out first."""
    from tui.cli import main

    broken = "".join(f'{{"text_input": "  q{i} ", "output": "a{i}"}}\n{{"bad json {i}\n' for i in range(400))
    path = write("long.jsonl", jsonl(pairs(30)) + broken)
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # output kept back until flushed
    result = validate(str(path), "--json", env=buffered)
    assert len(result.stdout) > 64 * 1024  # more than a pipe holds at once
    assert main(["validate", str(path), "--json"]) == result.returncode == 1
    assert json.loads(result.stdout) == json.loads(capsys.readouterr().out)
    human = validate(str(path), env=buffered)
    assert main(["validate", str(path)]) == human.returncode
    assert human.stdout == capsys.readouterr().out
    assert human.stdout.splitlines()[-1].startswith("  format profile: ")  # the summary's last line


def test_validate_never_loads_pydantic():
    """Its start-up is most of a small file's time: the dataset values are plain dataclasses."""
    path = sample_paths()[1]
    code = (
        "import sys, tui.cli as c\n"
        f"code = c.main(['validate', {str(path)!r}, '--json'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert json.loads(result.stdout)["examples"] > 0
    assert result.stderr.strip().splitlines()[-1] == "[]", result.stderr
