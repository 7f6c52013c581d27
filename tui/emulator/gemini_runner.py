"""Training Gemini API tuned models in the pool: the worker plan, progress, and how a run ends.

Keys are tuned model ids. Weights go to `<data dir>/models/<id>.npz`; the resume
checkpoint to `checkpoints/<id>.npz`, and a job tuning a tuned model starts from a copy of
its weights (`checkpoints/<id>.source.npz`). Curve points become TuningSnapshots.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from tui.emulator.store import Store
from tui.emulator.wire import RPC_CODES, float32, stamp
from tui.models import effective_learning_rate


class GeminiRunner:
    """The pool's view of Gemini API tuned models (see `pool.JobRunner`)."""

    def __init__(self, store: Store, root: Path) -> None:
        self.store = store
        self.root = root
        (root / "models").mkdir(parents=True, exist_ok=True)
        (root / "checkpoints").mkdir(parents=True, exist_ok=True)

    def weights_path(self, model_id: str) -> Path:
        return self.root / "models" / f"{model_id}.npz"

    def checkpoint_path(self, model_id: str) -> Path:
        return self.root / "checkpoints" / f"{model_id}.npz"

    def source_path(self, model_id: str) -> Path:
        """A copy of the source tuned model's weights, for a job tuning a tuned model."""
        return self.root / "checkpoints" / f"{model_id}.source.npz"

    def plan_path(self, model_id: str) -> Path:
        return self.root / "checkpoints" / f"{model_id}.plan.json"

    def _drop_files(self, model_id: str, weights: bool) -> None:
        if weights:
            self.weights_path(model_id).unlink(missing_ok=True)
        for path in (self.checkpoint_path(model_id), self.source_path(model_id), self.plan_path(model_id)):
            path.unlink(missing_ok=True)

    def discard(self, model_id: str) -> None:
        self._drop_files(model_id, weights=True)

    def plan(self, model_id: str) -> dict[str, Any] | None:
        record = self.store.get_model(model_id)
        if record is None or record["state"] != "CREATING":
            return None
        hp = record["hyperparameters"]
        source = self.source_path(model_id)
        if record.get("source_model") and not source.exists() and not self.checkpoint_path(model_id).exists():
            self.on_crash(model_id, f"the weights of the source model {record['source_model']} are missing; tune again")
            return None
        return {
            "db": str(self.store.path),
            "model": model_id,
            "output": str(self.weights_path(model_id)),
            "checkpoint": str(self.checkpoint_path(model_id)),
            "epochs": hp["epochCount"],
            "batch_size": hp["batchSize"],
            "learning_rate": effective_learning_rate(hp.get("learningRate"), hp.get("learningRateMultiplier")),
            "seed": zlib.crc32(model_id.encode()),
            "start_from": str(source) if record.get("source_model") else None,
        }

    def on_event(self, model_id: str, event: dict[str, Any]) -> None:
        if not self.store.exists(model_id):
            return
        kind = event["event"]
        if kind == "points":
            snapshots = [
                {"step": p["step"], "epoch": p["epoch"], "meanLoss": float32(p["loss"]), "computeTime": p["time"]}
                for p in event["items"]
            ]
            if snapshots:
                self.store.add_snapshots(model_id, snapshots, snapshots[-1]["step"], stamp())
        elif kind == "started":
            self.store.truncate_snapshots(model_id, 0, stamp())
            record = self.store.get_model(model_id)
            self.store.update_model(model_id, start_time=(record or {}).get("start_time") or stamp())
        elif kind == "resumed":  # steps after the checkpoint are trained again
            self.store.truncate_snapshots(model_id, int(event["step"]), stamp())

    def on_end(
        self, model_id: str, final: dict[str, Any], code: int, stderr: str, requested: str | None, stopping: bool
    ) -> None:
        if requested == "delete" or not self.store.exists(model_id):
            self._drop_files(model_id, weights=True)
            return
        kind = final.get("event")
        current = self.store.get_model(model_id)
        if current is None or current["state"] != "CREATING":  # ended by the server meanwhile
            self._drop_files(model_id, weights=current is None or current["state"] == "FAILED")
            return
        if kind in ("done", "cancelled", "failed"):
            self.source_path(model_id).unlink(missing_ok=True)
            self.plan_path(model_id).unlink(missing_ok=True)
        if kind == "done":
            moment = stamp()
            self.store.update_model(model_id, state="ACTIVE", complete_time=moment, update_time=moment)
        elif kind == "cancelled":
            self._cancelled(model_id, int(final["step"]))
        elif kind == "stopped" or (stopping and kind is None):
            return  # stays CREATING; the next server resumes it from the checkpoint
        elif kind == "failed":
            self.on_crash(model_id, final["message"])
        else:
            last = stderr.splitlines()[-1] if stderr else "no output"
            self.on_crash(model_id, f"the trainer process ended unexpectedly (exit code {code}): {last}")

    def _cancelled(self, model_id: str, step: int) -> None:
        record = self.store.get_model(model_id) or {"total_steps": "?"}
        moment = stamp()
        message = f"Operation cancelled by the caller after {step} of {record['total_steps']} steps."
        error = {"code": RPC_CODES["CANCELLED"], "message": message}
        # With steps done, the weights of the last completed step are kept and served; quality is unpredictable.
        state = "ACTIVE" if step > 0 and self.weights_path(model_id).exists() else "FAILED"
        self.store.update_model(
            model_id, state=state, error=error, cancelled=1, complete_time=moment, update_time=moment
        )

    def on_crash(self, model_id: str, message: str) -> None:
        if self.store.exists(model_id):
            moment = stamp()
            error = {"code": RPC_CODES["INTERNAL"], "message": message}
            self.store.update_model(model_id, state="FAILED", error=error, complete_time=moment, update_time=moment)
        self._drop_files(model_id, weights=False)
