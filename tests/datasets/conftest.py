"""Helpers for dataset tests: writing small malformed or well-formed files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def pairs(n: int, prefix: str = "question") -> list[dict]:
    """n distinct, clean examples."""
    return [{"text_input": f"{prefix} {i}", "output": f"answer {i}"} for i in range(n)]


@pytest.fixture
def write(tmp_path: Path):
    """write(name, content) -> Path; str content is written as UTF-8, bytes as they are."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return _write
