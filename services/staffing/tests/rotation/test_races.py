"""Races in the rotation workflow between two replicas on one database, SQLite and PostgreSQL
(issue 17): twenty identical requests at once, spread over two apps with their own engines."""

from typing import Any

import pytest

from junheng_kit.testing.plugin import Replicas, assert_race_settled
from staffing.rotation.models import RotationConfirmation, RotationExecution
from staffing.teachers.models import TeacherAssignment

from .conftest import RURAL_1, RURAL_2, seed_schools
from .test_rotation_api import confirm_all, generate, seed_county


@pytest.fixture
async def staff(replicas: Replicas, writer: dict[str, Any]) -> dict[str, str]:
    """The county of `test_rotation_api`, committed: both replicas see it."""
    async with replicas.apps[0].state.sessionmaker() as session:
        await seed_schools(session)
        return await seed_county(replicas.client, writer, session)


@pytest.fixture
async def plan(replicas: Replicas, writer: dict[str, Any], staff: dict[str, str]) -> Any:
    """Its hand-computed plan."""
    return await generate(replicas.client, writer)


class TestConfirmationRaces:
    async def test_one_school_confirming_twenty_times_at_once_confirms_once(
        self, replicas: Replicas, writer: dict[str, Any], plan: Any
    ) -> None:
        assert len(plan["awaiting_confirmation"]) > 1  # the plan stays a draft after one
        school = plan["awaiting_confirmation"][0]
        answers = await replicas.race(
            "POST",
            f"/v1/rotation-plans/{plan['id']}/confirmations",
            json={"school_code": school, "signatory": "校长"},
            headers=writer,
        )
        # later ones hear the check's school_confirms_once; one that raced, the same from the
        # constraint, or that the plan changed under it (every confirmation is a new version)
        assert_race_settled(
            answers,
            ("school_code", "school_confirms_once"),
            ("header.if-match", "version_current"),
        )
        assert await replicas.count(RotationConfirmation) == 1


class TestExecutionRaces:
    async def test_a_plan_executed_twenty_times_at_once_moves_each_teacher_once(
        self, replicas: Replicas, writer: dict[str, Any], staff: dict[str, str], plan: Any
    ) -> None:
        await confirm_all(replicas.client, writer, plan)
        approved = await replicas.client.post(
            f"/v1/rotation-plans/{plan['id']}/approval", json={}, headers=writer
        )
        assert approved.status_code == 200, approved.text
        execution = {
            "moved_on": "2025-09-01",
            "moves": [
                {"teacher_id": staff["T1"], "to_school_code": RURAL_2},
                {"teacher_id": staff["T2"], "to_school_code": RURAL_1},
            ],
        }
        answers = await replicas.race(
            "POST", f"/v1/rotation-plans/{plan['id']}/execution", json=execution, headers=writer
        )
        # later ones hear the workflow check (executed already); one that raced, the same from
        # the constraint, or that the plan or a teacher changed under it
        assert_race_settled(
            answers,
            ("status", "rotation_plan_workflow"),
            ("header.if-match", "version_current"),
            won=200,
        )
        assert await replicas.count(RotationExecution) == 2
        assert await replicas.count(TeacherAssignment) == 2  # seeded without postings: the moves
