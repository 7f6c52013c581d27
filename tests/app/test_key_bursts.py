"""Keys that reach the app in one read (a laggy SSH link, tmux `send-keys`, a paste of keys)
take effect in the order typed on every control of the forms: Tab and shift+Tab across the
base-model select, the radio buttons, the tick box and the buttons, the Playground's fields,
and Esc out of a field followed by a screen key. The keys are posted to the real app all at
once, before it handles the first (docs/textual-key-bursts.md)."""

from __future__ import annotations

from textual.widgets import Button, Select

from tests.app.conftest import SIZE, open_form, settle
from tests.app.test_configure_vertex import to_form, vertex_manager, vertex_settings
from tests.app.test_forms import burst
from tui.app import make_app
from tui.screens.configure import ConfigureScreen
from tui.screens.monitor import MonitorScreen
from tui.screens.playground import PlaygroundScreen
from tui.widgets.fields import FieldInput, PromptArea, TickBox

__all__ = ["vertex_manager", "vertex_settings"]  # fixtures of the Vertex form


def field(app, name: str) -> FieldInput:
    return app.screen.query_one(f"#{name}", FieldInput)


async def test_tab_across_the_base_model_select_then_type(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_form(app, pilot)
        name = field(app, "display_name")
        assert app.focused is name
        name.put("run-a")
        await burst(app, "tab", "tab", "ctrl+u", "8")  # through the select to Epochs: clear it, type 8
        await settle(app, pilot)
        assert field(app, "epochs").value == "8"
        assert app.focused is field(app, "epochs")

        await burst(app, "shift+tab", "shift+tab", "x")  # back through the select to the name
        await settle(app, pilot)
        assert name.value == "run-ax"
        assert app.screen.query_one("#base_model", Select).value == "models/gemini-1.5-flash-001-tuning"


async def test_a_choice_made_in_the_select_then_tab(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_form(app, pilot)
        select = app.screen.query_one("#base_model", Select)
        first = select.value
        select.focus()
        await settle(app, pilot)
        # Open the list, one down, take it; on to Epochs: clear it, type 7.
        await burst(app, "enter", "down", "enter", "tab", "ctrl+u", "7")
        await settle(app, pilot)
        assert isinstance(select.value, str) and select.value != first  # the second base model
        assert field(app, "epochs").value == "7"
        assert app.focused is field(app, "epochs")


async def test_keys_after_the_radio_buttons_and_the_buttons_stay_in_order(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_form(app, pilot)
        field(app, "batch_size").focus()
        await settle(app, pilot)
        # To the rate kind, pick "multiplier", on to its value: clear it and type 3.
        await burst(app, "tab", "right", "enter", "tab", "ctrl+u", "3")
        await settle(app, pilot)
        assert app.screen.query_one("#rate-kind-multiplier").value
        assert field(app, "rate_value").value == "3"
        assert app.focused is field(app, "rate_value")

        # Over both buttons and back, then a digit for the value.
        await burst(app, "tab", "tab", "shift+tab", "shift+tab", "0")
        await settle(app, pilot)
        assert field(app, "rate_value").value == "30"

        # Back from the value over the radio buttons to the batch size.
        await burst(app, "shift+tab", "shift+tab", "ctrl+u", "1", "6")
        await settle(app, pilot)
        assert field(app, "batch_size").value == "16"
        assert isinstance(app.screen, ConfigureScreen)


async def test_keys_after_the_adapter_select_and_the_tick_box_stay_in_order(vertex_manager, vertex_settings):
    app = make_app(vertex_settings, vertex_manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await to_form(app, pilot, "classification.jsonl")
        screen = app.screen
        assert not screen.query_one("#preamble-field").has_class("-absent")
        chain = [widget.id for widget in screen.focus_chain]
        assert chain.index("adapter_size") + 1 == chain.index("validation") == chain.index("system_instruction") - 1
        field(app, "rate_value").focus()
        await settle(app, pilot)
        # Over the adapter-size select into Validation, on to the tick box: tick it; back: type.
        await burst(app, "tab", "tab", "0", ".", "2", "tab", "space", "shift+tab", "5")
        await settle(app, pilot)
        assert field(app, "validation").value == "0.25"
        assert screen.query_one("#system_instruction", TickBox).value
        assert screen.query_one("#adapter_size", Select).is_blank()


async def test_esc_out_of_a_field_then_a_screen_key(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_form(app, pilot)
        name = field(app, "display_name")
        name.put("run")
        await burst(app, "a", "escape", "3")
        await settle(app, pilot)
        assert isinstance(app.screen, MonitorScreen)
        assert name.value == "runa"

        # Out of the select too.
        await burst(app, "2")
        await settle(app, pilot)
        app.screen.query_one("#base_model", Select).focus()
        await settle(app, pilot)
        await burst(app, "escape", "3")
        await settle(app, pilot)
        assert isinstance(app.screen, MonitorScreen)


async def test_playground_fields_keep_the_keys_in_order(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await burst(app, "escape", "4")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, PlaygroundScreen)
        field(app, "temperature").focus()
        await settle(app, pilot)
        await burst(app, "1", "tab", "2", "5", "6", "tab", "h", "i", "backspace", "o")
        await settle(app, pilot)
        assert field(app, "temperature").value == "1"
        assert field(app, "max-tokens").value == "256"
        prompt = screen.query_one("#prompt", PromptArea)
        assert prompt.text == "ho"

        # Esc leaves the prompt (for the model list); ctrl+t comes back to it; then more text.
        await burst(app, "escape", "ctrl+t", "!")
        await settle(app, pilot)
        assert prompt.text == "ho!"

        # Esc then a screen key: to Configure, nothing typed into the prompt.
        await burst(app, "escape", "2")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfigureScreen)
        assert prompt.text == "ho!"


async def test_a_button_pressed_in_a_burst_opens_its_dialog_before_the_next_keys(manager, settings):
    app = make_app(settings, manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_form(app, pilot)
        form_screen = app.screen
        button = form_screen.query_one("#show-call", Button)
        button.focus()
        await settle(app, pilot)
        await burst(app, "enter", "escape", "shift+tab", "shift+tab", "ctrl+u", "7")
        await settle(app, pilot)
        assert app.screen is form_screen
        assert field(app, "rate_value").value == "7"
