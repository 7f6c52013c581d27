"""Billable tokens and cost: the arithmetic, the price setting (config key, environment), the
upload reports told apart (sent or already there), and `tune` printing the estimate and
carrying it under --json, against the emulator's Vertex routes."""

from __future__ import annotations

import json

import pytest

from tests.cli_env import use_emulator
from tests.jobs.test_cli import run
from tui.config import ConfigError, load_settings
from tui.jobs.estimate import Estimate, amount, cost_text, estimate, estimate_json, estimate_text, money
from tui.jobs.upload import UploadState
from tui.models import DatasetStats, DataStats
from tui.samples import sample_paths

NUMBERS = str(next(p for p in sample_paths() if p.name == "number-increment.jsonl"))


def test_estimate_is_tokens_times_epochs_with_the_cost_at_the_price():
    figures = Estimate(examples=1200, tokens=240_000, epochs=5)
    assert figures.billable_tokens == 1_200_000
    assert estimate_text(figures, 3.0) == (
        "≈ 1.2 M billable tokens (estimated: 240 k tokens × 5 epochs) · ≈ $3.60 at $3.00 / M"
    )
    assert estimate_text(figures, None) == "≈ 1.2 M billable tokens (estimated: 240 k tokens × 5 epochs)"
    chooses = Estimate(examples=1200, tokens=240_000, epochs=None)
    assert chooses.billable_tokens is None
    assert estimate_text(chooses, 3.0) == (
        "≈ 240 k billable tokens per epoch (estimated); the backend chooses the epochs · ≈ $0.72 at $3.00 / M per epoch"
    )
    assert [amount(n) for n in (950, 1500, 52_000, 2_500_000)] == ["950", "1.5 k", "52 k", "2.5 M"]
    assert money(0.001) == "< $0.01" and money(1234.5) == "$1,234.50"
    assert cost_text(52_000, 3.0, exact=True) == "$0.16 at $3.00 / M"
    assert cost_text(100, 3.0, exact=False) == "< $0.01 at $3.00 / M"  # no "≈ <"


def test_a_validation_share_is_left_out_of_the_training_tokens():
    stats = DatasetStats(examples=200, estimated_tokens=10_000)
    assert estimate(stats, 3) == Estimate(200, 10_000, 3)
    held_out = estimate(stats, 3, 0.1)
    assert held_out.examples == 180 and held_out.tokens == 9_000 and held_out.billable_tokens == 27_000


def test_json_carries_the_count_and_the_cost():
    assert estimate_json(None, 3.0) is None
    assert estimate_json(DataStats(examples=10), 3.0) is None
    exact = estimate_json(DataStats(examples=10, billable_tokens=52_000, exact=True), 3.0)
    assert exact == {"billable_tokens": 52_000, "exact": True, "price_per_million_tokens": 3.0, "cost": 0.156}
    assert estimate_json(DataStats(billable_tokens=52_000, exact=False), None)["cost"] is None


def test_upload_reports_tell_a_sent_upload_from_one_already_there():
    sent = UploadState()
    for done in (0, 262_144, 524_288, 600_000):
        sent.record(done, 600_000)
    assert sent.finished and sent.sending and sent.words().startswith("Uploaded 600 kB")

    there = UploadState()
    there.record(600_000, 600_000)
    assert there.finished and not there.sending
    assert there.words() == "Already uploaded: the bucket holds these 600 kB; nothing was sent."

    validation_only = UploadState()  # the training file was there, the validation file is new
    for done in (500_000, 500_000, 600_000):
        validation_only.record(done, 600_000)
    assert validation_only.sending and validation_only.send_from == 500_000
    assert validation_only.words().startswith("Uploaded 100 kB")

    midway = UploadState()
    midway.record(0, 3_000_000)
    midway.record(1_500_000, 3_000_000)
    assert midway.words().startswith("Uploading 1.5 MB / 3.0 MB")


def test_the_price_comes_from_the_config_file_and_the_environment_wins(tmp_path):
    (tmp_path / "config.json").write_text('{"training_price_per_million_tokens": 3.0}')
    assert load_settings(env={}, data_dir=tmp_path, config_dir=tmp_path).training_price == 3.0
    env = {"TUNEDECK_TRAINING_PRICE": "2.5"}
    assert load_settings(env=env, data_dir=tmp_path, config_dir=tmp_path).training_price == 2.5
    assert load_settings(env={}, data_dir=tmp_path, config_dir=tmp_path / "none").training_price is None


@pytest.mark.parametrize(("env", "text", "named"), [
    ({}, '{"training_price_per_million_tokens": -1}', "training_price_per_million_tokens"),
    ({}, '{"training_price_per_million_tokens": "three"}', "training_price_per_million_tokens"),
    ({"TUNEDECK_TRAINING_PRICE": "nan"}, "{}", "TUNEDECK_TRAINING_PRICE"),
    ({"TUNEDECK_TRAINING_PRICE": "3 USD"}, "{}", "TUNEDECK_TRAINING_PRICE"),
])
def test_a_bad_price_is_named(tmp_path, env, text, named):
    (tmp_path / "config.json").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(env=env, data_dir=tmp_path, config_dir=tmp_path)
    assert named in str(caught.value)


@pytest.fixture
def vertex_env(emulator, tmp_path, monkeypatch):
    return use_emulator(emulator, tmp_path, monkeypatch)


def test_tune_prints_the_estimate_with_the_cost_and_json_carries_it(vertex_env, capsys, monkeypatch):
    monkeypatch.setenv("TUNEDECK_TRAINING_PRICE", "250")
    code, out, err = run(capsys, "tune", NUMBERS, "--epochs", "3", "--display-name", "priced")
    assert code == 0, err
    line = next(line for line in out.splitlines() if "billable tokens" in line)
    assert "80 examples · ≈ " in line and "(estimated: " in line and "× 3 epochs)" in line
    assert "at $250.00 / M" in line and "exact count replaces the estimate" in line

    code, out, err = run(capsys, "tune", NUMBERS, "--epochs", "2", "--display-name", "priced-json", "--json")
    assert code == 0, err
    job = json.loads(out)
    billing = job["billing"]
    assert billing["exact"] is False and billing["price_per_million_tokens"] == 250.0
    assert billing["billable_tokens"] == job["data_stats"]["billable_tokens"] > 0
    assert billing["cost"] == round(billing["billable_tokens"] * 250 / 1e6, 4)


def test_tune_says_when_the_dataset_was_already_uploaded(vertex_env, capsys):
    code, _, err = run(capsys, "tune", NUMBERS, "--epochs", "1", "--display-name", "first")
    assert code == 0 and "uploaded" in err and "already" not in err
    code, out, err = run(capsys, "tune", NUMBERS, "--epochs", "1", "--display-name", "second")
    assert code == 0, err
    assert "already uploaded" in err and "nothing sent" in err
    assert "$" not in out  # no price set: no cost
