"""Reading a Vertex job's curves from the emulator's TensorBoard: the chain, paging, only new points."""

from __future__ import annotations

import pytest

import tests.emulator.vertex_helpers as vertex
from tui.jobs.vertex.credentials import Authorizer, static_credentials
from tui.jobs.vertex.curves import CurveReader
from tui.jobs.vertex.rest import Rest


@pytest.fixture
async def reader(emulator):
    rest = Rest(Authorizer(static_credentials(emulator.api_key)), emulator.url, where="Vertex AI", unreachable_hint="")
    yield CurveReader(rest, page_size=5)
    await rest.close()


def finished_job(emulator, validation: bool = True) -> dict:
    records = vertex.classification_records()
    train = vertex.upload(emulator, "c/train.jsonl", vertex.jsonl(records[:48]))
    held = vertex.upload(emulator, "c/val.jsonl", vertex.jsonl(records[48:60])) if validation else None
    status, job = vertex.create_job(emulator, train, held, epochCount=2)
    assert status == 200, job
    return vertex.wait_job(emulator, job["name"])


async def test_the_chain_resolves_and_every_point_comes_once_across_pages(emulator, reader):
    job = finished_job(emulator)
    curves = await reader.read(job["name"], job["experiment"], {}, expect_eval=True)
    assert set(curves) == {"train_loss", "eval_loss", "train_accuracy", "eval_accuracy"}
    steps = int(job["tuningDataStats"]["supervisedTuningDataStats"]["tuningStepCount"])
    assert [p[0] for p in curves["train_loss"]] == list(range(1, steps + 1))  # 24 points over pages of 5
    expected = vertex.export_all(emulator, reader.chains[job["name"]].series["train_loss"])
    assert [p[1] for p in curves["train_loss"]] == [e["scalar"]["value"] for e in expected]
    chain = reader.chains[job["name"]]
    assert chain.run == vertex.run_of(emulator, job)

    later = await reader.read(job["name"], job["experiment"], {"train_loss": 20, "eval_loss": steps}, expect_eval=True)
    assert [p[0] for p in later["train_loss"]] == list(range(21, steps + 1))
    assert "eval_loss" not in later  # nothing after the last known step
    assert [p[0] for p in later["train_accuracy"]] == [p[0] for p in curves["train_accuracy"]]


async def test_no_validation_set_means_no_eval_curves(emulator, reader):
    job = finished_job(emulator, validation=False)
    curves = await reader.read(job["name"], job["experiment"], {}, expect_eval=False)
    assert set(curves) == {"train_loss", "train_accuracy"}


async def test_an_unknown_experiment_is_not_found(emulator, reader):
    from tui.jobs.errors import BackendError, ErrorKind

    missing = f"{vertex.PARENT}/metadataStores/default/contexts/tuning-experiment-999"
    with pytest.raises(BackendError) as caught:
        await reader.read("projects/p/locations/l/tuningJobs/999", missing, {})
    assert caught.value.kind is ErrorKind.NOT_FOUND
