"""The first screen's parsed styles kept between starts (tui/style_cache.py), and the start-up
frame drawn once (tui/screens/datasets.py).

A start with the cache parses no CSS of the first screen again and draws the same screen; a
cache written for other CSS variables, or a damaged one, is ignored. Both rely on Textual
internals: the tests below fail if a Textual release reshapes them.
"""

from __future__ import annotations

import asyncio
import pickle
from dataclasses import replace

from textual._compositor import Compositor
from textual.css.stylesheet import Stylesheet

from tests.app.conftest import SIZE
from tui import style_cache
from tui.app import make_app
from tui.config import load_settings


def quiet_settings(tmp_path):
    """Settings on a fresh data dir, with a local backend that is never reached."""
    base = load_settings(env={}, data_dir=tmp_path / "data", config_dir=tmp_path / "config", backend="local")
    return replace(base, local_url="http://127.0.0.1:9")


async def first_screen(settings) -> tuple[frozenset, dict, list[str]]:
    """Start the app until its first screen is complete: the sources it loaded from the cache, the
    sources in use then, and the screen's text."""
    app = make_app(settings, None)
    loaded = app._styles_loaded
    async with app.run_test(size=SIZE):
        await asyncio.wait_for(app.first_screen_shown.wait(), 10)
        # At once: what comes later (the job manager's news) may bring styles of its own.
        in_use = style_cache.in_use(app.stylesheet)
        text = [strip.text for strip in app.screen._compositor.render_strips()]
    return loaded, in_use, text


async def test_the_second_start_parses_none_of_the_first_screens_styles(tmp_path):
    settings = quiet_settings(tmp_path)
    loaded, _first_use, first_text = await first_screen(settings)
    assert loaded == frozenset()  # nothing saved yet
    assert (settings.data_dir / "cache" / style_cache.FILE_NAME).is_file()

    loaded, second_use, second_text = await first_screen(settings)
    assert loaded, "the saved styles were not loaded"
    assert set(second_use) <= loaded, f"parsed again: {sorted(key[1] for key in set(second_use) - loaded)}"
    assert second_text == first_text


async def test_styles_saved_for_other_variables_are_not_used(tmp_path):
    settings = quiet_settings(tmp_path)
    await first_screen(settings)
    path = settings.data_dir / "cache" / style_cache.FILE_NAME
    saved = pickle.loads(path.read_bytes())
    saved["fingerprint"] += "\nprimary=#ff0000"  # as if the theme had changed
    path.write_bytes(pickle.dumps(saved))

    stylesheet = Stylesheet(variables={"primary": "#0000ff"})
    assert style_cache.load(stylesheet, path.parent) == frozenset()
    loaded, _in_use, _text = await first_screen(settings)
    assert loaded == frozenset()
    assert style_cache.load(make_app(settings, None).stylesheet, path.parent), "the start did not save it again"


async def test_a_damaged_cache_is_ignored_and_replaced(tmp_path):
    settings = quiet_settings(tmp_path)
    path = settings.data_dir / "cache" / style_cache.FILE_NAME
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a pickle")
    loaded, _in_use, text = await first_screen(settings)
    assert loaded == frozenset()
    assert any("number-increment.jsonl" in line for line in text)
    assert style_cache.load(make_app(settings, None).stylesheet, path.parent)


async def test_the_start_up_frame_is_drawn_once(tmp_path, monkeypatch):
    """Before the first frame, nothing is drawn while the app's start-up batch holds the terminal
    (Textual would draw it and drop it), and the first frame is drawn after the batch."""
    drawn: list[tuple[int, bool]] = []
    render_update = Compositor.render_update

    def spy(compositor, *args, **kwargs):
        app = compositor_app[0]
        if app is not None:
            drawn.append((app._batch_count, app.painted))
        return render_update(compositor, *args, **kwargs)

    compositor_app: list = [None]
    monkeypatch.setattr(Compositor, "render_update", spy)
    app = make_app(quiet_settings(tmp_path), None)
    compositor_app[0] = app
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.first_screen_shown.wait(), 10)
        await pilot.pause()
    before_first_frame = [batch for batch, painted in drawn if not painted]
    assert before_first_frame, "the first frame was never drawn"
    assert all(batch == 0 for batch in before_first_frame), f"drawn during a batch: {drawn}"


def test_the_textual_internals_the_cache_uses_are_there():
    stylesheet = Stylesheet(variables={"primary": "#0000ff"})
    cache = stylesheet._parse_cache
    assert all(callable(getattr(cache, name, None)) for name in ("keys", "get", "set")), "Stylesheet._parse_cache"
    assert isinstance(stylesheet._variables, dict), "Stylesheet._variables"
    stylesheet.add_source("Screen { color: red; }", read_from=("here", ""), is_default_css=True, tie_breaker=-1)
    stylesheet.parse()
    (key,) = list(cache.keys())
    css, read_from, is_default, _rank, scope = key  # the key's shape the cache relies on
    source = stylesheet.source[read_from]
    assert (source.content, source.is_defaults, source.scope) == (css, is_default, scope)
    assert style_cache.in_use(stylesheet) == {key: cache.get(key)}
