"""Open the app: read settings from the command line, then run the Textual app.

Only the settings and the app shell are imported here; the job manager (and with it
google-genai and numpy) is opened by the app after its first frame.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from contextlib import suppress

# The longest the garbage collector stays paused after the first frame, waiting for the complete screen.
SCREEN_WAIT_S = 2.0


def run_app(args) -> int:
    """Run the terminal app with the backend and data dir given on the command line."""
    # Until the first frame, the process only builds long-lived things (modules, classes,
    # styles, widgets): the cyclic garbage collector would walk them again and again and
    # find nothing to free. It is paused until the complete first screen is on screen (see
    # `set_aside_long_lived`).
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

    first_page = None
    if getattr(args, "path", None):  # read its first rows while the app loads
        from tui.datasets.first_page import FirstPage

        first_page = FirstPage(args.path, getattr(args, "format", None))
    from tui.app import make_app

    app = make_app(settings, None)
    app.open_on_start = first_page
    set_aside_long_lived(app)
    app.run()
    return int(app.return_code or 0)


def set_aside_long_lived(app) -> None:
    """Keep what lives as long as the app out of the garbage collector's passes.

    What exists once the complete first screen is up (at most SCREEN_WAIT_S after the first
    frame), what the job manager loads after it (google-genai, numpy, aiohttp), and what an
    opened dataset keeps on screen (the panels, the lint report) is set aside with
    `gc.freeze`. Otherwise every full pass walks those objects again: plotext's many
    short-lived lists trigger passes often enough that a chart rebuild on the Monitor took
    several times longer, and a full pass over an opened dataset's screen held a key's frame
    for 100-400 ms.
    """
    waiting: set[asyncio.Task] = set()
    app.sets_aside_long_lived = True  # a screen built ahead is set aside too (tui/screens_ahead.py)

    async def screen_complete() -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(app.first_screen_shown.wait(), SCREEN_WAIT_S)
        gc.freeze()
        gc.enable()
        if app.is_running:  # not when the app quit before its screen was complete
            app.manager_ready.subscribe(app, lambda _manager: gc.freeze())
            app.dataset_changed.subscribe(app, lambda _opened: app.call_after_refresh(gc.freeze))

    def first_frame() -> None:
        task = asyncio.get_running_loop().create_task(screen_complete())
        waiting.add(task)  # a reference, so the task is not collected before it ends
        task.add_done_callback(waiting.discard)

    app.after_first_paint(first_frame)
