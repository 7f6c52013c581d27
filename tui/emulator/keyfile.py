"""The emulator's own API key: random, one per data directory, in `<data dir>/api-key` (mode 0600).

The first start of an emulator on a data directory creates the key; the server, the app
and the CLI read it from there, so nobody has to set one up. `--api-key` and
`$TUNEDECK_EMULATOR_API_KEY` still choose a fixed key (tests, scripts); the file is created
all the same, so the directory always has one. The key is shown in full only by
`tunedeck emulator env`.

```python
key = ensure_key(emulator_dir)        # create on first use, else read
key = client_key(emulator_dir)        # what a client should send: $TUNEDECK_EMULATOR_API_KEY, else the file, else None
```
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

KEY_ENV = "TUNEDECK_EMULATOR_API_KEY"
KEY_NAME = "api-key"


class KeyFileError(Exception):
    """The key file exists but cannot be used; the message names it and says what to do."""


def key_path(data_dir: Path) -> Path:
    return Path(data_dir) / KEY_NAME


def make_private_dir(data_dir: Path) -> Path:
    """Create the data directory with mode 0700 (and tighten an existing one we own)."""
    data_dir = Path(data_dir)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = data_dir.stat()
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
        data_dir.chmod(0o700)
    return data_dir


def read_key(data_dir: Path) -> str | None:
    """The key stored for `data_dir`, or None if the emulator has never started there."""
    path = key_path(data_dir)
    try:
        info = path.stat()
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{path}: cannot read the emulator's key ({exc}); delete it to get a new key") from None
    if not text or any(c.isspace() for c in text):
        raise KeyFileError(f"{path}: the emulator's key file is damaged; delete it to get a new key")
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
        path.chmod(0o600)  # readable by others (copied, or an older version): make it private again
    return text


def ensure_key(data_dir: Path) -> str:
    """The key of `data_dir`, creating it (random, mode 0600) if there is none yet."""
    existing = read_key(data_dir)
    if existing is not None:
        return existing
    make_private_dir(data_dir)
    path = key_path(data_dir)
    key = secrets.token_urlsafe(32)
    tmp = path.with_name(f".{KEY_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, key.encode("ascii") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # atomic, and never replaces a key another process made first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    found = read_key(data_dir)
    if found is None:
        raise KeyFileError(f"{path}: the emulator's key file vanished while it was created; start again")
    return found


def client_key(data_dir: Path, env: Mapping[str, str] | None = None) -> str | None:
    """The key a client of the emulator serving `data_dir` sends: the fixed one if set, else the file's."""
    env = os.environ if env is None else env
    fixed = env.get(KEY_ENV, "").strip()
    return fixed or read_key(data_dir)
