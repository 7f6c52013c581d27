"""The first frame never waits for heavy imports: google-genai, numpy and plotext load
after it, when the job manager opens and the first dataset is read."""

from __future__ import annotations

import json
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

    HEAVY = ("google.genai", "numpy", "plotext", "aiohttp")
    seen = {}

    async def main():
        tmp = Path(tempfile.mkdtemp())
        settings = replace(load_settings(env={}, data_dir=tmp / "data", config_dir=tmp / "config"),
                           local_url="http://127.0.0.1:9", test_mode=True)
        class Probe(TuneDeckApp):
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
    assert set(loaded) == {"google.genai", "numpy", "plotext", "aiohttp"}
    assert not any(loaded.values()), f"imported before the first frame: {[k for k, v in loaded.items() if v]}"
