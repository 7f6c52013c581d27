"""The base of every error tunedeck expects and explains: what happened, and what to do.

`BackendError` (a backend call failed), `LaunchRefused` (the dataset has lint errors),
`DatasetError` (a file cannot be read) and `ConfigError` (config.json or the environment
is unusable) derive from it, so the app and the CLI handle all of them one way: show
`message`, then `next_step`. Any other exception is a bug, shown as such.
"""

from __future__ import annotations


class TunedeckError(Exception):
    """An expected failure; `str()` is safe to show (it never contains a secret)."""

    message: str
    next_step: str

    def __init__(self, message: str, next_step: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.next_step = next_step
