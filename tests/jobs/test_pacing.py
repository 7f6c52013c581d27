"""The emulator tunedeck starts by itself paces training so a newcomer can watch a curve grow; the
pacing is a documented setting (0 for full speed) and `tunedeck emulator status` shows it."""

from __future__ import annotations

import pytest

from tui.cli import main
from tui.config import AUTO_STEP_DELAY_S, ConfigError, load_settings
from tui.emulator.process import find_running
from tui.jobs.service import ensure_emulator


def test_pacing_setting_defaults_and_overrides(tmp_path):
    assert load_settings(env={}, config_dir=tmp_path).emulator_step_delay == AUTO_STEP_DELAY_S
    assert load_settings(env={"TUNEDECK_EMULATOR_STEP_DELAY": "0"}, config_dir=tmp_path).emulator_step_delay == 0.0
    (tmp_path / "config.json").write_text('{"emulator_step_delay": 0.5}')
    assert load_settings(env={}, config_dir=tmp_path).emulator_step_delay == 0.5
    with pytest.raises(ConfigError, match="TUNEDECK_EMULATOR_STEP_DELAY"):
        load_settings(env={"TUNEDECK_EMULATOR_STEP_DELAY": "slow"}, config_dir=tmp_path)


async def test_the_auto_started_emulator_is_paced_and_status_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TUNEDECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TUNEDECK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("TUNEDECK_EMULATOR_STEP_DELAY", raising=False)
    settings = load_settings()
    emulator, started = await ensure_emulator(settings)
    try:
        assert started and emulator.configure()["stepDelay"] == AUTO_STEP_DELAY_S
        assert main(["emulator", "status"]) == 0
        out = capsys.readouterr().out
        assert f"step delay {AUTO_STEP_DELAY_S:g} s per training step" in out
        assert "TUNEDECK_EMULATOR_STEP_DELAY=0" in out
        emulator.configure(step_delay=0)
        assert main(["emulator", "status"]) == 0
        assert "full speed" in capsys.readouterr().out
    finally:
        running = find_running(settings.emulator_dir)
        if running is not None:
            running.stop()
