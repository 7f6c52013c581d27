"""The data directory: private modes whatever the umask, a capped log, a damaged state explained."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from tests.emulator.helpers import create, create_body, tiny_examples, wait_for
from tui.emulator.datadir import LOG_BYTES


def serve(root, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "tui", "emulator", "serve", "--port", "0", "--data-dir", str(root), *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_everything_in_the_data_dir_is_private_whatever_the_umask(emulator_factory, tmp_path):
    root = tmp_path / "emu"
    root.mkdir(mode=0o755)
    (root / "server.log").write_text("from an older version\n")
    (root / "server.log").chmod(0o644)
    old = os.umask(0o022)
    try:
        emu = emulator_factory(data_dir=root)
        client = emu.client()
        name = create(client, create_body(tiny_examples(8), epochCount=2))["metadata"]["tunedModel"]
        assert wait_for(client, name)["state"] == "ACTIVE"
        emu.stop()
    finally:
        os.umask(old)
    seen = []
    for directory, _, files in os.walk(root):
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700, directory
        for file in files:
            path = os.path.join(directory, file)
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
            seen.append(os.path.relpath(path, root))
    assert {"api-key", "server.log", "state.sqlite3"} <= set(seen)
    assert any(p.startswith("models/") for p in seen)


def test_a_damaged_state_is_named_with_what_to_do(tmp_path):
    root = tmp_path / "emu"
    root.mkdir()
    (root / "state.sqlite3").write_bytes(b"this is not a database " * 400)
    result = serve(root)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert str(root / "state.sqlite3") in result.stderr and "damaged" in result.stderr
    assert "mv " in result.stderr and "lost" in result.stderr

    # a database whose pages are damaged after its header
    root2 = tmp_path / "emu2"
    first = serve_and_create(root2, tmp_path)
    data = bytearray((root2 / "state.sqlite3").read_bytes())
    assert first
    for offset in range(4096, len(data), 512):  # scribble over every page but the header page
        data[offset : offset + 64] = b"\xa5" * 64
    (root2 / "state.sqlite3").write_bytes(bytes(data))
    result = serve(root2)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert str(root2 / "state.sqlite3") in result.stderr


def serve_and_create(root, tmp_path) -> bool:
    """Run a server on `root` long enough to store one tuned model, then stop it cleanly."""
    from tui.emulator.process import start_emulator

    emu = start_emulator(root, port=0)
    try:
        client = emu.client()
        name = create(client, create_body(tiny_examples(8), epochCount=1))["metadata"]["tunedModel"]
        return wait_for(client, name)["state"] == "ACTIVE"
    finally:
        emu.stop()
        for suffix in ("-wal", "-shm"):
            if (root / f"state.sqlite3{suffix}").exists():
                (root / f"state.sqlite3{suffix}").unlink()


def test_server_log_stays_under_its_cap(emulator_factory):
    from tests.emulator.test_security import send

    emu = emulator_factory()
    header = {"x-goog-api-key": emu.api_key, "Content-Type": "text/plain"}
    path = "/v1beta/" + "x" * 7000  # each refusal logs a line of about 7 KB
    for _ in range(int(LOG_BYTES * 1.3 / 7000)):
        status, _ = send(emu.url, "POST", path, b"{}", header)
        assert status == 400
    emu.stop()
    log = emu.data_dir / "server.log"
    older = emu.data_dir / "server.log.1"
    assert older.exists(), "the log never rotated"
    assert log.stat().st_size <= LOG_BYTES and older.stat().st_size <= LOG_BYTES + 1000
    assert "refused POST /v1beta/xxx" in older.read_text()


def test_weights_are_sized_to_what_was_trained(emulator, tmp_path):
    import numpy as np

    from tui.emulator.model import Model, Shape

    model = Model.initial(Shape(), np.random.default_rng(11), max_output_bytes=64)
    full = sum(a.nbytes for a in model.params.values())
    model.params["E"][[5, 900, 16000]] += 0.5  # what training does to the big table: a few rows
    model.params["W"] *= 1.01
    moments = {"m_E": np.zeros_like(model.params["E"])}
    moments["m_E"][900] = 0.25
    model.save(tmp_path / "w.npz", moments)
    assert (tmp_path / "w.npz").stat().st_size < full / 4
    loaded, extra = Model.load(tmp_path / "w.npz")
    assert set(loaded.params) == set(model.params)
    for name, array in model.params.items():
        assert np.array_equal(loaded.params[name], array), name
    assert np.array_equal(extra["m_E"], moments["m_E"])
    assert not list(tmp_path.glob("*.tmp"))

    client = emulator.client()
    name = create(client, create_body(tiny_examples(8), epochCount=2))["metadata"]["tunedModel"]
    assert wait_for(client, name)["state"] == "ACTIVE"
    weights = emulator.data_dir / "models" / f"{name.split('/')[-1]}.npz"
    assert weights.stat().st_size < full / 2, weights.stat().st_size
    # The tuned model loads from its sparse weights and answers (a model this small may
    # answer with its end token at once, so the text itself can be empty).
    answer = client.models.generate_content(model=name, contents=tiny_examples(8)[0]["textInput"])
    assert answer.candidates and answer.candidates[0].finish_reason is not None
    assert answer.usage_metadata is not None and answer.usage_metadata.prompt_token_count


def test_half_written_files_are_removed_on_failure_and_on_start(emulator_factory, tmp_path):
    from tests.emulator.test_security import tunedeck

    # a full disk while weights are written: the error reaches the caller, no .tmp is left
    script = (
        "import resource, signal, sys; import numpy as np; from pathlib import Path; "
        "from tui.emulator.model import Model, Shape; "
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN); resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000)); "
        "m = Model.initial(Shape(), np.random.default_rng(1), 64); m.params['E'] += 1.0\n"
        "try:\n    m.save(Path(sys.argv[1]))\nexcept OSError as exc:\n    print('refused', exc.errno)"
    )
    full = subprocess.run([sys.executable, "-c", script, str(tmp_path / "w.npz")], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert full.stdout.startswith("refused"), full.stderr
    assert not list(tmp_path.glob("w.npz*"))

    root = tmp_path / "emu"
    for leftover in ("models/m-abc.npz.tmp", "checkpoints/m-abc.npz.tmp", "server.json.tmp"):
        (root / leftover).parent.mkdir(parents=True, exist_ok=True)
        (root / leftover).write_bytes(b"x" * 1000)
    (root / "models" / "kept.npz").write_bytes(b"y")
    emu = emulator_factory(data_dir=root)
    assert not list(root.rglob("*.tmp")) and (root / "models" / "kept.npz").exists()
    status = tunedeck("emulator", "status", "--data-dir", str(root))
    assert status.returncode == 0 and " on disk" in status.stdout, status.stdout
    emu.stop()
    status = tunedeck("emulator", "status", "--data-dir", str(root))
    assert status.returncode == 1 and " on disk" in status.stdout
