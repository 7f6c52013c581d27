"""Training Vertex tuning jobs in the pool: the worker plan, the state machine, and the tuned model.

Keys are `vertex/<job id>`. A job's files live in `<data dir>/vertex/<job id>/`: the
datasets as created (`train.jsonl`, `validation.jsonl`, hard links to the objects' bytes),
the parsed examples (`dataset.json`), the resume checkpoint (`resume.npz`), the starting
weights of a continued tuning (`source.npz`) and one `checkpoint-<id>.npz` per checkpoint.

States: JOB_STATE_PENDING (queued) → JOB_STATE_RUNNING with tuningJobState
TUNING_JOB_STATE_PROCESSING_DATASET → _TUNING → _POST_PROCESSING → JOB_STATE_SUCCEEDED;
JOB_STATE_FAILED with an error; JOB_STATE_CANCELLING → JOB_STATE_CANCELLED.
"""

from __future__ import annotations

import shutil
import zlib
from pathlib import Path
from typing import Any

from tui.emulator.vertex.common import Vertex, new_id
from tui.emulator.wire import RPC_CODES, stamp
from tui.models import effective_learning_rate, total_steps

PREFIX = "vertex/"
EVAL_INTERVAL = 100  # steps between validation passes inside a long epoch (each epoch end has one too)
ACTIVE_STATES = ("JOB_STATE_PENDING", "JOB_STATE_RUNNING")


def key_of(job_id: str) -> str:
    return PREFIX + job_id


def checkpoint_path(job_dir: Path, checkpoint_id: str) -> Path:
    return job_dir / f"checkpoint-{checkpoint_id}.npz"


class VertexRunner:
    """The pool's view of Vertex tuning jobs (see `pool.JobRunner`)."""

    def __init__(self, vertex: Vertex) -> None:
        self.vertex = vertex

    def _id(self, key: str) -> str:
        return key.removeprefix(PREFIX)

    def plan_path(self, key: str) -> Path:
        return self.vertex.job_dir(self._id(key)) / "plan.json"

    def plan(self, key: str) -> dict[str, Any] | None:
        job_id = self._id(key)
        record = self.vertex.db.job(job_id)
        if record is None:
            return None
        if record["state"] == "JOB_STATE_CANCELLING":
            self.cancelled(job_id)
            return None
        if record["state"] not in ACTIVE_STATES:
            return None
        directory = self.vertex.job_dir(job_id)
        marks = record["checkpoint_epochs"]
        validation = directory / "validation.jsonl"
        request = record["request"]
        spec = request["supervisedTuningSpec"]
        return {
            "dataset": {
                "train": [str(directory / "train.jsonl"), spec["trainingDatasetUri"]],
                "validation": [str(validation), spec["validationDatasetUri"]] if record["has_validation"] else None,
                "parsed": str(directory / "dataset.json"),
            },
            "output": str(checkpoint_path(directory, str(len(marks)))),
            "checkpoint": str(directory / "resume.npz"),
            "epochs": record["epochs"],
            "learning_rate": record["learning_rate"],
            "seed": zlib.crc32(job_id.encode()),
            "hidden": record["hidden"],
            "start_from": record["source_weights"],
            "epoch_weights": {str(e): str(checkpoint_path(directory, str(i))) for i, e in enumerate(marks, 1)},
            "eval_interval": EVAL_INTERVAL if record["has_validation"] else 0,
        }

    def on_event(self, key: str, event: dict[str, Any]) -> None:
        job_id = self._id(key)
        db = self.vertex.db
        record = db.job(job_id)
        if record is None or record["state"] not in (*ACTIVE_STATES, "JOB_STATE_CANCELLING"):
            return
        kind = event["event"]
        moment = stamp()
        if kind == "points":
            if event["items"]:
                db.add_points(job_id, event["items"], moment)
        elif kind in ("started", "resumed"):
            db.truncate_points(job_id, int(event.get("step", 0)), moment)
            if record["state"] == "JOB_STATE_PENDING" or kind == "started":
                db.update_job(
                    job_id,
                    state="JOB_STATE_RUNNING",
                    start_time=record["start_time"] or moment,
                    update_time=moment,
                    tuning_state="TUNING_JOB_STATE_TUNING"
                    if record["stats"]
                    else "TUNING_JOB_STATE_PROCESSING_DATASET",
                )
        elif kind == "dataset":
            db.update_job(
                job_id,
                stats=event["stats"],
                batch_size=event["batchSize"],
                total_steps=event["totalSteps"],
                example_count=int(event["stats"]["tuningDatasetExampleCount"]),
                tuning_state="TUNING_JOB_STATE_TUNING",
                update_time=moment,
            )
        elif kind == "post_processing":
            db.update_job(job_id, tuning_state="TUNING_JOB_STATE_POST_PROCESSING", update_time=moment)

    def on_end(
        self, key: str, final: dict[str, Any], code: int, stderr: str, requested: str | None, stopping: bool
    ) -> None:
        job_id = self._id(key)
        record = self.vertex.db.job(job_id)
        if record is None:
            return
        kind = final.get("event")
        if record["state"] not in (*ACTIVE_STATES, "JOB_STATE_CANCELLING"):
            return
        if kind == "done":
            self.succeeded(record)
        elif kind == "cancelled" or requested == "cancel":
            self.cancelled(job_id)
        elif kind == "stopped" or (stopping and kind is None):
            return  # stays RUNNING; the next server resumes it from the checkpoint
        elif kind == "failed":
            self.failed(job_id, final["message"], int(final.get("code") or RPC_CODES["INTERNAL"]))
        else:
            last = stderr.splitlines()[-1] if stderr else "no output"
            self.failed(job_id, f"the trainer process ended unexpectedly (exit code {code}): {last}")

    def on_crash(self, key: str, message: str) -> None:
        self.failed(self._id(key), message)

    def discard(self, key: str) -> None:
        shutil.rmtree(self.vertex.job_dir(self._id(key)), ignore_errors=True)

    # -- endings ----------------------------------------------------------------------------
    def _clean(self, job_id: str, keep_checkpoints: bool) -> None:
        directory = self.vertex.job_dir(job_id)
        for name in ("resume.npz", "source.npz", "plan.json", "dataset.json", "dataset.json.tmp"):
            (directory / name).unlink(missing_ok=True)
        if not keep_checkpoints:
            for path in directory.glob("checkpoint-*.npz"):
                path.unlink(missing_ok=True)

    def failed(self, job_id: str, message: str, code: int = RPC_CODES["INTERNAL"]) -> None:
        moment = stamp()
        self.vertex.db.update_job(
            job_id,
            state="JOB_STATE_FAILED",
            tuning_state=None,
            end_time=moment,
            update_time=moment,
            error={"code": code, "message": message},
        )
        self._clean(job_id, keep_checkpoints=False)

    def cancelled(self, job_id: str) -> None:
        moment = stamp()
        self.vertex.db.update_job(
            job_id,
            state="JOB_STATE_CANCELLED",
            tuning_state=None,
            end_time=moment,
            update_time=moment,
            error={"code": RPC_CODES["CANCELLED"], "message": "CANCELLED"},
        )
        self._clean(job_id, keep_checkpoints=False)

    def succeeded(self, record: dict[str, Any]) -> None:
        """Register the tuned model, one endpoint per checkpoint (the last is the model's), and end the job."""
        job_id, project, location = record["id"], record["project"], record["location"]
        parent = f"projects/{project}/locations/{location}"
        model_id = new_id()
        checkpoints, endpoints = [], []
        marks = record["checkpoint_epochs"]
        for index, epoch in enumerate(marks, 1):
            endpoint_id = new_id()
            step = total_steps(record["example_count"], epoch, record["batch_size"])
            checkpoints.append(
                {
                    "checkpointId": str(index),
                    "epoch": str(epoch),
                    "step": str(step),
                    "endpoint": f"{parent}/endpoints/{endpoint_id}",
                }
            )
            endpoints.append((endpoint_id, str(index)))
        moment = stamp()
        request = record["request"]
        tuned = {
            "model": f"{parent}/models/{model_id}@1",
            "endpoint": checkpoints[-1]["endpoint"],
            "checkpoints": checkpoints,
        }
        ended = {
            "state": "JOB_STATE_SUCCEEDED",
            "tuning_state": None,
            "end_time": moment,
            "update_time": moment,
            "tuned_model": tuned,
        }
        self.vertex.db.insert_model(
            {
                "id": model_id,
                "project": project,
                "location": location,
                "job_id": job_id,
                "display_name": request.get("tunedModelDisplayName") or f"tuned-{job_id}",
                "description": request.get("description", ""),
                "base_model": request.get("baseModel", ""),
                "hidden": record["hidden"],
                "checkpoints": checkpoints,
                "default_checkpoint": str(len(marks)),
                "labels": request.get("labels") or {},
                "create_time": moment,
                "update_time": moment,
            },
            endpoints,
            moment,
            ended,
        )
        self._clean(job_id, keep_checkpoints=True)

    def resume_interrupted(self, submit: Any) -> None:
        """Queue the jobs a previous server left pending or running; end those it was cancelling."""
        db = self.vertex.db
        for job_id in db.ids_in_states(["JOB_STATE_CANCELLING"]):
            self.cancelled(job_id)
        for job_id in db.ids_in_states(ACTIVE_STATES):
            submit(key_of(job_id))


def learning_rate(multiplier: float) -> float:
    """The rate a Vertex job trains with: multiplier x the default rate."""
    return effective_learning_rate(None, multiplier)
