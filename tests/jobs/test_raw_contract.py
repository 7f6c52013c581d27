"""Why tui/jobs/raw.py exists, checked against the real SDK and the emulator.

Each test pins one loss in google-genai's typed tuning calls. If a future SDK stops
dropping the data, the test fails: that is the moment to move the call off the raw path.
"""

from __future__ import annotations

import json
import warnings

import pytest
from google.genai import errors as genai_errors
from google.genai import types

from tests.emulator.helpers import create, create_body, tiny_examples, wait_for
from tui.models import DEFAULT_BASE_MODEL


def test_typed_tune_still_drops_the_examples(emulator):
    client = emulator.client()
    dataset = types.TuningDataset(
        examples=[types.TuningExample(text_input=e["textInput"], output=e["output"]) for e in tiny_examples(20)]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK warns that tuning is experimental
        with pytest.raises(genai_errors.ClientError) as refused:
            client.tunings.tune(
                base_model=DEFAULT_BASE_MODEL,
                training_dataset=dataset,
                config=types.CreateTuningJobConfig(epoch_count=1),
            )
    # The server never received tuningTask.trainingData, so raw.create_tuned_model is still needed.
    assert refused.value.code == 400
    assert "trainingData" in refused.value.message


def test_typed_get_list_and_cancel_still_lose_what_we_need(emulator):
    client = emulator.client()
    operation = create(client, create_body(tiny_examples(20), epochCount=1))
    name = operation["metadata"]["tunedModel"]
    wait_for(client, name)

    typed = client.tunings.get(name=name)
    dumped = json.dumps(typed.model_dump(mode="json", exclude_none=True))
    assert "meanLoss" not in dumped and "mean_loss" not in dumped and "snapshots" not in dumped

    listed = list(client.models.list(config={"query_base": False}))
    assert [m.name for m in listed] == [name]
    assert "state" not in type(listed[0]).model_fields

    with pytest.raises(genai_errors.ClientError) as cancel:
        client.tunings.cancel(name=name)  # posts to tunedModels/{id}:cancel, which does not exist
    assert cancel.value.code == 404
