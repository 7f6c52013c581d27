"""google-genai's TuningJob of a Vertex TuningJob JSON object, mapped as the SDK maps it.

`tunings.get` checks every field of the answer against the SDK's types before validating
it: about 1.5 ms of CPU per call, most of a poll's cost. Validating the mapped answer
directly costs a third of that; an answer the fast path refuses (a field newer than this
SDK) goes through the SDK's full check.

While a job trains, its answer changes only in its progress (`tuningJobMetadata`) and
`updateTime`. `SdkJobs` keeps each job's last TuningJob and, when nothing else changed,
validates only those two fields and copies them onto it: about a tenth of the cost.
"""

from __future__ import annotations

from typing import Any

VOLATILE = ("tuning_job_metadata", "update_time")  # what changes from one read of a training job to the next


def validate(fields: dict) -> Any:
    """google-genai's TuningJob of mapped fields: the fast path, or the SDK's own full check."""
    from google.genai import types
    from pydantic import ValidationError

    try:
        return types.TuningJob.model_validate(fields)
    except ValidationError:
        return types.TuningJob._from_response(response=fields, kwargs={})


class SdkJobs:
    """TuningJobs built from REST answers, each job's last one kept to build the next from."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[dict, Any]] = {}  # job name → (its answer without VOLATILE, its TuningJob)

    def of(self, body: dict) -> Any:
        """The TuningJob of one JSON answer."""
        from google.genai import tunings, types
        from pydantic import ValidationError

        fields = tunings._TuningJob_from_vertex(body)
        name = fields.get("name")
        if not isinstance(name, str) or not name:
            return validate(fields)
        stable = {key: value for key, value in fields.items() if key not in VOLATILE}
        last = self._last.get(name)
        if last is not None and last[0] == stable:
            try:
                changed = types.TuningJob.model_validate({key: fields[key] for key in VOLATILE if key in fields})
            except ValidationError:
                pass  # a form this SDK does not know: the full check below
            else:
                return last[1].model_copy(update={key: getattr(changed, key) for key in VOLATILE})
        tuning_job = validate(fields)
        self._last[name] = (stable, tuning_job)
        return tuning_job

    def forget(self, name: str) -> None:
        self._last.pop(name, None)
