"""The Vertex backend's "show the call": the tuningJobs create request, nothing sent."""

from __future__ import annotations

from tui.jobs.backend import TuningBackend
from tui.jobs.vertex.backend import VertexBackend
from tui.jobs.vertex.place import VertexPlace
from tui.models import Example, Hyperparameters, JobSpec, ValidationChoice


def test_the_preview_is_the_create_body_with_the_objects_the_launch_names():
    place = VertexPlace(project="proj-1", location="us-central1", bucket="tuning-data")
    backend: TuningBackend = VertexBackend(place, credentials=None)
    spec = JobSpec(
        display_name="tickets",
        base_model="gemini-2.5-flash",
        hyperparameters=Hyperparameters(epoch_count=3, learning_rate_multiplier=1.0, adapter_size=4),
        validation=ValidationChoice(split=0.1),
    )
    call = backend.preview_create(spec, [Example(text_input="a", output="b")])
    assert (call.method, call.path) == ("POST", "/v1beta1/projects/proj-1/locations/us-central1/tuningJobs")
    tuning = call.body["supervisedTuningSpec"]
    assert tuning["trainingDatasetUri"].startswith("gs://tuning-data/tunedeck/datasets/")
    assert tuning["validationDatasetUri"].startswith("gs://tuning-data/tunedeck/datasets/")
    assert tuning["hyperParameters"]["epochCount"] == 3
    assert call.body["baseModel"] == "gemini-2.5-flash" and call.body["tunedModelDisplayName"] == "tickets"
