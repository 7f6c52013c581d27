"""Screenshot scenes for the first half of the app: datasets, job form, launch, keys help.

Each scene is `async def name(app, pilot) -> str`: it does its keypresses on the running
app and returns the file stem the screenshot is saved under. Scenes run in order on one
app, so later scenes build on earlier ones (the sample opened first is launched last).
"""

from __future__ import annotations

from pathlib import Path

BROKEN_DATASET = "\n".join(
    [
        '{"text_input": "7", "output": "8"}',
        '{"text_input": "seven", "output": ""}',
        '{"text_input": "VII", "output": "VIII"',
        '{"text_input": "nine", "outptu": "ten"}',
    ]
    + [f'{{"text_input": "{n}", "output": "{n + 1}"}}' for n in range(10, 30)]
) + "\n"


async def settle(app, pilot) -> None:
    """Wait until background work is done and the screen has caught up."""
    await pilot.pause()
    await app.settle()
    await pilot.pause()


async def open_path(app, pilot, path: Path) -> None:
    """Type a path into the Datasets screen's path input and press Enter."""
    await pilot.press("1")
    await pilot.press("o")
    app.screen.query_one("#path").value = ""
    await pilot.press(*str(path), "enter")
    await settle(app, pilot)


async def open_sample(app, pilot, name: str) -> None:
    """Pick a shipped sample by file name in the Samples list."""
    await pilot.press("1")
    await settle(app, pilot)
    samples = app.screen.query_one("#samples")
    for index in range(samples.option_count):
        if samples.get_option_at_index(index).prompt == name:
            samples.focus()
            samples.highlighted = index
            await pilot.press("enter")
            await settle(app, pilot)
            return
    raise LookupError(f"no sample named {name}")


async def datasets_examples(app, pilot) -> str:
    await open_sample(app, pilot, "classification.jsonl")
    await pilot.press("e")
    app.screen.query_one("#example-table").focus()
    await pilot.press("down", "down")
    await settle(app, pilot)
    return "datasets-examples"


async def datasets_stats(app, pilot) -> str:
    await pilot.press("t")
    await settle(app, pilot)
    return "datasets-stats"


async def datasets_broken(app, pilot) -> str:
    path = app.settings.data_dir / "broken.jsonl"
    path.write_text(BROKEN_DATASET, encoding="utf-8")
    await open_path(app, pilot, path)
    app.screen.query_one("#findings-table").focus()
    await pilot.press("f")
    await settle(app, pilot)
    return "datasets-findings-broken"


async def configure_refused(app, pilot) -> str:
    await pilot.press("2")
    await settle(app, pilot)
    await pilot.press("escape", "ctrl+l")
    await settle(app, pilot)
    return "configure-refused"


async def configure_invalid(app, pilot) -> str:
    await open_sample(app, pilot, "number-increment.jsonl")
    await pilot.press("2")
    await settle(app, pilot)
    app.screen.query_one("#display_name").value = "increment-v1"
    app.screen.query_one("#epochs").value = "0"
    app.screen.query_one("#batch_size").value = "four"
    await settle(app, pilot)
    return "configure-invalid"


async def configure_ready(app, pilot) -> str:
    app.screen.query_one("#epochs").value = "3"
    app.screen.query_one("#batch_size").value = "4"
    await settle(app, pilot)
    return "configure-ready"


async def configure_call(app, pilot) -> str:
    await pilot.press("escape", "ctrl+o")
    await settle(app, pilot)
    return "configure-call"


async def keys_help(app, pilot) -> str:
    await pilot.press("escape")
    await settle(app, pilot)
    await pilot.press("question_mark")
    await settle(app, pilot)
    return "keys-help"


async def launched(app, pilot) -> str:
    await pilot.press("escape")
    await settle(app, pilot)
    await pilot.press("ctrl+l")
    await settle(app, pilot)
    return "launched"


SCENES = [
    datasets_examples,
    datasets_stats,
    datasets_broken,
    configure_refused,
    configure_invalid,
    configure_ready,
    configure_call,
    keys_help,
    launched,
]
