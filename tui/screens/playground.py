"""The Playground: send prompts to a tuned model and read its answers.

Before a prompt is sent it is checked against the format of the dataset the model was
tuned on (same preamble, same markers in the same order): a tuned model learned that
pattern, and a prompt that breaks it gets worse answers. A model tuned with a system
instruction gets it with every prompt, as in training. A prompt can go to the tuned model
or to one of its checkpoints, or to every checkpoint at once with the answers side by side
(`playground_checkpoints`). Each model keeps a short history of prompts and answers across
sessions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.validation import Integer, Number
from textual.widgets import Footer, Header, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option, OptionDoesNotExist

from tui.jobs.events import CurvePointsAdded, Event, JobProgress, JobRemoved
from tui.jobs.playground_history import Exchange
from tui.models import Job, JobState
from tui.screens.monitor_format import job_title
from tui.screens.playground_checkpoints import PlaygroundCheckpoints
from tui.screens.playground_format import MODEL_TARGET, Target, finding_text, format_hint, model_note, system_note
from tui.widgets.fields import FieldInput, PromptArea
from tui.widgets.playground_transcript import Transcript

if TYPE_CHECKING:
    from tui.datasets.profile import FormatProfile

CHECK_DELAY_S = 0.3  # check the prompt this long after the last key press
SHORT_ROWS = 32  # below this many rows the notes take a line each and the prompt gets smaller
SETTING_RULES = {
    "temperature": "Temperature must be a number from 0 to 2",
    "max-tokens": "Max output tokens must be a whole number from 1 to 8192",
}


class PlaygroundScreen(PlaygroundCheckpoints):
    """Pick a tuned model (or one of its checkpoints), type a prompt, read the answer."""

    CSS_PATH = "playground.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", tooltip="Send the prompt to the selected model", id="playground.send"),
        Binding(
            "ctrl+l",
            "clear_history",
            "Clear history",
            tooltip="Forget this model's prompts and answers",
            id="playground.clear",
        ),
        Binding(
            "ctrl+r",
            "compare",
            "Compare checkpoints",
            tooltip="Send the prompt to every checkpoint and show the answers side by side",
            id="playground.compare",
        ),
        Binding("ctrl+o", "focus_models", "Models", tooltip="Focus the list of tuned models", id="playground.models"),
        Binding(
            "ctrl+g",
            "focus_checkpoints",
            "Checkpoints",
            tooltip="Pick what answers: the tuned model or one of its checkpoints",
            id="playground.checkpoints",
        ),
        Binding(
            "escape",
            "focus_models",
            "Leave prompt",
            show=False,
            tooltip="Leave the prompt (then 1-5 switch screens)",
            id="playground.leave",
        ),
        Binding("ctrl+t", "focus_prompt", "Prompt", show=False, tooltip="Focus the prompt", id="playground.prompt"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._model: str | None = None
        self._profiles: dict[str, FormatProfile] = {}  # dataset path -> format profile (None: unreadable)
        self._findings: list[str] = []
        self._warned_for: str | None = None  # a prompt the user was warned about once
        self._pending: str | None = None
        self._shown: str | None = None  # the model whose transcript is shown
        self.answers = 0  # answers received (tests read it)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="playground-body"):
            with Vertical(id="models-pane"):
                yield Static("Tuned models", classes="section-title")
                yield OptionList(id="model-list")
                yield Static("Checkpoints", id="checkpoint-title", classes="section-title")
                yield OptionList(id="checkpoint-list")
            with Vertical(id="chat-pane"):
                yield Static("", id="model-heading", classes="section-title")
                yield Static("", id="model-note")
                yield Static("", id="system-note", classes="muted")
                yield Static("", id="format-note", classes="muted")
                yield Transcript(id="transcript")
                with Horizontal(id="settings-row"):
                    yield Label("Temperature", classes="field-label")
                    yield FieldInput(placeholder="default", id="temperature", validators=[Number(0.0, 2.0)])
                    yield Label("Max output tokens", classes="field-label")
                    yield FieldInput(placeholder="default", id="max-tokens", validators=[Integer(1, 8192)])
                yield Static("", id="settings-error", classes="error-text")
                yield PromptArea(id="prompt", soft_wrap=True, show_line_numbers=False)
                yield Static("", id="prompt-check")
        yield Footer()

    def on_mount(self) -> None:
        self.app.job_events.subscribe(self, self._on_job_event)
        if self.manager is not None:
            self._fill_models()
        else:
            self.app.manager_ready.subscribe(self, lambda _manager: self._fill_models())
        self._show_model()

    def on_resize(self, event) -> None:
        # On a short terminal (80×24) the transcript keeps room for a comparison's answers.
        self.set_class(event.size.height < SHORT_ROWS, "-short")

    # -- public -------------------------------------------------------------------------

    def select_model(self, name: str) -> None:
        """Open this tuned model and go to the prompt (the app calls it on a `TryModel` message)."""
        if self._highlight(name):
            self.query_one("#prompt", TextArea).focus()
        else:  # not listed yet: pick it once the list has it
            self._pending = name

    def _highlight(self, name: str) -> bool:
        """Show this tuned model, highlighted in the list (the focus stays where it is); False
        if the list does not have it."""
        options = self.query_one("#model-list", OptionList)
        try:
            index = options.get_option_index(name)
        except OptionDoesNotExist:
            return False
        options.highlighted = index
        self._model = name
        self._show_model()
        return True

    # -- model list -----------------------------------------------------------------------

    def _jobs(self) -> list[Job]:
        jobs = [job for job in self.manager.jobs if job.state is not JobState.DELETED] if self.manager else []
        # Ready models first, then the rest, each newest first (the manager's order).
        return [job for job in jobs if job.state is JobState.ACTIVE] + [
            job for job in jobs if job.state is not JobState.ACTIVE
        ]

    def _fill_models(self) -> None:
        options = self.query_one("#model-list", OptionList)
        current = self._model
        options.clear_options()
        for job in self._jobs():
            label = job_title(job) if job.state is JobState.ACTIVE else f"{job_title(job)}  ({job.state_word})"
            options.add_option(Option(label, id=job.name))
        if self._pending is not None and any(job.name == self._pending for job in self._jobs()):
            wanted, self._pending = self._pending, None
            self.select_model(wanted)  # asked for (e.g. `t` in the Monitor): its prompt takes the focus
        elif current is not None and any(job.name == current for job in self._jobs()):
            self._highlight(current)  # a job event refilled the list: the user's focus stays put
        elif options.option_count and current is None:
            options.highlighted = 0
            self._model = options.get_option_at_index(0).id
            self._show_model()

    def _on_job_event(self, event: Event) -> None:
        if isinstance(event, (JobProgress, CurvePointsAdded)) and event.job.state is JobState.CREATING:
            return  # training progress does not change this screen
        if isinstance(event, JobRemoved) and event.name == self._model:
            self._model = None
        job = getattr(event, "job", None)
        self._fill_models()
        if job is not None and job.name == self._model:
            self._show_model()

    @on(OptionList.OptionHighlighted, "#model-list")
    def _model_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id != self._model:
            self._model = event.option.id
            self._show_model()

    @on(OptionList.OptionSelected, "#model-list")
    def _model_selected(self) -> None:
        self.query_one("#prompt", TextArea).focus()

    # -- the selected model -------------------------------------------------------------------

    @property
    def model_job(self) -> Job | None:
        return self.manager.job(self._model) if self.manager and self._model else None

    def _show_model(self) -> None:
        job = self.model_job
        heading = self.query_one("#model-heading", Static)
        note = self.query_one("#model-note", Static)
        transcript = self.query_one(Transcript)
        system = self.query_one("#system-note", Static)
        fresh = job is None or job.name != self._shown  # another model: its own target, history and profile
        if fresh:
            self._target = MODEL_TARGET
        self._fill_targets(job)
        self._shown = job.name if job is not None else None
        if job is None:
            heading.update("No tuned model selected")
            note.update("Tuned models appear here once a job is launched (Configure, key 2).")
            self.query_one("#format-note", Static).update("")
            system.display = False
            transcript.show([])
            return
        heading.update(f"{job_title(job)}  [$text-muted]{job.name}[/]")
        text, usable = model_note(job)
        note.update(text)
        note.set_class(not usable or job.state is JobState.CANCELLED, "warning-text")
        system.update(system_note(job))
        system.display = bool(job.system_instruction)
        if fresh:  # an update of the same model keeps its transcript (an answer may be on its way)
            self._load_model_context(job)

    @work(thread=True, exclusive=True, group="playground-model", exit_on_error=False)
    def _load_model_context(self, job: Job) -> None:
        """Read the model's history and its dataset's format profile (off the UI thread)."""
        exchanges = self.history.recent(job.name)
        profile, problem = self._profile(job.dataset_path)
        self.app.call_from_thread(self._context_loaded, job.name, exchanges, profile, problem)

    def _profile(self, path: str | None) -> tuple[FormatProfile | None, str]:
        if not path:
            return None, "The dataset of this model is not known here, so prompts cannot be checked against its format."
        if path in self._profiles:
            return self._profiles[path], ""
        try:
            from tui.datasets import lint, open_dataset

            profile = lint(open_dataset(path)).profile
        except Exception as exc:  # noqa: BLE001 - the check is advice; the playground still works
            return None, f"Cannot read the dataset {path} to check prompts ({exc})."
        self._profiles[path] = profile
        return profile, ""

    def _context_loaded(
        self, name: str, exchanges: list[Exchange], profile: FormatProfile | None, problem: str
    ) -> None:
        if name != self._model:
            return
        self.query_one(Transcript).show(exchanges)
        note = self.query_one("#format-note", Static)
        if profile is None:
            note.update(problem)
        else:
            job = self.model_job
            note.update(format_hint(profile, job.system_instruction if job is not None else None))
        self._check_prompt()

    # -- the prompt --------------------------------------------------------------------------

    @on(TextArea.Changed, "#prompt")
    def _prompt_changed(self) -> None:
        self._warned_for = None
        self.set_timer(CHECK_DELAY_S, self._check_prompt, name="prompt-check")

    def _check_prompt(self) -> list[str]:
        """Check the prompt against the dataset's format; show and return what is off."""
        job = self.model_job
        prompt = self.query_one("#prompt", TextArea).text
        profile = self._profiles.get(job.dataset_path) if job and job.dataset_path else None
        system = job.system_instruction if job is not None else None
        findings = (
            [finding_text(f) for f in profile.check_prompt(prompt, system)]
            if profile is not None and prompt.strip()
            else []
        )
        self._findings = findings
        check = self.query_one("#prompt-check", Static)
        check.update("\n".join(f"⚠ {text}" for text in findings))
        check.set_class(bool(findings), "warning-text")
        return findings

    def _setting_errors(self) -> list[tuple[Input, str]]:
        """The settings that are not valid, each with what is wrong (empty is the model's default)."""
        wrong = []
        for name, rule in SETTING_RULES.items():
            field = self.query_one(f"#{name}", Input)
            result = field.validate(field.value) if field.value.strip() else None
            field.set_class(result is not None and not result.is_valid, "-invalid")
            if result is not None and not result.is_valid:
                wrong.append((field, f"{rule} (or empty for the model's default)."))
        message = self.query_one("#settings-error", Static)
        message.update("\n".join(text for _, text in wrong))
        message.set_class(bool(wrong), "-shown")
        return wrong

    @on(Input.Changed, "#temperature, #max-tokens")
    def _setting_changed(self) -> None:
        self._setting_errors()

    def _settings(self) -> tuple[float | None, int | None] | None:
        temperature = self.query_one("#temperature", Input)
        tokens = self.query_one("#max-tokens", Input)
        wrong = self._setting_errors()
        if wrong:
            wrong[0][0].focus()
            return None
        return (
            float(temperature.value) if temperature.value.strip() else None,
            int(tokens.value) if tokens.value.strip() else None,
        )

    def _ready(self, key: str) -> tuple[Job, str, float | None, int | None] | None:
        """(model, prompt, temperature, max output tokens) when the prompt can be sent, else say why not.

        A prompt that breaks the training format is held back once with a warning; pressing
        `key` again sends it anyway.
        """
        job = self.model_job
        prompt = self.query_one("#prompt", TextArea).text
        if job is None or self.manager is None:
            self.notify("Pick a tuned model first (ctrl+o).", severity="warning")
            return None
        text, usable = model_note(job)
        if not usable:
            self.notify(text, severity="warning", timeout=8)
            return None
        if not prompt.strip():
            self.notify("Type a prompt first.", severity="warning")
            return None
        settings = self._settings()
        if settings is None:
            return None
        if self._check_prompt() and self._warned_for != prompt:
            self._warned_for = prompt
            self.notify(
                "This prompt does not follow the training format (see the warnings under it). "
                f"Fix it, or press {key} again to send it anyway.",
                severity="warning",
                timeout=8,
            )
            return None
        return job, prompt, *settings

    def action_send(self) -> None:
        ready = self._ready("ctrl+s")
        target = self.target
        if ready is not None and target is not None:
            self._send(target, *ready)

    def worker_failed(self, group: str, error: BaseException) -> None:
        if group in ("playground-send", "playground-compare"):
            self.query_one(Transcript).failed(f"No answer: {error}")  # where the user is looking
        elif group == "playground-store":  # losing history must not lose the answer
            self.notify(f"Could not save the playground history: {error}", severity="warning")
        else:
            super().worker_failed(group, error)

    @work(exclusive=True, group="playground-send", exit_on_error=False)
    async def _send(
        self, target: Target, job: Job, prompt: str, temperature: float | None, max_tokens: int | None
    ) -> None:
        if self.manager is None:
            return
        model = job.name
        label = target.label if target.checkpoint else None
        transcript = self.query_one(Transcript)
        transcript.waiting(prompt, label)
        answer = await self.manager.generate(target.endpoint, prompt, temperature, max_tokens, job.system_instruction)
        exchange = Exchange(model, prompt, answer, temperature, max_tokens, target=label)
        self.answers += 1
        if model == self._model:
            transcript.answered(exchange)
            self.query_one("#prompt", TextArea).clear()
        self._store(exchange)

    @work(thread=True, group="playground-store", exit_on_error=False)
    def _store(self, exchange: Exchange) -> None:
        self.history.add(exchange)

    def action_clear_history(self) -> None:
        if self._model is None:
            return
        self._clear(self._model)

    @work(thread=True, group="playground-clear", exit_on_error=False)
    def _clear(self, model: str) -> None:
        removed = self.history.clear(model)
        self.app.call_from_thread(self.query_one(Transcript).show, [])
        self.app.call_from_thread(self.notify, f"Forgot {removed} prompts and answers for this model.")

    def action_focus_models(self) -> None:
        self.query_one("#model-list", OptionList).focus()

    def action_focus_prompt(self) -> None:
        self.query_one("#prompt", TextArea).focus()
