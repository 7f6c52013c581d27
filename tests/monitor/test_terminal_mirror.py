"""The terminal mirror: what the terminal ends up showing is what Textual meant, in fewer bytes.

Every check feeds what would be written to a virtual terminal (pyte) and compares it with
a second one fed Textual's own, unmirrored output.
"""

from __future__ import annotations

import pyte
import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.app import App
from textual.geometry import Region, Size
from textual.strip import Strip

from tests.monitor.conftest import SIZE, app_ready, launch, settle, wait_for
from tui.app import make_app
from tui.models import JobState
from tui.terminal_mirror import MirroredUpdate, TerminalMirror

WIDTH, HEIGHT = 40, 4
RED = Style(color="red")
OLDEST = "tunedModels/increment-a1b2c3"


def console(width: int = WIDTH) -> Console:
    return Console(width=width, color_system="truecolor", force_terminal=True, legacy_windows=False)


class Twin:
    """Two virtual terminals: one fed Textual's output, one fed the mirror's."""

    def __init__(self, width: int, height: int) -> None:
        self.textual, self.mirrored = pyte.Screen(width, height), pyte.Screen(width, height)
        self._streams = pyte.Stream(self.textual), pyte.Stream(self.mirrored)
        self.bytes_textual = self.bytes_mirrored = 0

    def feed(self, raw: str, mirrored: str) -> None:
        self._streams[0].feed(raw)
        self._streams[1].feed(mirrored)
        self.bytes_textual += len(raw.encode())
        self.bytes_mirrored += len(mirrored.encode())

    def differences(self) -> list[tuple[int, int, object, object]]:
        return [
            (x, y, self.textual.buffer[y][x], self.mirrored.buffer[y][x])
            for y in range(self.textual.lines)
            for x in range(self.textual.columns)
            if self.textual.buffer[y][x] != self.mirrored.buffer[y][x]
        ]


def layout(lines: list[str], y: int = 0, x: int = 0, style: Style | None = None) -> LayoutUpdate:
    strips = [[Strip([Segment(text, style)])] for text in lines]
    return LayoutUpdate(strips, Region(x, y, max(len(text) for text in lines), len(lines)))


SCREEN = Size(WIDTH, HEIGHT)


def send(mirror: TerminalMirror, twin: Twin, update: LayoutUpdate | ChopsUpdate, size: Size = SCREEN) -> str:
    wrapped = mirror.wrap(update, size)
    assert isinstance(wrapped, MirroredUpdate)
    sent = wrapped.render_segments(console())
    twin.feed(update.render_segments(console()), sent)
    return sent


def test_a_repaint_of_the_same_cells_sends_nothing_and_a_change_sends_only_its_cells():
    mirror, twin = TerminalMirror(), Twin(WIDTH, HEIGHT)
    first = send(mirror, twin, layout(["State     ACTIVE", "Steps     31/600", "Loss      0.7157"]))
    assert "State" in first and "0.7157" in first  # the terminal knew nothing: all of it
    assert send(mirror, twin, layout(["State     ACTIVE", "Steps     31/600", "Loss      0.7157"])) == ""
    again = send(mirror, twin, layout(["State     ACTIVE", "Steps     32/600", "Loss      0.7157"]))
    assert again == "\x1b[2;12H2" and not twin.differences()  # the one digit, at line 2 column 12


def test_a_style_change_alone_is_a_change():
    mirror, twin = TerminalMirror(), Twin(WIDTH, HEIGHT)
    send(mirror, twin, layout(["FAILED"]))
    assert "FAILED" in send(mirror, twin, layout(["FAILED"], style=RED))
    assert not twin.differences()


def test_a_partly_refreshed_line_is_sent_from_the_change_on():
    """Textual writes a chop from its left edge; only the span's changed cells go out."""
    mirror, twin = TerminalMirror(), Twin(WIDTH, HEIGHT)
    old = Strip([Segment("State     CREATING · 30/600 steps")])
    new = Strip([Segment("State     CREATING · 31/600 steps")])
    send(mirror, twin, ChopsUpdate([{0: old}], [(0, 0, old.cell_length)], [[old.cell_length]]))
    sent = send(mirror, twin, ChopsUpdate([{0: new}], [(0, 18, 26)], [[new.cell_length]]))
    assert sent.endswith("1") and "State" not in sent and "CREATING" not in sent
    assert not twin.differences()


def test_wide_characters_are_always_written_and_never_vouched_for():
    mirror, twin = TerminalMirror(), Twin(WIDTH, HEIGHT)
    assert "数据" in send(mirror, twin, layout(["数据 ok"]))
    assert "数据" in send(mirror, twin, layout(["数据 ok"]))
    assert "abcdef" in send(mirror, twin, layout(["abcdef"]))  # over cells the mirror could not vouch for
    assert not twin.differences()


def test_a_new_size_or_forget_means_everything_is_written_again():
    mirror, twin = TerminalMirror(), Twin(WIDTH, HEIGHT)
    send(mirror, twin, layout(["unchanged"]))
    assert send(mirror, twin, layout(["unchanged"]), size=Size(WIDTH - 1, HEIGHT)) == "\x1b[1;1Hunchanged"
    mirror.forget()
    assert "unchanged" in send(mirror, twin, layout(["unchanged"]), size=Size(WIDTH - 1, HEIGHT))


def test_an_update_that_fails_to_render_leaves_the_mirror_knowing_nothing():
    mirror, twin = TerminalMirror(), Twin(WIDTH, HEIGHT)
    send(mirror, twin, layout(["kept", "kept"]))

    broken = layout(["new1", "new2"])
    broken.strips[1] = [object()]  # type: ignore[list-item]  # the second line cannot render
    with pytest.raises(AttributeError):
        mirror.wrap(broken, Size(WIDTH, HEIGHT)).render_segments(console())  # type: ignore[union-attr]
    assert "kept" in send(mirror, twin, layout(["kept", "kept"]))  # nothing trusted: rewritten


class Recorder:
    """Stands in for Textual's terminal write: every update the app would write, fed to both
    virtual terminals (the app runs headless, so Textual itself writes nothing)."""

    def __init__(self, app: App, size: tuple[int, int]) -> None:
        self.twin = Twin(*size)
        self.app = app
        self.updates = 0

    def __call__(self, screen, renderable) -> None:
        if isinstance(renderable, MirroredUpdate) and not self.app._batch_count:
            self.updates += 1
            console = self.app.console
            _render_afresh(renderable.update)
            self.twin.feed(renderable.update.render_segments(console), renderable.render_segments(console))


def _render_afresh(update: LayoutUpdate | ChopsUpdate) -> None:
    """Forget the terminal codes Rich keeps on each style and strip, so both paths render with
    this app's console. (A Style keeps the codes of the first console that rendered it, and
    style objects outlive an app: one rendered by an earlier test's console, with another
    colour system, would render differently from an equal style made here.)"""
    lines = update.strips if isinstance(update, LayoutUpdate) else [list(chops.values()) for chops in update.chops]
    for line in lines:
        for strip in line:
            if strip is None:
                continue
            strip._render_cache = None
            for segment in strip:
                if segment.style is not None:
                    segment.style._ansi = None


@pytest.fixture
def recorded(monkeypatch):
    """Apps made in the test record their writes; yields the recorders."""
    recorders: list[Recorder] = []

    def display(self, screen, renderable):
        if not hasattr(self, "_recorder"):
            self._recorder = Recorder(self, tuple(self.size))
            recorders.append(self._recorder)
        self._recorder(screen, renderable)

    monkeypatch.setattr(App, "_display", display)
    return recorders


async def test_the_app_across_screens_shows_what_textual_would_in_fewer_bytes(seeded_settings, recorded):
    app = make_app(seeded_settings, None)
    async with app.run_test(size=(100, 30)) as pilot:
        await app_ready(app, pilot)
        await settle(app, pilot)
        await app.open_job(OLDEST)
        await settle(app, pilot)
        for keys in (["question_mark"], ["escape"], ["2"], ["3"], ["down", "down", "up"], ["1"], ["3"]):
            await pilot.press(*keys)
            await settle(app, pilot)
            await pilot.pause(0.1)
            diffs = recorded[0].twin.differences()
            assert not diffs, (keys, len(diffs), [(x, y, a.data, b.data, a.bg, b.bg) for x, y, a, b in diffs[:20]])
    twin = recorded[0].twin
    assert recorded[0].updates > 10
    assert twin.bytes_mirrored < 0.5 * twin.bytes_textual, (twin.bytes_mirrored, twin.bytes_textual)


async def test_a_training_job_on_the_monitor_shows_what_textual_would(settings, manager, recorded):
    """Live updates (chart, summary, list) while a job trains to the end, the advice appearing."""
    job = await launch(manager, "mirrored", epochs=8)
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE, message_hook=None) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: manager.job(job.name).state is JobState.ACTIVE, timeout=60, what="ACTIVE")
        await settle(app, pilot)
        await pilot.pause(0.3)
        twin = recorded[0].twin
        assert not twin.differences()
        assert "ACTIVE" in "".join(twin.mirrored.display)
    assert twin.bytes_mirrored < 0.5 * twin.bytes_textual, (twin.bytes_mirrored, twin.bytes_textual)


async def test_redraw_writes_every_cell_again(seeded_settings, recorded):
    app = make_app(seeded_settings, None)
    async with app.run_test(size=(100, 30)) as pilot:
        await app_ready(app, pilot)
        await settle(app, pilot)
        await pilot.pause(0.2)
        twin = recorded[0].twin
        raw, mirrored = twin.bytes_textual, twin.bytes_mirrored
        app.refresh()  # a plain full repaint: nothing differs, nothing is sent
        await settle(app, pilot)
        await pilot.pause(0.1)
        assert twin.bytes_mirrored - mirrored < 100 < twin.bytes_textual - raw
        raw, mirrored = twin.bytes_textual, twin.bytes_mirrored
        app.action_redraw()
        await settle(app, pilot)
        await pilot.pause(0.1)
        assert twin.bytes_mirrored - mirrored > 0.9 * (twin.bytes_textual - raw) > 1000
        assert not twin.differences()
