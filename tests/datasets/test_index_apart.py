"""The index built in a forked child: a child that never says a word is stopped, and the index
is built in the caller (a child forked while another thread held a lock can wait forever)."""

from __future__ import annotations

import json
import os
import sys
import time

import pytest

from tui.datasets import apart
from tui.datasets.reader import open_reader


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")
def test_a_silent_index_child_is_stopped_and_the_index_built_here(tmp_path, monkeypatch):
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps({"text_input": f"q{i}", "output": f"a{i}"}) + "\n" for i in range(50)))
    children: list[int] = []
    real_fork = apart._fork

    def stuck(send):  # what a child waiting on a lock its parent's other thread held does
        time.sleep(600)

    def fork(work):
        child = real_fork(stuck)
        if child is not None:
            children.append(child.pid)
        return child

    monkeypatch.setattr(apart, "_fork", fork)
    monkeypatch.setattr(apart, "FIRST_WORD_S", 0.5)
    reader = open_reader(path)
    apart.index_apart(reader)
    assert reader.index.complete and len(reader) == 50
    assert children, "no child was forked"
    with pytest.raises(ChildProcessError):  # stopped and reaped
        os.waitpid(children[0], os.WNOHANG)


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform != "linux", reason="forks")
def test_the_index_child_builds_the_index(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps({"text_input": f"q{i}", "output": f"a{i}"}) + "\n" for i in range(50)))
    reader = open_reader(path)
    apart.index_apart(reader)
    assert reader.index.complete and len(reader) == 50
