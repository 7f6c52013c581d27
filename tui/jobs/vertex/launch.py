"""The steps of a Vertex launch before `tune`: convert the dataset, then upload it.

`prepare_files` (blocking; run it in a thread) writes the training examples, and the
validation ones when the spec asks for a file or a split, as `contents` JSONL named by
their SHA-256; `Launch.upload` puts them in the bucket under content-addressed names
(nothing is sent when the same bytes are there already) and reports the bytes sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tui.datasets.contents import MAX_FILE_BYTES, Conversion, write_contents
from tui.datasets.split import MAX_VALIDATION_EXAMPLES, ValidationSplit
from tui.jobs.backend import LaunchData
from tui.jobs.errors import BackendError, ErrorKind
from tui.jobs.vertex import wire
from tui.jobs.vertex.storage import CloudStorage, object_name
from tui.models import Job, JobSpec

UPLOAD_DIR = "vertex-upload"


@dataclass
class Launch:
    """The converted files of one launch."""

    conversion: Conversion
    system_instruction: str | None = None  # the preamble moved to `systemInstruction`, when asked

    @property
    def files(self) -> list:
        return [f for f in (self.conversion.training, self.conversion.validation) if f is not None]

    async def upload(self, storage: CloudStorage, bucket: str,
                     progress: Callable[[int, int], None] | None = None) -> tuple[str, str | None]:
        """gs:// URIs of the training and validation objects, uploaded unless already there."""
        total = sum(f.size_bytes for f in self.files)
        uris: list[str] = []
        sent = 0
        for file in self.files:
            def report(done: int, _size: int, before: int = sent) -> None:
                if progress is not None:
                    progress(before + done, total)

            stored = await storage.upload(file.path, bucket, object_name(file.sha256), md5_hex=file.md5,
                                          progress=report)
            uris.append(stored.uri)
            sent += file.size_bytes
        return uris[0], uris[1] if len(uris) > 1 else None

    def job_fields(self, job: Job, spec: JobSpec, uris: tuple[str, str | None]) -> dict:
        """What the launch knows that the created job does not report yet."""
        training, validation = self.conversion.training, self.conversion.validation
        fields: dict = {"dataset_uri": uris[0], "validation_examples": validation.examples if validation else None,
                        "dataset_examples": training.examples, "system_instruction": self.system_instruction}
        if job.data_stats is None:
            fields["data_stats"] = wire.estimated_data_stats(training.examples, training.estimated_tokens,
                                                             spec.hyperparameters.epoch_count)
        if job.hyperparameters == type(job.hyperparameters)():
            fields["hyperparameters"] = spec.hyperparameters
        return fields

    def remove_files(self) -> None:
        for file in self.files:
            file.path.unlink(missing_ok=True)


def prepare_files(spec: JobSpec, dataset: LaunchData, work_dir: Path) -> Launch:
    """Convert the launch's dataset (and validation data) to `contents` JSONL under `work_dir`. Blocking."""
    from tui.datasets import lint, open_dataset

    meta = dataset.dataset
    reader = open_dataset(dataset.path, meta.format, meta.input_column, meta.output_column)
    profile = lint(reader).profile
    # Only a preamble on a line of its own moves (`move_preamble`); an inline one stays in the prompts.
    moves = spec.system_instruction_from_preamble and not profile.preamble_inline
    preamble = profile.preamble if moves else None
    choice = spec.validation
    split = ValidationSplit(choice.split, choice.seed) if choice is not None and choice.split is not None else None
    validation = open_dataset(choice.path) if choice is not None and choice.path is not None else None
    conversion = write_contents(reader, work_dir / UPLOAD_DIR, preamble=preamble, split=split, validation=validation)
    launch = Launch(conversion, preamble or None)
    if conversion.training.examples == 0:
        launch.remove_files()
        raise BackendError(ErrorKind.INVALID, f"{dataset.path} has no valid example to tune on",
                           f"run `tunedeck validate {dataset.path}` to see why")
    for file in launch.files:
        if file.size_bytes > MAX_FILE_BYTES:
            launch.remove_files()
            raise BackendError(ErrorKind.INVALID, f"{file.path.name} is {file.size_bytes / 1e9:.2f} GB as Vertex "
                               "JSONL; Vertex takes at most 1 GB per file", "use fewer or shorter examples")
    if conversion.validation is not None and conversion.validation.examples > MAX_VALIDATION_EXAMPLES:
        launch.remove_files()
        raise BackendError(ErrorKind.INVALID, f"{conversion.validation.examples:,} validation examples; Vertex takes "
                           f"at most {MAX_VALIDATION_EXAMPLES:,}", "use a smaller validation file or split")
    return launch
