"""Core modules load without Textual (and without the SDK until a backend is built)."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "tui.jobs.manager",
    "tui.jobs.gemini",
    "tui.jobs.service",
    "tui.jobs.curve",
    "tui.datasets",
    "tui.emulator.server",
]


def test_core_modules_do_not_import_textual():
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}:\n"
        "    importlib.import_module(name)\n"
        "print(','.join(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_manager_import_does_not_load_the_sdk_or_numpy():
    code = "import sys, tui.jobs.manager, tui.jobs.curve; print('google.genai' in sys.modules, 'numpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
