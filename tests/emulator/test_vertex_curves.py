"""Loss curves the way Vertex exposes them: Experiment → ExperimentRun → TensorBoard time series."""

from __future__ import annotations

import urllib.parse

from tests.emulator.vertex_helpers import (
    PARENT,
    classification_records,
    colour_records,
    create_job,
    export_all,
    jsonl,
    rest,
    run_of,
    series_names,
    upload,
    wait_job,
    wait_points,
)

TRAIN = ["/train_total_loss", "/train_fraction_of_correct_next_step_preds", "/train_num_predictions"]
EVAL = ["/eval_total_loss", "/eval_fraction_of_correct_next_step_preds", "/eval_num_predictions"]


def test_both_curves_through_the_experiment_chain(emulator):
    records = classification_records()
    train = upload(emulator, "cls/train.jsonl", jsonl(records[:40]))
    validation = upload(emulator, "cls/val.jsonl", jsonl(records[40:50]))
    status, job = create_job(emulator, train, validation, epochCount=4)
    assert status == 200, job
    job = wait_job(emulator, job["name"])
    assert job["state"] == "JOB_STATE_SUCCEEDED"
    steps = int(job["tuningDataStats"]["supervisedTuningDataStats"]["tuningStepCount"])
    assert steps == 40

    status, experiment = rest(emulator, "GET", job["experiment"])
    assert experiment["schemaTitle"] == "system.Experiment"
    assert experiment["metadata"]["backing_tensorboard_resource"].startswith(f"{PARENT}/tensorboards/")
    run = run_of(emulator, job)
    assert rest(emulator, "GET", run)[1]["name"] == run
    names = series_names(emulator, run)
    assert sorted(names) == sorted(TRAIN + EVAL)

    loss = export_all(emulator, names["/train_total_loss"])
    assert [int(p["step"]) for p in loss] == list(range(1, steps + 1))  # one point per optimizer step, from 1
    assert all(p["wallTime"].endswith("Z") for p in loss)
    accuracy = [p["scalar"]["value"] for p in export_all(emulator, names["/train_fraction_of_correct_next_step_preds"])]
    assert all(0 <= a <= 1 for a in accuracy) and accuracy[-1] > accuracy[0]
    predictions = export_all(emulator, names["/train_num_predictions"])
    assert all(p["scalar"]["value"] == int(p["scalar"]["value"]) > 0 for p in predictions)

    eval_loss = export_all(emulator, names["/eval_total_loss"])
    assert [int(p["step"]) for p in eval_loss] == [10, 20, 30, 40]  # at each epoch's end
    assert eval_loss[-1]["scalar"]["value"] < eval_loss[0]["scalar"]["value"]
    eval_predictions = {p["scalar"]["value"] for p in export_all(emulator, names["/eval_num_predictions"])}
    expected = sum(len(r["contents"][1]["parts"][0]["text"].encode()) + 1 for r in records[40:50])
    assert eval_predictions == {expected}  # every validation answer byte and its end, each time

    # a time series by itself, and the metadata it carries
    status, series = rest(emulator, "GET", names["/train_total_loss"])
    assert series["valueType"] == "SCALAR" and series["metadata"]["maxStep"] == str(steps)


def test_read_samples_and_batch_read_and_export_pages(emulator):
    train = upload(emulator, "c/train.jsonl", jsonl(colour_records(8)))
    status, job = create_job(emulator, train, epochCount=10)
    job = wait_job(emulator, job["name"])
    names = series_names(emulator, run_of(emulator, job))
    assert sorted(names) == sorted(TRAIN)  # no validation set, no eval series
    loss = names["/train_total_loss"]

    status, read = rest(emulator, "GET", f"{loss}:read?maxDataPoints=5")
    values = read["timeSeriesData"]["values"]
    assert [p["step"] for p in values] == ["1", "6", "11", "15", "20"]  # evenly spaced, first and last kept
    status, whole = rest(emulator, "GET", f"{loss}:read")
    assert len(whole["timeSeriesData"]["values"]) == 20
    status, filtered = rest(emulator, "GET", f"{loss}:read?filter={urllib.parse.quote('step > 15')}")
    assert [p["step"] for p in filtered["timeSeriesData"]["values"]] == ["16", "17", "18", "19", "20"]

    board = run_of(emulator, job).split("/experiments/")[0]
    query = urllib.parse.urlencode(
        [("timeSeries", names["/train_total_loss"]), ("timeSeries", names["/train_num_predictions"])]
    )
    status, batch = rest(emulator, "GET", f"{board}:batchRead?{query}")
    assert status == 200 and len(batch["timeSeriesData"]) == 2
    assert batch["timeSeriesData"][0]["values"] == whole["timeSeriesData"]["values"]

    paged = export_all(emulator, loss, page_size=7)
    assert [int(p["step"]) for p in paged] == list(range(1, 21))
    assert [int(p["step"]) for p in export_all(emulator, loss, page_size=3, step_filter="step >= 4 AND step < 9")] == [
        4,
        5,
        6,
        7,
        8,
    ]
    status, newest = rest(
        emulator, "POST", f"{loss}:exportTensorboardTimeSeries", {"orderBy": "step desc", "pageSize": 2}
    )
    assert [p["step"] for p in newest["timeSeriesDataPoints"]] == ["20", "19"]
    status, bad = rest(emulator, "POST", f"{loss}:exportTensorboardTimeSeries", {"filter": "value > 3"})
    assert status == 400 and bad["error"]["status"] == "INVALID_ARGUMENT"


def test_points_appear_while_the_job_runs(emulator_factory):
    emu = emulator_factory(step_delay=0.05)
    records = colour_records(8)
    train = upload(emu, "c/train.jsonl", jsonl(records))
    validation = upload(emu, "c/val.jsonl", jsonl(records[:4]))
    _status, job = create_job(emu, train, validation, epochCount=40)
    running = wait_points(emu, job["name"], 4)
    assert running["state"] == "JOB_STATE_RUNNING"
    names = series_names(emu, run_of(emu, running))
    points = export_all(emu, names["/train_total_loss"])
    assert len(points) >= 4 and [int(p["step"]) for p in points] == list(range(1, len(points) + 1))
    later = wait_points(emu, job["name"], len(points) + 3)
    assert len(export_all(emu, names["/train_total_loss"])) >= len(points) + 3
    assert int(later["tuningJobMetadata"]["completedEpochCount"]) >= 1
    assert len(export_all(emu, names["/eval_total_loss"])) >= 1  # measured at the first epoch's end
    rest(emu, "POST", f"{job['name']}:cancel")


def test_unknown_resources_are_404(emulator):
    train = upload(emulator, "c/train.jsonl", jsonl(colour_records(4)))
    job = wait_job(emulator, create_job(emulator, train, epochCount=1)[1]["name"])
    run = run_of(emulator, job)
    assert rest(emulator, "GET", f"{run}/timeSeries/1004")[0] == 404  # eval series without a validation set
    assert rest(emulator, "GET", f"{run}/timeSeries/9999:read")[0] == 404
    assert rest(emulator, "GET", run.replace("/runs/", "/runs/x"))[0] == 404
    assert rest(emulator, "GET", f"{PARENT}/metadataStores/default/contexts/tuning-experiment-1")[0] == 404
