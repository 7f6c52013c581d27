"""Open the app: read settings from the command line, then run the Textual app.

Only the settings and the app shell are imported here; the job manager (and with it
google-genai and numpy) is opened by the app after its first frame.
"""

from __future__ import annotations

import gc
import sys


def run_app(args) -> int:
    """Run the terminal app with the backend and data dir given on the command line."""
    # Until the first frame, the process only builds long-lived things (modules, classes,
    # styles, widgets): the cyclic garbage collector would walk them again and again and
    # find nothing to free. It is paused until the first frame is on screen, then those
    # objects are set aside (`gc.freeze`) so its later passes skip them.
    gc.disable()
    try:
        return _run(args)
    finally:
        gc.enable()


def _run(args) -> int:
    from tui.config import ConfigError, load_settings

    try:
        settings = load_settings(data_dir=getattr(args, "data_dir", None), backend=getattr(args, "backend", None))
    except ConfigError as exc:
        print(f"tunedeck: {exc}", file=sys.stderr)
        return 2

    from tui.app import make_app

    app = make_app(settings, None)
    app.after_first_paint(_resume_gc)
    app.run()
    return int(app.return_code or 0)


def _resume_gc() -> None:
    gc.freeze()
    gc.enable()
