"""编制周转池 over HTTP on both databases: loans counted in the approved quota while out, every
change a ledger entry, overdue loans flagged, bad input named."""

from datetime import date
from typing import Any

import pytest
from httpx import AsyncClient

from staffing.pool import rules

from .conftest import ANSHAN, DONGSHENG, URBAN_PRIMARY, VILLAGE
from .test_quota_api import set_parameter

pytestmark = pytest.mark.usefixtures("schools")
BASE = f"/v1/counties/{DONGSHENG}"


async def approve(client: AsyncClient, writer: dict[str, Any]) -> None:
    response = await client.post(
        f"{BASE}/quota-ledger",
        json={
            "year": 2025,
            "kind": "approval",
            "reason": "2025学年编制核定",
            "entries": [
                {"school_code": VILLAGE, "approved_posts": 6},
                {"school_code": URBAN_PRIMARY, "approved_posts": 40},
            ],
        },
        headers=writer,
    )
    assert response.status_code == 201, response.text


async def lend(client: AsyncClient, writer: dict[str, Any], **changes: Any) -> Any:
    body = {
        "school_code": VILLAGE,
        "posts": 2,
        "reason": "两名教师产假，临时补充",
        "lent_on": "2025-10-08",
        "due_on": "2026-07-15",
        **changes,
    }
    return await client.post(f"{BASE}/quota-loans", json=body, headers=writer)


async def approved_posts(client: AsyncClient, writer: dict[str, Any], school: str) -> int:
    ledger = (
        await client.get(f"{BASE}/quota-ledger", params={"school_code": school}, headers=writer)
    ).json()
    return int(ledger["items"][-1]["approved_after"])


class TestLoans:
    async def test_a_loan_counts_in_the_approved_quota_until_it_is_returned(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        await approve(client, writer)
        await set_parameter(client, writer, "quota_turnover_pool_posts", "5")

        response = await lend(client, writer)
        assert response.status_code == 201, response.text
        loan = response.json()
        assert await approved_posts(client, writer, VILLAGE) == 8  # 6 approved + 2 lent
        entry = (await client.get(f"{BASE}/quota-ledger", headers=writer)).json()["items"][-1]
        assert (entry["kind"], entry["change"], entry["year"]) == ("adjustment", 2, 2025)
        assert entry["reference"] == f"quota-loan:{loan['id']}"

        pool = (
            await client.get(f"{BASE}/quota-pool", params={"on": "2026-01-01"}, headers=writer)
        ).json()
        assert (pool["pool_posts"], pool["lent"], pool["available"]) == (5, 2, 3)

        back = await client.post(
            f"/v1/quota-loans/{loan['id']}/return",
            json={"returned_on": "2026-07-10"},
            headers={**writer, "If-Match": response.headers["etag"]},
        )
        assert back.status_code == 200, back.text
        assert back.json()["returned_on"] == "2026-07-10"
        assert await approved_posts(client, writer, VILLAGE) == 6
        entry = (await client.get(f"{BASE}/quota-ledger", headers=writer)).json()["items"][-1]
        assert (entry["change"], entry["year"]) == (-2, 2025)  # July belongs to 2025–26
        pool = (
            await client.get(f"{BASE}/quota-pool", params={"on": "2026-08-01"}, headers=writer)
        ).json()
        assert (pool["lent"], pool["available"], pool["overdue"]) == (0, 5, 0)

    async def test_lending_more_than_the_pool_holds_is_refused_naming_the_rule(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        await approve(client, writer)
        await set_parameter(client, writer, "quota_turnover_pool_posts", "3")
        assert (await lend(client, writer, posts=2)).status_code == 201
        response = await lend(client, writer, posts=2, school_code=URBAN_PRIMARY)
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "field": "posts",
                "rule": "quota_pool_available",
                "message": "周转池共有 3 个编制，其中 1 个未借出",
            }
        ]
        assert await approved_posts(client, writer, URBAN_PRIMARY) == 40

    async def test_a_county_without_a_pool_cannot_lend(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        await approve(client, writer)
        response = await lend(client, writer)
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "quota_turnover_pool_posts_required"

    async def test_reversed_dates_and_a_school_elsewhere_are_named(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        await set_parameter(client, writer, "quota_turnover_pool_posts", "3")
        response = await lend(client, writer, school_code=ANSHAN, due_on="2025-10-08")
        assert response.status_code == 422
        assert sorted((e["field"], e["rule"]) for e in response.json()["errors"]) == [
            ("due_on", "loan_dates_order"),
            ("school_code", "school_in_county"),
        ]

    async def test_returning_twice_or_before_lending_is_refused(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        await approve(client, writer)
        await set_parameter(client, writer, "quota_turnover_pool_posts", "3")
        loan = (await lend(client, writer)).json()
        url = f"/v1/quota-loans/{loan['id']}/return"
        early = await client.post(url, json={"returned_on": "2025-10-01"}, headers=writer)
        assert early.status_code == 422
        assert early.json()["errors"][0]["rule"] == "return_after_lending"
        assert (
            await client.post(url, json={"returned_on": "2026-07-01"}, headers=writer)
        ).status_code == 200
        twice = await client.post(url, json={"returned_on": "2026-07-02"}, headers=writer)
        assert twice.status_code == 409
        assert twice.json()["errors"][0]["rule"] == "loan_returned_once"
        assert await approved_posts(client, writer, VILLAGE) == 6

    async def test_a_loan_past_its_due_date_is_flagged_overdue(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        await approve(client, writer)
        await set_parameter(client, writer, "quota_turnover_pool_posts", "3")
        assert (await lend(client, writer)).status_code == 201
        on_due = (
            await client.get(f"{BASE}/quota-pool", params={"on": "2026-07-15"}, headers=writer)
        ).json()
        after = (
            await client.get(f"{BASE}/quota-pool", params={"on": "2026-07-16"}, headers=writer)
        ).json()
        assert (on_due["overdue"], on_due["loans"][0]["is_overdue"]) == (0, False)
        assert (after["overdue"], after["loans"][0]["is_overdue"]) == (1, True)


class TestRules:
    @pytest.mark.parametrize(
        ("day", "year"),
        [("2025-09-01", 2025), ("2025-08-31", 2024), ("2026-07-10", 2025), ("2026-12-31", 2026)],
    )
    def test_the_school_year_starts_on_1_september(self, day: str, year: int) -> None:
        assert rules.school_year_of(date.fromisoformat(day)) == year

    def test_a_loan_returned_late_is_overdue_until_it_is_back(self) -> None:
        due, back = date(2026, 7, 15), date(2026, 8, 1)
        assert rules.is_overdue(due, back, date(2026, 7, 20)) is True
        assert rules.is_overdue(due, back, date(2026, 8, 1)) is False
        assert rules.is_overdue(due, None, date(2026, 7, 15)) is False
        assert rules.available_posts(5, [2, 1]) == 2
