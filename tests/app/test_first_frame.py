"""The first frame never waits for heavy imports: google-genai, numpy, plotext and pydantic load
after it, when the job manager opens and the first dataset is read. Opening the app pauses
the garbage collector only until that frame is out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from tests.app.conftest import REPO

PROBE = textwrap.dedent(
    """
    import asyncio, json, sys, tempfile
    from dataclasses import replace
    from pathlib import Path
    from tui.config import load_settings
    from tui.app import TuneDeckApp

    HEAVY = ("google.genai", "numpy", "plotext", "aiohttp", "pydantic")
    seen = {}

    async def main():
        tmp = Path(tempfile.mkdtemp())
        settings = replace(load_settings(env={}, data_dir=tmp / "data", config_dir=tmp / "config", backend="local"),
                           local_url="http://127.0.0.1:9")
        class Probe(TuneDeckApp):
            health_interval = None
            CSS_PATH = [str(Path("tui/app.tcss").resolve()), str(Path("tui/screens/datasets.tcss").resolve())]

            def on_ready(self):
                # Runs when the first frame is out, before TuneDeckApp.on_ready starts the rest.
                seen.update({name: name in sys.modules for name in HEAVY})

        app = Probe(settings, None)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
        print(json.dumps(seen))

    asyncio.run(main())
    """
)


def test_no_heavy_module_before_the_first_frame():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(loaded) == {"google.genai", "numpy", "plotext", "aiohttp", "pydantic"}
    assert not any(loaded.values()), f"imported before the first frame: {[k for k, v in loaded.items() if v]}"


# `tunedeck` as the command runs it (tui.launch.run_app), headless: the garbage collector is
# paused while the first frame and the rest of the first screen are built, and running again,
# with the startup objects frozen, once the screen is complete; the first frame lists the
# shipped samples; the stylesheet is not re-read before it.
LAUNCH_PROBE = textwrap.dedent(
    """
    import argparse, asyncio, gc, json, tempfile
    from pathlib import Path
    from textual.app import App
    from tui import launch
    from tui.app import TuneDeckApp

    from textual.css.stylesheet import Stylesheet

    seen = {"css_reparses": 0}
    original_reparse = Stylesheet.reparse

    def counting_reparse(self):
        seen["css_reparses"] += 1
        original_reparse(self)

    Stylesheet.reparse = counting_reparse

    def run_headless(self):
        App.run(self, headless=True, size=(100, 30))

    def on_ready(self):
        seen["gc_on_before_first_frame"] = gc.isenabled()
        seen["css_reparses_before_first_frame"] = seen["css_reparses"]
        # The list's picture (tests/app/test_samples_picture.py: drawn as the list it stands for).
        seen["samples"] = self.screen.query_one("#samples-picture").names
        original_on_ready(self)
        self.call_later(check_first_frame)
        self.run_worker(check_after(self))

    def check_first_frame():
        seen["gc_on_after_first_frame"] = gc.isenabled()

    async def check_after(app):
        await app.first_screen_shown.wait()
        for _ in range(3):  # the collector is set going right after the screen is complete
            await asyncio.sleep(0)
        seen["gc_on_after_complete_screen"] = gc.isenabled()
        seen["frozen"] = gc.get_freeze_count()
        app.exit()

    original_on_ready = TuneDeckApp.on_ready
    original_init = TuneDeckApp.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        TuneDeckApp.running = self

    TuneDeckApp.__init__ = init
    TuneDeckApp.run = run_headless
    TuneDeckApp.on_ready = on_ready
    tmp = Path(tempfile.mkdtemp())
    code = launch.run_app(argparse.Namespace(data_dir=tmp / "data", backend="local"))
    seen["gc_on_after_exit"] = gc.isenabled()
    print(json.dumps({"code": code, **seen}))
    """
)


def test_launch_builds_the_first_frame_without_gc_passes_or_css_rereads(tmp_path):
    env = {**os.environ, "TUNEDECK_CONFIG_DIR": str(tmp_path / "config"), "TUNEDECK_LOCAL_URL": "http://127.0.0.1:9"}
    env.pop("GEMINI_API_KEY", None)
    env.pop("GOOGLE_API_KEY", None)
    result = subprocess.run(
        [sys.executable, "-c", LAUNCH_PROBE], capture_output=True, text=True, cwd=REPO, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["code"] == 0
    assert seen["samples"] == ["number-increment.jsonl", "classification.jsonl", "summarization.jsonl"]
    assert seen["gc_on_before_first_frame"] is False
    assert seen["gc_on_after_first_frame"] is False  # the rest of the screen is built right after it
    assert seen["gc_on_after_complete_screen"] is True
    assert seen["frozen"] > 1000
    assert seen["gc_on_after_exit"] is True
    # The stylesheet is read once: no full CSS refresh before the first frame.
    assert seen["css_reparses_before_first_frame"] == 0
