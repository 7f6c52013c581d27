"""Domain models: unknown values stay unknown, new jobs take the backend's defaults, the learning-rate rule."""

import pytest
from pydantic import ValidationError

from tui.config import BackendKind, ConfigError, load_settings, mask_secret
from tui.jobs.gemini import CAPABILITIES, hyperparameters_from_wire, hyperparameters_to_wire
from tui.models import Hyperparameters


def test_unreported_values_stay_unknown_and_new_jobs_take_the_guides_defaults():
    assert Hyperparameters() == Hyperparameters(epoch_count=None, batch_size=None, learning_rate=None)
    hp = Hyperparameters().with_defaults(CAPABILITIES.defaults)
    assert (hp.epoch_count, hp.batch_size, hp.effective_learning_rate(CAPABILITIES.base_learning_rate)) == (5, 4, 0.001)
    assert Hyperparameters(epoch_count=3).total_steps(10) is None  # batch size unknown


def test_a_value_that_cannot_be_decoded_stays_none():
    hp = hyperparameters_from_wire({"epochCount": "many", "batchSize": 8, "learningRate": -1})
    assert (hp.epoch_count, hp.batch_size, hp.learning_rate, hp.learning_rate_multiplier) == (None, 8, None, None)
    both = hyperparameters_from_wire({"learningRateMultiplier": 2, "learningRate": 0.002})
    assert (both.learning_rate_multiplier, both.learning_rate) == (2, None)


def test_adapter_size_is_one_of_the_allowed():
    assert Hyperparameters(adapter_size=8).adapter_size == 8
    with pytest.raises(ValidationError, match="adapter size"):
        Hyperparameters(adapter_size=3)


def test_learning_rate_and_multiplier_are_exclusive():
    with pytest.raises(ValidationError, match="not both"):
        Hyperparameters(learning_rate=0.01, learning_rate_multiplier=2)


def test_multiplier_scales_the_default_rate():
    hp = Hyperparameters(learning_rate_multiplier=0.5)
    assert hp.effective_learning_rate(CAPABILITIES.base_learning_rate) == pytest.approx(0.0005)
    assert hp.effective_learning_rate(None) is None  # a backend that does not fix the base rate
    assert hyperparameters_to_wire(hp) == {"epochCount": 5, "batchSize": 4, "learningRateMultiplier": 0.5}


@pytest.mark.parametrize(("examples", "epochs", "batch", "steps"), [(15, 5, 2, 38), (15, 5, 4, 19), (500, 5, 4, 625)])
def test_total_steps_match_the_api(examples, epochs, batch, steps):
    assert Hyperparameters(epoch_count=epochs, batch_size=batch).total_steps(examples) == steps


def test_key_comes_from_env_and_is_masked(tmp_path):
    settings = load_settings(env={"GEMINI_API_KEY": "AIzaSyExample1234"}, config_dir=tmp_path, data_dir=tmp_path)
    assert settings.active_backend is BackendKind.GEMINI
    assert settings.api_key_source == "$GEMINI_API_KEY"
    assert "Example" not in settings.masked_key and settings.masked_key.endswith("1234")
    assert "AIzaSyExample1234" not in repr(settings)


def test_no_key_means_local(tmp_path):
    settings = load_settings(env={"HOME": str(tmp_path)}, config_dir=tmp_path, data_dir=tmp_path)
    assert settings.active_backend is BackendKind.VERTEX_LOCAL  # a fresh machine tunes with Vertex, locally
    assert load_settings(env={}, config_dir=tmp_path, data_dir=tmp_path, backend="local").active_backend is (
        BackendKind.LOCAL)
    assert mask_secret(None) == "(none)"


def write_config(tmp_path, text: str):
    (tmp_path / "config.json").write_text(text, encoding="utf-8")
    return tmp_path / "config.json"


def test_config_file_keys_are_read(tmp_path):
    write_config(tmp_path, '{"backend": "local", "bell": true, "local_url": "http://127.0.0.1:8765"}')
    settings = load_settings(env={}, config_dir=tmp_path, data_dir=tmp_path)
    assert (settings.backend, settings.bell, settings.local_url) == (BackendKind.LOCAL, True, "http://127.0.0.1:8765")


def test_no_config_file_reads_as_every_key_at_its_default(tmp_path):
    from tui.config import _NoConfigFile
    from tui.config_file import ConfigFile

    defaults = ConfigFile()
    absent = _NoConfigFile()
    assert {key: getattr(absent, key) for key in ConfigFile.model_fields} == defaults.model_dump()
    (tmp_path / "empty").mkdir()
    write_config(tmp_path / "empty", "{}")
    env = {"GOOGLE_CLOUD_PROJECT": "", "HOME": str(tmp_path)}
    assert load_settings(env=env, config_dir=tmp_path / "none", data_dir=tmp_path) == load_settings(
        env=env, config_dir=tmp_path / "empty", data_dir=tmp_path
    ).with_overrides(config_dir=tmp_path / "none")


def test_settings_without_a_config_file_do_not_load_pydantic(tmp_path):
    """The app's first frame does not wait for pydantic when there is no config.json."""
    import subprocess
    import sys

    probe = (
        "import sys; from pathlib import Path; from tui.config import load_settings; "
        f"load_settings(env={{'HOME': {str(tmp_path)!r}}}, config_dir=Path({str(tmp_path / 'none')!r}), "
        f"data_dir=Path({str(tmp_path)!r})); print('pydantic' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"bell": "false"}', "bell: Input should be a valid boolean"),
        ('{"bel": true}', "bel: unknown key"),
        ('{"local_url": 8765}', "local_url: Input should be a valid string"),
        ('{"local_url": "localhost:8765"}', "local_url: 'localhost:8765' is not an http:// or https:// URL"),
        ('{"backend": "vertexx"}', "backend: Input should be 'local', 'gemini', 'vertex' or 'vertex-local'"),
        ("[1, 2]", "the config file must hold a JSON object"),
        ('{"bell": tru}', "cannot read the config file"),
    ],
)
def test_a_bad_config_file_is_named_with_the_key_and_what_is_wrong(tmp_path, text, expected):
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, config_dir=tmp_path, data_dir=tmp_path)
    assert str(caught.value).startswith(f"{path}: {expected}")


def test_a_vertex_job_states_are_said_in_vertex_words_and_gemini_ones_in_gemini_words():
    from tui.models import Job, JobState

    vertex = Job(name="projects/p/locations/l/tuningJobs/1", backend="vertex-local", state=JobState.CREATING)
    gemini = Job(name="tunedModels/a", backend="local", state=JobState.CREATING)
    assert (vertex.state_word, gemini.state_word) == ("RUNNING", "CREATING")
    done = {"state": JobState.ACTIVE}
    assert (vertex.model_copy(update=done).state_word, gemini.model_copy(update=done).state_word) == (
        "SUCCEEDED", "ACTIVE")
    failed = {"state": JobState.FAILED}
    assert vertex.model_copy(update=failed).state_word == "FAILED"
