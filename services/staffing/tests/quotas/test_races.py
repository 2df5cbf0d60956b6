"""Races on the quota tables between two replicas on one database, SQLite and PostgreSQL (issue
17): twenty identical requests at once, spread over two apps with their own engines."""

from typing import Any

import pytest
from sqlalchemy import select

from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import Replicas, assert_race_settled
from staffing.quotas.models import QuotaLedgerEntry, SchoolEnrolment

from .conftest import DONGSHENG, URBAN_PRIMARY, VILLAGE, seed_schools

BASE = f"/v1/counties/{DONGSHENG}"


@pytest.fixture
async def schools(replicas: Replicas) -> None:
    async with replicas.apps[0].state.sessionmaker() as session:
        await seed_schools(session)  # committed: both replicas see them


@pytest.mark.usefixtures("schools")
class TestQuotaRaces:
    async def test_one_years_pupils_entered_twenty_times_at_once_are_stored_once(
        self, replicas: Replicas, writer: dict[str, Any]
    ) -> None:
        body = {
            "year": 2025,
            "schools": [
                {"school_code": URBAN_PRIMARY, "area": "urban", "primary_pupils": 900},
                {"school_code": VILLAGE, "area": "rural", "primary_pupils": 60},
            ],
        }
        answers = await replicas.race("PUT", f"{BASE}/enrolment", json=body, headers=writer)
        # each PUT that got through replaced the rows in turn; one that raced is told to resend
        assert_race_settled(answers, ("schools", "enrolment_unique"), won=204, winners=None)
        assert await replicas.count(SchoolEnrolment) == 2

    async def test_decisions_sent_twenty_times_at_once_are_appended_without_a_twin(
        self, replicas: Replicas, writer: dict[str, Any]
    ) -> None:
        decision = {
            "year": 2025,
            "kind": "adjustment",
            "reason": "2025学年编制调整",
            "entries": [{"school_code": VILLAGE, "change": 1}],
        }
        answers = await replicas.race("POST", f"{BASE}/quota-ledger", json=decision, headers=writer)
        # the ledger only grows: each decision that got through is one entry after the other
        # (1, 2, … approved posts); one that numbered an entry a concurrent one took is told
        recorded = assert_race_settled(answers, ("entries", "ledger_sequence_unique"), winners=None)
        async with replicas.apps[0].state.sessionmaker() as session:
            stored = (await session.execute(select(
                QuotaLedgerEntry.sequence, QuotaLedgerEntry.approved_after
            ).order_by(QuotaLedgerEntry.sequence))).all()  # fmt: skip
        assert [tuple(row) for row in stored] == [(n, n) for n in range(1, len(recorded) + 1)]
        approved = OutboxMessage.subject == "staffing.quota.approved"
        assert await replicas.count(OutboxMessage, approved) == len(recorded)
