"""The emulator's data directory: private file modes, a capped log, and a damaged-state check.

The directory is 0700 and everything in it 0600 whatever the user's umask (the server
runs with umask 077, so SQLite, weights, checkpoints and trainer files are created
private; files left by older versions are tightened at start). `server.log` rotates at
`LOG_BYTES` (one older file kept). A `state.sqlite3` that SQLite cannot read stops the
start with a message that names it and says what to do.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from tui.emulator.keyfile import make_private_dir

STATE_NAME = "state.sqlite3"
LOG_BYTES = 5 * 1024 * 1024
LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"


class DamagedState(Exception):
    """The state database cannot be read; the message says which file and what to do."""


def make_private(root: Path) -> Path:
    """Umask 077 for this process and its trainers; the directory 0700, existing files 0600."""
    os.umask(0o077)
    make_private_dir(root)
    uid = os.getuid()
    for directory, subdirs, files in os.walk(root):
        for name in subdirs:
            _tighten(Path(directory) / name, 0o700, uid)
        for name in files:
            _tighten(Path(directory) / name, 0o600, uid)
    return root


def _tighten(path: Path, mode: int, uid: int) -> None:
    try:
        info = path.lstat()
        if info.st_uid == uid and not stat.S_ISLNK(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
            path.chmod(mode)
    except OSError:
        pass  # vanished meanwhile, or not ours: nothing to tighten


def remove_temporaries(root: Path) -> list[Path]:
    """Delete half-written files a stopped or crashed server left (`*.tmp` of weights, checkpoints, plans)."""
    removed = []
    for directory in (root, root / "models", root / "checkpoints"):
        if directory.is_dir():
            for path in directory.glob("*.tmp"):
                if path.is_file():
                    path.unlink(missing_ok=True)
                    removed.append(path)
    return removed


def disk_use(root: Path) -> int:
    """Bytes of everything in the data directory."""
    total = 0
    for directory, _, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError):  # removed meanwhile
                total += (Path(directory) / name).lstat().st_size
    return total


def check_state(root: Path) -> None:
    """Raise DamagedState if `state.sqlite3` exists and SQLite cannot read it."""
    path = root / STATE_NAME
    if not path.exists():
        return
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return  # another process holds it for now; the server waits for it like any query
        raise DamagedState(damaged_message(path, str(exc))) from None
    except sqlite3.DatabaseError as exc:
        raise DamagedState(damaged_message(path, str(exc))) from None
    if result is None or result[0] != "ok":
        raise DamagedState(damaged_message(path, str(result[0]) if result else "no answer to an integrity check"))


def damaged_message(path: Path, why: str) -> str:
    return (
        f"{path} is damaged ({why}). Move it away and start again, e.g. "
        f"`mv {path} {path}.damaged`: the emulator then starts with no tuned models. What it held is lost to "
        "the emulator: the tuned models' names, states, training data and loss curves (their weights stay in "
        f"{path.parent / 'models'} but are no longer listed)."
    )


class _LogFile(RotatingFileHandler):
    """server.log with a size cap; stderr follows the current file, so stray output is capped too."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, maxBytes=LOG_BYTES, backupCount=1, encoding="utf-8")
        self._follow_stderr()

    def doRollover(self) -> None:
        super().doRollover()
        self._follow_stderr()

    def _follow_stderr(self) -> None:
        if self.stream is not None:
            sys.stderr.flush()
            os.dup2(self.stream.fileno(), sys.stderr.fileno())


def setup_logging(log_file: Path | None) -> None:
    """Log to `log_file` (rotated at LOG_BYTES) or, without one, to stderr."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    output: logging.Handler = _LogFile(log_file) if log_file is not None else logging.StreamHandler(sys.stderr)
    output.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(output)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
