"""公示 dates over HTTP on both databases: a list starts on the day it is recorded (China date)
or later, never before; the clock is the kit's (moved by the `clock` fixture)."""

from typing import Any

from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.publicity.models import PublicityBatch
from junheng_kit.testing.clock import Clock

from .conftest import MakeStudent
from .test_api import reviewed_award


async def publish(
    client: AsyncClient, headers: dict[str, Any], starts_on: str, award_id: str
) -> Any:
    return await client.post(
        "/v1/publicity-batches",
        json={"county_code": "150602", "starts_on": starts_on, "award_ids": [award_id]},
        headers=headers,
    )


class TestNotBackdated:
    async def test_a_list_starting_the_day_before_it_is_recorded_is_422_and_lists_nothing(
        self,
        client: AsyncClient,
        writer: dict[str, Any],
        make_student: MakeStudent,
        session: AsyncSession,
    ) -> None:
        """Recorded on 2025-09-30 (the award tests' day): a 公示 from 09-29 is backdated."""
        award = await reviewed_award(client, writer, make_student)
        response = await publish(client, writer, "2025-09-29", award["id"])
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"] == [
            {
                "field": "starts_on",
                "rule": "publicity_not_backdated",
                "message": "2025-09-29 早于今天 2025-09-30（中国时间）；请从 2025-09-30 或之后开始",
            }
        ]
        assert "2025-09-30" in response.json()["detail"]
        assert await session.scalar(select(func.count()).select_from(PublicityBatch)) == 0
        again = await client.get(f"/v1/awards/{award['id']}", headers=writer)
        assert (again.json()["status"], again.json()["publicity_batch_id"]) == ("reviewed", None)

    async def test_a_list_starting_the_day_it_is_recorded_is_accepted(
        self, client: AsyncClient, writer: dict[str, Any], make_student: MakeStudent
    ) -> None:
        award = await reviewed_award(client, writer, make_student)
        response = await publish(client, writer, "2025-09-30", award["id"])
        assert response.status_code == 201, response.text
        assert (response.json()["starts_on"], response.json()["ends_on"]) == (
            "2025-09-30",
            "2025-10-13",
        )

    async def test_the_day_is_the_china_date_not_the_utc_one(
        self, clock: Clock, client: AsyncClient, writer: dict[str, Any], make_student: MakeStudent
    ) -> None:
        """16:30 UTC on 2025-09-29 is 00:30 on 2025-09-30 in Beijing: recorded on 09-30."""
        award = await reviewed_award(client, writer, make_student)
        clock.at("2025-09-29T16:30:00+00:00")
        refused = await publish(client, writer, "2025-09-29", award["id"])
        assert (refused.status_code, refused.json()["errors"][0]["rule"]) == (
            422,
            "publicity_not_backdated",
        )
        accepted = await publish(client, writer, "2025-09-30", award["id"])
        assert accepted.status_code == 201, accepted.text

    async def test_time_passes_the_list_ends_and_approval_defaults_to_today(
        self, clock: Clock, client: AsyncClient, writer: dict[str, Any], make_student: MakeStudent
    ) -> None:
        """Recorded 2025-09-30, the list ends 2025-10-13 (国庆/中秋 off, 10-11 worked); on
        10-13 an approval without a date is too early, on 10-14 it is dated 10-14."""
        award = await reviewed_award(client, writer, make_student)
        assert (await publish(client, writer, "2025-09-30", award["id"])).status_code == 201
        approve = f"/v1/awards/{award['id']}/approval"
        clock.at("2025-10-13T17:00:00+08:00")
        early = await client.post(approve, json={}, headers=writer)
        assert (early.status_code, early.json()["errors"][0]["rule"]) == (
            409,
            "publicity_not_ended",
        )
        late_list = await publish(client, writer, "2025-10-12", award["id"])
        assert late_list.json()["errors"][0]["rule"] == "publicity_not_backdated"
        clock.at("2025-10-14T09:00:00+08:00")
        approved = await client.post(approve, json={}, headers=writer)
        assert approved.status_code == 200, approved.text
        assert (approved.json()["status"], approved.json()["approved_on"]) == (
            "approved",
            "2025-10-14",
        )
