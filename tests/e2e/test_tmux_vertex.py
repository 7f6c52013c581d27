"""`tunedeck` on Vertex AI in a real terminal, from a dataset made to overfit to the choice of an epoch:
open the dataset, set epochs, a high learning-rate multiplier and a validation file, launch and see the
upload, watch the train and eval curves grow in the Monitor, read the overfitting advice, check it
against the checkpoints' eval losses, and send one prompt to every checkpoint in the Playground.

The emulator trains for real, with slowed steps so the curves can be seen growing. The app reaches it
through a pass-through proxy that holds the dataset's upload until the test has seen it on screen, so
the upload is observed however fast the machine is (the files are a few kB)."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.test_tmux_launch import tunedeck_command

pytestmark = pytest.mark.e2e

DATA = Path(__file__).resolve().parents[1] / "data"
TRAIN = DATA / "overfit-train.jsonl"
VALIDATION = DATA / "overfit-validation.jsonl"
EPOCHS = 8
STEPS = 48  # 24 examples x 8 epochs / batch size 4 (the emulator's Vertex batch size under 1,000 examples)
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}
SCROLLBAR = str.maketrans("", "", "▁▂▃▄▅▆▇█")
FIELD_FOCUSED = "esc leave field"  # the tab bar's hint while a text field has the focus


class UploadGate:
    """A pass-through HTTP proxy in front of the emulator that holds the dataset's upload: each `PUT` of a
    Cloud Storage resumable session waits at the gate until let through. The session URL the emulator
    hands out (`Location`) is rewritten to point back at the proxy. Runs its own event loop in a thread."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.url = ""
        self._gate = threading.Condition()
        self._arrived = 0  # upload PUTs that reached the gate
        self._allowed = 0  # ... that may go on
        self._open = False
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> UploadGate:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the upload gate did not start")
        return self

    def wait_arrived(self, count: int, timeout: float = 60.0) -> bool:
        """Whether `count` upload PUTs have reached the gate within `timeout` seconds."""
        with self._gate:
            return self._gate.wait_for(lambda: self._arrived >= count, timeout)

    def let_through(self, count: int = 1) -> None:
        with self._gate:
            self._allowed += count
            self._gate.notify_all()

    def open(self) -> None:
        """Hold nothing from now on."""
        with self._gate:
            self._open = True
            self._gate.notify_all()

    def _pass(self) -> None:
        with self._gate:
            self._arrived += 1
            number = self._arrived
            self._gate.notify_all()
            self._gate.wait_for(lambda: self._open or number <= self._allowed)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        from aiohttp import ClientSession, ClientTimeout, web

        self._session = ClientSession(auto_decompress=False, timeout=ClientTimeout(total=None))
        app = web.Application(client_max_size=1 << 30)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def _forward(self, request):
        from aiohttp import web

        body = await request.read()
        if request.method == "PUT" and request.path.startswith("/upload/storage/"):
            await asyncio.to_thread(self._pass)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with self._session.request(
            request.method, self.upstream + request.path_qs, data=body, headers=headers, allow_redirects=False
        ) as upstream:
            headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
            if "Location" in headers:
                headers["Location"] = headers["Location"].replace(self.upstream, self.url, 1)
            reply = web.StreamResponse(status=upstream.status, headers=headers)
            await reply.prepare(request)
            async for chunk in upstream.content.iter_any():  # streamed answers stay streamed
                await reply.write(chunk)
            await reply.write_eof()
            return reply

    def stop(self) -> None:
        self.open()

        async def close() -> None:
            await self._runner.cleanup()
            await self._session.close()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


def pane_text(screen: str) -> str:
    """The right-hand pane's words as one line (wrapped lines joined, the scrollbar left out), for phrases
    that wrap."""
    parts = [line.split("▕", 1)[1].translate(SCROLLBAR) for line in screen.splitlines() if "▕" in line]
    return " ".join(" ".join(parts).split())


def field_value(screen: str, label: str) -> str:
    """What the job form shows in the field labelled `label` (the text right of the label)."""
    for line in screen.splitlines():
        if line.strip().startswith(label):
            return line.split("▏")[0].strip()[len(label) :].strip()
    return ""


def wait_until(term, check, what: str, timeout: float = 30.0) -> str:
    """Wait until `check(screen)` holds; fail with the screen if it never does."""
    deadline = time.monotonic() + timeout
    screen = term.screen()
    while not check(screen):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s; the screen was:\n{screen}")
        time.sleep(0.1)
        screen = term.screen()
    return screen


def figure(pattern: str, text: str) -> str | None:
    found = re.search(pattern, text)
    return found.group(1) if found else None


def uploaded(screen: str) -> tuple[int, int] | None:
    """The upload bar's words, `Uploading 3 kB / 6 kB`, as (kB sent, kB in all)."""
    found = re.search(r"Uploading (\d+) kB / (\d+) kB", screen)
    return (int(found.group(1)), int(found.group(2))) if found else None


def comparison_cells(screen: str) -> dict[int, str]:
    """The Playground's side-by-side answers: epoch -> the words in that checkpoint's cell (its label,
    which may wrap, its marks and its answer)."""
    lines = [line.split("▕", 1)[1] for line in screen.splitlines() if "▕" in line]
    cells: dict[int, str] = {}
    for row, line in enumerate(lines):
        for found in re.finditer(r"│ (epoch (\d+) · step)", line):
            column, words = found.start(1), []
            for inside in lines[row:]:
                if inside[column - 2 : column - 1] != "│":  # the cell's bottom border, or the end of the list
                    break
                words.append(inside[column:].split("│", 1)[0].strip())
            cells[int(found.group(2))] = " ".join(words)
    return cells


def examples(path: Path) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(row["text_input"], row["output"]) for row in rows]


def setting_of(screen: str, label: str) -> str:
    """What the Playground's Temperature or Max output tokens field shows (`default` when empty)."""
    found = re.search(rf"{label} ▊\s+(\S+)\s", screen)
    return found.group(1) if found else ""


def prompt_of(screen: str) -> str:
    """The text in the Playground's prompt box."""
    lines = screen.splitlines()
    top = next((i for i, line in enumerate(lines) if "╭─ Prompt" in line), None)
    if top is None:
        return ""
    inside = []
    for line in lines[top + 1 :]:
        if "╰" in line:
            break
        inside.append(line.split("▕", 1)[-1].strip(" │"))
    return "\n".join(inside).strip()


def focus_prompt(term) -> None:
    """The prompt gets the focus: Enter on the checkpoint list (which picks the tuned model) moves there."""
    term.send("C-g")
    wait_until(term, lambda s: FIELD_FOCUSED not in s, "focus on the checkpoint list")
    term.send("Enter")
    term.wait_for(FIELD_FOCUSED)


def set_temperature_zero(term) -> None:
    """Temperature 0 in the Playground, typed from the prompt (shift+Tab twice) in one write; the next
    write waits until the 0 shows, as a key written later can overtake keys of an earlier write that a
    field hands on after a focus move."""
    focus_prompt(term)
    term.send("BTab", "BTab", "0")
    screen = wait_until(term, lambda s: setting_of(s, "Temperature") == "0", "Temperature 0")
    assert setting_of(screen, "Max output tokens") == "default" and prompt_of(screen) == "", screen


def checkpoints_of(text: str) -> list[tuple[int, int, float]]:
    """The Monitor's checkpoint list: (epoch, step, eval loss) of each checkpoint that shows its eval loss.

    Once per epoch: when the summary grows a scrollbar, a line of its earlier layout can stay on screen
    under the list (a drawing fault of the summary, not of the checkpoints)."""
    found: dict[int, tuple[int, int, float]] = {}
    for epoch, step, value in re.findall(r"epoch (\d+) · step (\d+) · eval ([\d.]+)", text):
        found.setdefault(int(epoch), (int(epoch), int(step), float(value)))
    return list(found.values())


def test_vertex_overfit_from_launch_to_checkpoints_in_tmux(terminal, tmp_path):
    from tui.emulator.process import start_emulator

    emulator = start_emulator(tmp_path / "emulator", port=0, extra_args=["--step-delay", "1"])
    gate = UploadGate(emulator.url).start()
    try:
        env = {
            "TUNEDECK_BACKEND": "vertex-local",
            "TUNEDECK_CONFIG_DIR": str(tmp_path / "config"),
            "TUNEDECK_LOCAL_URL": gate.url,
            "TUNEDECK_EMULATOR_API_KEY": emulator.api_key,
            "TERM": "xterm-256color",
        }
        term = terminal([*tunedeck_command(tmp_path / "data"), "--backend", "vertex-local"], env)
        port = gate.url.rsplit(":", 1)[1]
        term.wait_for(f"Vertex AI · local emulator at 127.0.0.1:{port}")
        term.wait_for("● reachable")

        # Open the dataset by its path.
        term.send("o")
        term.wait_for(FIELD_FOCUSED)  # the path field
        term.type(str(TRAIN))
        term.send("Enter")
        screen = wait_until(term, lambda s: "Ready to tune" in s and FIELD_FOCUSED not in s, "the dataset opened")
        assert "24 examples" in screen and "0 errors" in screen

        # Configure: a name, 8 epochs, multiplier 3, the validation file, each move confirmed on screen
        # (tests/e2e/test_tmux_key_bursts.py sends keys across the selects in one write).
        term.send("c")
        term.wait_for("Tuning job")
        term.wait_for("Ready to launch")
        term.wait_for(FIELD_FOCUSED)  # the display name
        term.type("overfit-e2e")
        term.send("Tab")  # to the base-model select
        wait_until(term, lambda s: FIELD_FOCUSED not in s and "overfit-e2e" in s, "focus on the base model")
        term.send("Tab")  # to Epochs
        term.wait_for(FIELD_FOCUSED)
        term.send("8", "Tab", "C-u", "3", "Tab")  # Epochs 8, the multiplier 3, on to the adapter-size select
        screen = wait_until(term, lambda s: FIELD_FOCUSED not in s, "focus on the adapter size")
        assert field_value(screen, "Epochs") == "8", screen
        assert field_value(screen, "Value") == "3" or field_value(screen, "LR multiplier") == "3", screen
        term.send("Tab")  # to Validation
        term.wait_for(FIELD_FOCUSED)
        term.type(str(VALIDATION))
        term.send("Escape")
        wait_until(term, lambda s: field_value(s, "Validation").endswith("overfit-validation.jsonl"), "the path")
        term.wait_for("Ready to launch")

        # Launch. The training file's upload is held at the gate, then the validation file's: the
        # upload is seen before it starts and part-way.
        screen = term.wait_for("billable tokens (estimated")  # the estimate before launch
        assert "24 training examples" in screen, screen
        term.send("C-l")
        assert gate.wait_arrived(1), f"no upload reached the server; the screen was:\n{term.screen()}"
        screen = wait_until(term, lambda s: uploaded(s) is not None, "the upload bar")
        sent, total = uploaded(screen) or (None, None)
        assert sent == 0 and total, screen
        gate.let_through(1)
        assert gate.wait_arrived(2), f"the validation file was not uploaded; the screen was:\n{term.screen()}"
        screen = wait_until(term, lambda s: (uploaded(s) or (0, 0))[0] > 0, "the upload moving on")
        sent, total_now = uploaded(screen) or (0, 0)
        assert 0 < sent < total_now == total, screen
        percent = figure(r"━\s+(\d+)%", screen)
        assert percent is not None and 0 < int(percent) < 100, screen
        gate.open()

        # The Monitor opens on the job; train and eval curves grow while it trains (slowly, a second a
        # step, until the test has seen the eval curve grow; then at full speed).
        wait_until(term, lambda s: "[3 Monitor]" in s and "overfit-e2e" in pane_text(s), "the Monitor", 60)
        term.wait_for("loss per step", timeout=30)
        term.wait_for("train loss", timeout=60)
        term.wait_for("eval loss", timeout=60)
        evals: list[str] = []
        steps: list[int] = []
        deadline = time.monotonic() + 240
        screen = term.screen()
        while "SUCCEEDED" not in screen:  # Vertex AI's word for a finished job
            assert time.monotonic() < deadline, f"the job did not finish; the screen was:\n{screen}"
            text = pane_text(screen)
            latest = figure(r"Eval loss latest ([\d.]+)", text)
            if latest is not None and latest not in evals:
                evals.append(latest)
                if len(evals) == 2:
                    emulator.configure(step_delay=0.05)
            done = figure(rf"(\d+)/{STEPS} steps", text)
            if done is not None and (not steps or int(done) != steps[-1]):
                steps.append(int(done))
            time.sleep(0.2)
            screen = term.screen()
        assert len(evals) >= 2, f"the eval curve never grew while the job trained: {evals}"
        assert any(0 < s < STEPS for s in steps) and steps == sorted(steps), f"steps seen: {steps}"
        term.wait_for(f"{STEPS}/{STEPS} steps", timeout=30)

        # The advice and the checkpoints are under the chart: move to the summary and scroll to its end,
        # until the advice and every checkpoint's eval loss are there (the last curve read may come after
        # the job's end).
        term.send("Tab")
        deadline = time.monotonic() + 60
        text = pane_text(term.screen())
        while "Relaunch with" not in text or len(checkpoints_of(text)) < EPOCHS:
            assert time.monotonic() < deadline, f"no advice or checkpoints; the screen was:\n{term.screen()}"
            term.send("End")
            time.sleep(0.3)
            text = pane_text(term.screen())
        overfit_from = figure(r"overfitting from epoch (\d+)", text)
        bottom = figure(r"Eval loss bottoms out at epoch (\d+)", text)
        advised = figure(r"Relaunch with (\d+) epochs", text)
        assert overfit_from and bottom and advised, f"the advice does not say overfitting: {text}"
        assert advised == bottom and int(bottom) < int(overfit_from) <= EPOCHS, text
        assert "24 examples" in text and "billable tokens (exact)" in text, "Vertex's count replaces the estimate"

        # The advice agrees with the checkpoints: one per epoch, the lowest eval loss at the advised epoch.
        checkpoints = checkpoints_of(text)
        assert [epoch for epoch, _, _ in checkpoints] == list(range(1, EPOCHS + 1)), text
        assert [step for _, step, _ in checkpoints] == [epoch * STEPS // EPOCHS for epoch in range(1, EPOCHS + 1)]
        lowest = min(value for _, _, value in checkpoints)  # as shown, to 3 decimals: epochs can tie
        assert checkpoints[int(advised) - 1][2] == lowest, f"the lowest eval loss is not at epoch {advised}: {text}"
        assert checkpoints[-1][2] > lowest, "eval loss did not rise after its lowest point"

        # In the Playground, one training prompt to every checkpoint at temperature 0: the answers side by
        # side, the lowest eval loss marked at the epoch the advice gave, the last checkpoint answering with
        # the training example's output (learnt by heart: the overfitting the advice is about).
        prompt, learnt = examples(TRAIN)[1]
        term.send("t")
        term.wait_for("Prompt (ctrl+s sends)")
        term.wait_for("Ready.")
        term.wait_for(f"epoch {EPOCHS} · step {STEPS} · eval")  # the checkpoint list under the tuned models
        set_temperature_zero(term)
        focus_prompt(term)
        term.type(prompt)
        wait_until(term, lambda s: prompt_of(s) == prompt, "the prompt typed")
        term.send("C-r")
        term.wait_for(f"› {prompt}  [to {EPOCHS} checkpoints]", timeout=30)
        screen = wait_until(
            term,
            lambda s: len(cells := comparison_cells(s)) == EPOCHS
            and not any("waiting for the checkpoint" in cell for cell in cells.values()),
            "every checkpoint's answer",
            timeout=90,
        )
        assert "No answer" not in screen and setting_of(screen, "Temperature") == "0", screen
        cells = comparison_cells(screen)
        assert sorted(cells) == list(range(1, EPOCHS + 1)), screen
        assert "(lowest eval loss)" in cells[int(advised)], screen
        assert learnt in cells[EPOCHS], f"the last checkpoint should answer {learnt!r}:\n{screen}"

        term.send("C-q")
        term.wait_for("tunedeck exited with 0", timeout=15)
    finally:
        gate.stop()
        emulator.stop()
