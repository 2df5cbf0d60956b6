"""Every published event schema may only grow (libs/contracts/tests/snapshots/<type>.json).

`make snapshots` rewrites the snapshots after a reviewed change; an incompatible change fails
here even then, because the check runs against the committed file first.
"""

import json
import os
from pathlib import Path
from typing import Any

import pytest

from junheng_contracts import assistance, enrollment, evaluation, staffing
from junheng_contracts.compat import assert_additive, incompatibilities

SNAPSHOTS = Path(__file__).parent / "snapshots"
EVENTS = [e for module in (enrollment, staffing, assistance, evaluation) for e in module.EVENTS]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.event_type)
def test_event_schema_is_an_additive_change_of_its_snapshot(event: Any) -> None:
    path = SNAPSHOTS / f"{event.event_type}.json"
    new = event.model_json_schema()
    if path.exists():
        assert_additive(old=json.loads(path.read_text()), new=new)
    elif not os.environ.get("JUNHENG_UPDATE_SNAPSHOTS"):
        pytest.fail(f"no snapshot for {event.event_type}: run `make snapshots` and commit it")
    if os.environ.get("JUNHENG_UPDATE_SNAPSHOTS"):
        path.write_text(json.dumps(new, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


def test_every_event_type_is_its_nats_subject_under_its_producer() -> None:
    assert [e.event_type for e in EVENTS] == [
        "enrollment.school.registered",
        "enrollment.school.updated",
        "enrollment.assignment.published",
        "enrollment.school_seats.changed",
        "enrollment.application.submitted",
        "enrollment.admission.confirmed",
        "enrollment.zone_map.published",
        "staffing.school_teacher_stats.changed",
        "staffing.teacher.registered",
        "staffing.teacher.moved",
        "staffing.quota.approved",
        "staffing.rotation_plan.approved",
        "assistance.award.approved",
        "assistance.disbursement.recorded",
        "assistance.coverage.computed",
        "evaluation.assessment.completed",
        "evaluation.verdict.changed",
        "evaluation.class_sizes.changed",
    ]
    for event in EVENTS:
        producer = event.event_type.split(".")[0]
        assert event.model_fields["source"].default == f"junheng/{producer}"


OLD = {
    "type": "object",
    "required": ["a"],
    "properties": {
        "a": {"type": "string"},
        "b": {"type": "integer"},
        "data": {"$ref": "#/$defs/D"},
    },
    "$defs": {"D": {"type": "object", "required": [], "properties": {"x": {"type": "number"}}}},
}


class TestAdditiveRule:
    def test_adding_an_optional_property_is_compatible(self) -> None:
        new = json.loads(json.dumps(OLD))
        new["properties"]["c"] = {"type": "string"}
        assert incompatibilities(OLD, new) == []

    def test_removing_retyping_or_requiring_is_reported(self) -> None:
        new = json.loads(json.dumps(OLD))
        del new["properties"]["b"]
        new["properties"]["a"] = {"type": "integer"}
        new["required"] = ["a", "c"]
        new["properties"]["c"] = {"type": "string"}
        new["$defs"]["D"]["properties"]["x"] = {"type": "string"}
        assert incompatibilities(OLD, new) == [
            "a: type changed ('type', \"'string'\") → ('type', \"'integer'\")",
            "b: removed",
            "data.x: type changed ('type', \"'number'\") → ('type', \"'string'\")",
            "c: newly required",
        ]
