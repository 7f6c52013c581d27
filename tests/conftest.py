"""Shared fixtures: a real local emulator on a loopback port for tests that need a server.

`emulator` is a fresh server (port 0, its own tmp data dir), stopped after the test.
`emulator_factory(**flags)` starts more, with serve flags given as keywords:
`emulator_factory(step_delay=0.05, deny_scopes=True, fault_rate=0.5, fault_codes="429")`,
and `data_dir=` to reuse a directory (e.g. to restart a server on the same state).
Servers use their data dir's own random key unless `api_key=` fixes one.
Both yield `tui.emulator.process.RunningEmulator` (`.url`, `.api_key`, `.client()`,
`.configure(...)`, `.stop()`).
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def emulator_factory(tmp_path_factory):
    from tui.emulator.process import start_emulator

    started = []

    def factory(data_dir: Path | None = None, api_key: str | None = None, **flags):
        args: list[str] = []
        for name, value in flags.items():
            flag = "--" + name.replace("_", "-")
            if value is True:
                args.append(flag)
            elif value is False or value is None:
                continue
            elif isinstance(value, (list, tuple)):
                args += [flag, ",".join(str(v) for v in value)]
            else:
                args += [flag, str(value)]
        directory = data_dir or tmp_path_factory.mktemp("emulator")
        emu = start_emulator(directory, port=0, api_key=api_key, extra_args=args)
        started.append(emu)
        return emu

    yield factory
    for emu in started:
        emu.stop()


@pytest.fixture
def emulator(emulator_factory):
    return emulator_factory()
