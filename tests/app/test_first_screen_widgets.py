"""The light widgets of the first screen: the footer's keys (one widget, drawn as Textual's
footer draws them), the panels' tab line, the Browse button, and the pictures of the empty
examples table and viewer that stand in for them until they are mounted."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, Static

from tests.app.conftest import REPO, SIZE, settle
from tui.app import make_app
from tui.screens.dialogs import OpenFileDialog
from tui.widgets.dataset_panels import NOTHING, DatasetPanels, EmptyExamples, EmptyViewer, PanelTabLine
from tui.widgets.example_table import ExampleTable
from tui.widgets.example_viewer import NOTHING as VIEWER_NOTHING
from tui.widgets.example_viewer import ExampleViewer
from tui.widgets.key_footer import KeyFooter


def bottom_line(app) -> list[tuple[str, tuple]]:
    """The last line of the screen as drawn: the text of each run and how it looks (colours, bold,
    dim, italic, reverse)."""
    strip = app.screen._compositor.render_strips()[-1]
    return [(segment.text, look(segment.text, segment.style)) for segment in strip if segment.text]


def look(text: str, style) -> tuple:
    if style is None:
        return ()
    if not text.strip():  # blank cells: only the background shows
        return (style.bgcolor,)
    return (style.color, style.bgcolor, style.bold, style.dim, style.italic, style.reverse)


def plain(line: list[tuple[str, tuple]]) -> str:
    return "".join(text for text, _style in line)


class Keyed(App[None]):
    """Shown, hidden and disabled keys, and a text field with keys of its own."""

    BINDINGS: ClassVar = [
        Binding("o", "open", "Open path", tooltip="Type a path"),
        Binding("r", "reload", "Reload"),
        Binding("x", "hidden", "Hidden", show=False),
        Binding("question_mark", "keys", "Keys", key_display="?"),
    ]
    footer_class: ClassVar[type] = KeyFooter
    opened = 0

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield Input(id="field")
        yield self.footer_class()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "reload" else True  # None: offered, but disabled

    def action_open(self) -> None:
        self.opened += 1


class TextualFooter(Keyed):
    footer_class = Footer


async def drawn_footer(app_class: type[Keyed], focus_field: bool) -> list[tuple[str, tuple]]:
    app = app_class()
    async with app.run_test(size=(100, 10)) as pilot:
        if focus_field:
            app.query_one("#field").focus()
        else:
            app.set_focus(None)
        for _ in range(3):  # Textual's footer composes its keys again after the bindings change
            await pilot.pause()
        return bottom_line(app)


async def test_the_key_footer_draws_what_textuals_footer_draws():
    lines = {}
    for focus_field in (False, True):
        ours = await drawn_footer(Keyed, focus_field)
        textual = await drawn_footer(TextualFooter, focus_field)
        assert plain(ours) == plain(textual)
        assert ours == textual  # the same colours and text styles, run by run
        lines[focus_field] = plain(ours)
    assert "Open path" in lines[False] and "Hidden" not in lines[False] and "^p palette" in lines[False]
    assert lines[True] != lines[False]  # the keys the text field takes are not offered while it has the focus


async def test_a_disabled_key_is_dimmed_and_a_click_presses_an_enabled_one():
    app = Keyed()
    async with app.run_test(size=(100, 10)) as pilot:
        app.set_focus(None)
        await pilot.pause()
        line = bottom_line(app)
        reload = next(style for text, style in line if "Reload" in text)
        open_path = next(style for text, style in line if "Open path" in text)
        assert reload[0] != open_path[0]  # dimmed: a fainter colour
        text = plain(line)
        await pilot.click(KeyFooter, offset=(text.index("Reload"), 0))
        await pilot.click(KeyFooter, offset=(text.index("Open path"), 0))
        await pilot.pause()
        assert app.opened == 1  # the disabled key did nothing


async def test_hovering_a_key_shows_its_tooltip():
    app = Keyed()
    async with app.run_test(size=(100, 10)) as pilot:
        app.set_focus(None)
        await pilot.pause()
        footer = app.query_one(KeyFooter)
        await pilot.hover(KeyFooter, offset=(plain(bottom_line(app)).index("Open path"), 0))
        assert footer.tooltip == "Type a path"
        await pilot.hover(Static)
        assert footer.tooltip is None


async def test_the_datasets_footer_follows_the_focus_and_presses_keys(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "leave field" not in plain(bottom_line(app))
        await pilot.press("o")  # the path field: esc leaves it
        await settle(app, pilot)
        assert "esc leave field" in plain(bottom_line(app))
        await pilot.press("escape")
        await settle(app, pilot)
        text = plain(bottom_line(app))
        assert "leave field" not in text
        await pilot.click(KeyFooter, offset=(text.index("Browse"), 0))
        await settle(app, pilot)
        assert isinstance(app.screen, OpenFileDialog)


async def test_the_panel_tab_line_shows_and_names_the_panels(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        panels = app.screen.query_one(DatasetPanels)
        tab_line = app.screen.query_one(PanelTabLine)
        assert [app.screen.query_one(f"#{name}").display for name in ("examples", "findings", "stats")] == [
            True, False, False]
        names = str(tab_line.render().renderables[0])
        assert names.split() == ["Examples", "Findings", "Stats"]
        await pilot.click(PanelTabLine, offset=(names.index("Stats"), 0))
        await settle(app, pilot)
        assert panels.active == "stats"
        assert [app.screen.query_one(f"#{name}").display for name in ("examples", "findings", "stats")] == [
            False, False, True]
        assert app.screen.focused is app.screen.query_one("#stats-view")  # as its key `t` does
        panels.get_tab("findings").label = "Findings (3)"
        await pilot.pause()
        assert "Findings (3)" in str(tab_line.render().renderables[0])


async def test_the_browse_button_opens_the_dialog_on_enter_and_on_a_click(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#browse").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, OpenFileDialog)
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, OpenFileDialog)
        await pilot.click("#browse")
        await settle(app, pilot)
        assert isinstance(app.screen, OpenFileDialog)


class OneTable(App[None]):
    """The examples table, or the headings the first screen draws in its place, filling a screen."""

    CSS = "#table { height: 1fr; }"
    AUTO_FOCUS = None  # as on the first screen, where the samples list has the focus
    table_class: ClassVar[type] = ExampleTable

    def compose(self) -> ComposeResult:
        yield self.table_class(id="table")


class HeadingsOnly(OneTable):
    table_class = EmptyExamples


def cells(lines: list[list[tuple[str, tuple]]]) -> list[list[tuple[str, tuple]]]:
    return [[(char, look(char, style) if style else ()) for text, style in line for char in text] for line in lines]


async def drawn_screen(app: App) -> list[list[tuple[str, tuple]]]:
    async with app.run_test(size=(70, 14)) as pilot:
        await pilot.pause()
        return [[(segment.text, segment.style) for segment in strip if segment.text]
                for strip in app.screen._compositor.render_strips()]


async def test_the_empty_headings_look_as_the_empty_examples_table():
    """The first screen shows EmptyExamples; the table replaces it a moment later: nothing may move or
    change colour then."""
    table, headings = await drawn_screen(OneTable()), await drawn_screen(HeadingsOnly())
    assert cells(headings) == cells(table)  # cell by cell: character, colours, bold
    assert "".join(text for text, _ in table[0]).split() == ["#", "line", "input", "output"]


class OneViewer(App[None]):
    """The example viewer with the Datasets screen's styles, or the picture of it the first screen draws."""

    CSS_PATH = str(REPO / "tui" / "screens" / "datasets.tcss")
    AUTO_FOCUS = None

    def compose(self) -> ComposeResult:
        yield ExampleViewer(id="example-viewer")


class ViewerPicture(OneViewer):
    def compose(self) -> ComposeResult:
        yield EmptyViewer(id="empty-viewer")


async def test_the_empty_viewer_looks_as_the_viewer_with_no_example():
    viewer, picture = await drawn_screen(OneViewer()), await drawn_screen(ViewerPicture())
    assert cells(picture) == cells(viewer)
    assert NOTHING == VIEWER_NOTHING
    assert "".join(text for text, _ in viewer[1]).strip() == NOTHING


async def test_the_table_is_in_place_when_the_screen_takes_keys(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert not app.screen.query(EmptyExamples) and not app.screen.query(EmptyViewer)
        table = app.screen.query_one("#example-table", ExampleTable)
        viewer = app.screen.query_one("#example-viewer")
        assert table.region.y < viewer.region.y  # above the viewer, where the headings were


async def test_nothing_in_the_first_frame_moves_when_the_rest_of_the_screen_arrives(manager, settings):
    """The path bar's place is kept in the first frame: the samples list stays where it was drawn."""
    app = make_app(settings, manager)
    first: dict[str, object] = {}
    app.after_first_paint(lambda: first.update(body=app.screen.query_one("#body").region,
                                                samples=app.screen.query_one("#samples-picture").region))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.screen.query_one("#path")  # the rest has arrived
        assert first["body"].y == app.screen.query_one("#body").region.y  # (the footer then takes a line below)
        assert first["samples"] == app.screen.query_one("#samples").region  # the list, where its picture was


async def test_the_progress_bar_of_a_file_being_read_is_below_the_body(manager, settings):
    """It goes between the body and the footer: above the body, it would push the table's last rows
    off the screen while a file is checked."""
    from tui.messages import WorkProgress

    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.post_message(WorkProgress("Checking", 5, 10))
        await pilot.pause()
        await pilot.pause()
        row = app.screen.query_one(".progress-bar").region
        body = app.screen.query_one("#body").region
        footer = app.screen.query_one(KeyFooter).region
        assert body.bottom <= row.y < footer.y
