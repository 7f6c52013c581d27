"""Read a whole example in the user's $PAGER (less by default) while the app steps aside."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Any


def read_in_pager(app: Any, text_input: str, output: str) -> None:
    """Write the example to a private temporary file and open it in $PAGER; the file goes afterwards."""
    from textual.app import SuspendNotSupported

    pager = shlex.split(os.environ.get("PAGER") or "less")
    handle, name = tempfile.mkstemp(prefix="tunedeck-example-", suffix=".txt")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(f"input ({len(text_input):,} characters)\n{text_input}\n\n")
        file.write(f"output ({len(output):,} characters)\n{output}\n")
    try:
        with app.suspend():
            subprocess.run([*pager, name], check=False)
    except SuspendNotSupported:  # the file stays for the user to read
        app.notify(f"This terminal cannot hand over to a pager; the example is in {name}",
                   title="Example", severity="warning", timeout=10)
        return
    except OSError as exc:
        app.notify(f"Could not run the pager {pager[0]!r}: {exc}. Set $PAGER to a pager you have.",
                   title="Example", severity="error", timeout=10)
    Path(name).unlink(missing_ok=True)
