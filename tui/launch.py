"""Open the app: build settings and the job manager, then run the Textual app."""

from __future__ import annotations


def run_app(args) -> int:
    """Placeholder until the app shell lands."""
    print("tunedeck: the terminal app is not built yet; try `tunedeck --help`.")
    return 0
