"""Regenerate `screenshots/` by driving the real app against a fresh local emulator.

Scene lists come from `scripts/scenes_setup.py` and, when present, `scripts/scenes_monitor.py`:
each module defines `SCENES`, a list of `async def scene(app, pilot) -> str` coroutines that
press keys and return the file stem. Each module's scenes run in order on one app; all
modules share one emulator and one data dir, so later modules see the jobs earlier ones
launched. Every scene is saved as `screenshots/<stem>.svg`, plus a PNG when `rsvg-convert`
or `cairosvg` is available.

    .venv/bin/python scripts/screenshots.py [--only STEM ...] [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCENE_MODULES = ("scenes_setup", "scenes_monitor", "scenes_vertex", "scenes_library")
SIZE = (120, 36)



def steady_frames() -> None:
    """The same frame on every run: no clock figures, no blinking cursor, no health timer,
    the emulator's port masked (as the screenshot tests do, in tests/ui_fixtures.py)."""
    import re

    from tui.app import TuneDeckApp

    TuneDeckApp.show_clock = False
    TuneDeckApp.cursor_blink = False
    TuneDeckApp.health_interval = None
    label = TuneDeckApp.backend_label
    TuneDeckApp.backend_label = property(  # type: ignore[method-assign,assignment]
        lambda app: re.sub(r"(127\.0\.0\.1|localhost):\d+", r"\1:PORT", label.fget(app))
    )

def load_scene_module(name: str):
    """Import scripts/<name>.py, or None if it does not exist yet."""
    path = Path(__file__).with_name(f"{name}.py")
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def to_png(svg: Path) -> Path | None:
    """Convert an SVG screenshot to PNG with whatever converter is installed."""
    png = svg.with_suffix(".png")
    if shutil.which("rsvg-convert"):
        subprocess.run(["rsvg-convert", str(svg), "-o", str(png)], check=True)
        return png
    try:
        import cairosvg  # type: ignore[import-not-found]
    except ImportError:
        return None
    cairosvg.svg2png(url=str(svg), write_to=str(png))
    return png


async def run_module(module, settings, manager, out: Path, only: set[str]) -> list[Path]:
    from tui.app import make_app

    saved: list[Path] = []
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.settle()
        for scene in module.SCENES:
            stem = await scene(app, pilot)
            await pilot.pause()
            await app.settle()
            await pilot.pause()
            if only and stem not in only:
                continue
            svg = Path(app.save_screenshot(filename=f"{stem}.svg", path=str(out)))
            saved.append(svg)
            png = to_png(svg)
            print(f"saved {svg.relative_to(ROOT) if svg.is_relative_to(ROOT) else svg}" + (" (+png)" if png else ""))
    return saved


async def main_async(out: Path, only: set[str]) -> int:
    from tui.config import load_settings
    from tui.emulator.process import start_emulator
    from tui.jobs.service import open_manager

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tunedeck-shots-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        emulator = start_emulator(data_dir / "emulator", port=0, detached=False)
        try:

            def settings_for(backend: str):
                loaded = load_settings(env={}, data_dir=data_dir, config_dir=Path(tmp) / "config", backend=backend)
                return replace(loaded, local_url=emulator.url, local_api_key=emulator.api_key)

            steady_frames()
            for name in SCENE_MODULES:
                module = load_scene_module(name)
                if module is None:
                    print(f"skipping {name}: scripts/{name}.py does not exist")
                    continue
                # A module may name its backend (e.g. "vertex-local"); all share the one emulator.
                module_settings = settings_for(getattr(module, "BACKEND", "local"))
                manager = await open_manager(module_settings)
                try:
                    await run_module(module, module_settings, manager, out, only)
                finally:
                    await manager.close()
        finally:
            emulator.stop()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Regenerate the screenshots in screenshots/.")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--only", nargs="*", default=[], help="save only these stems (all scenes still run)")
    args = parser.parse_args()
    return asyncio.run(main_async(args.out, set(args.only)))


if __name__ == "__main__":
    sys.exit(main())
