"""Domain models: defaults from the tuning guide and the learning-rate rule."""

import pytest
from pydantic import ValidationError

from tui.config import BackendKind, load_settings, mask_secret
from tui.models import Hyperparameters


def test_defaults_follow_the_guide():
    hp = Hyperparameters()
    assert (hp.epoch_count, hp.batch_size, hp.effective_learning_rate) == (5, 4, 0.001)


def test_learning_rate_and_multiplier_are_exclusive():
    with pytest.raises(ValidationError, match="not both"):
        Hyperparameters(learning_rate=0.01, learning_rate_multiplier=2)


def test_multiplier_scales_the_default_rate():
    hp = Hyperparameters(learning_rate_multiplier=0.5)
    assert hp.effective_learning_rate == pytest.approx(0.0005)
    assert hp.to_api() == {"epochCount": 5, "batchSize": 4, "learningRateMultiplier": 0.5}


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
    settings = load_settings(env={}, config_dir=tmp_path, data_dir=tmp_path)
    assert settings.active_backend is BackendKind.LOCAL
    assert mask_secret(None) == "(none)"
