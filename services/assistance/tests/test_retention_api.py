"""保存期限 of assistance's aid files (`student.left`), over HTTP on SQLite and PostgreSQL: the
rule a bureau sets, the purge that pseudonymises the roster rows of pupils who left and whose
awards all ended (and leaves enrolled, recent, open-award, held and other counties' pupils
alone), the awards kept for the statistics, the purge record, legal holds, the child export
holding the hold, and one purge at a time across replicas.

No source the project holds gives the aid file's period (domain.md is silent): the 24 months
below are an example rule, as a bureau would store one citing its document.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from assistance.awards.awards.models import Award
from assistance.retention import RETENTION, PurgeRecord, last_changed_by
from assistance.students.models import Student
from junheng_kit.identifiers import citizen_id_check_character, student_key
from junheng_kit.ids import uuid7
from junheng_kit.retention import purge
from junheng_kit.retention.rules import minus_months
from junheng_kit.testing.plugin import TEST_PSEUDONYM_KEY, Replicas, TokenFactory, auth
from junheng_kit.testing.retention import (
    place_hold,
    purge_records,
    release_hold,
    run_purge,
    set_rule,
)
from junheng_kit.timeutil import CHINA, china_today, utcnow

KIND = "student.left"
STANDARD = UUID("0193a000-0000-7000-8000-000000000001")  # seeded: living_subsidy, junior
RULE = {
    "keep_months": 24,
    "counted_from": "roster_change",
    "action": "pseudonymise",
    "source": "示例 / example: 东胜区学生资助档案保存期限（文件名称与文号）",
}


def cid(n: int) -> str:
    body = f"15060220140301{n:03d}"
    return body + citizen_id_check_character(body)


def pupil(n: int, status: str, *, months_ago: int, county: str = "150602") -> Student:
    citizen = cid(n)
    changed = utcnow() - timedelta(days=31 * months_ago)
    return Student(
        id=uuid7(),
        citizen_id=citizen,
        student_key=student_key(TEST_PSEUDONYM_KEY.encode(), citizen),
        student_number=f"G{citizen}",
        name=f"王小{n}",
        gender="female",
        birth_date=date(2014, 3, 1 + n % 20),
        county_code=county,
        school_code="2115060201",
        level="junior",
        grade=7,
        boarding=False,
        status=status,
        created_at=changed,
        updated_at=changed,
    )


def award(student: Student, status: str, year: int = 2023) -> Award:
    return Award(
        student_id=student.id,
        county_code=student.county_code,
        school_code=student.school_code,
        programme_code="living_subsidy",
        school_year=year,
        category="dibao",
        level="junior",
        boarding=False,
        amount_yuan=Decimal("625.00"),
        paid_yuan=Decimal("625.00") if status == "paid" else Decimal("0"),
        standard_id=STANDARD,
        source="school",
        evidence=[],
        status=status,
        created_by="test",
    )


async def seed(replicas: Replicas) -> dict[str, Student]:
    rows = {
        "left": pupil(10, "left", months_ago=30),
        "transferred": pupil(11, "transferred_out", months_ago=30),
        "open_award": pupil(12, "left", months_ago=30),
        "enrolled": pupil(13, "enrolled", months_ago=30),
        "recent": pupil(14, "left", months_ago=6),
        "held_child": pupil(15, "left", months_ago=30),
        "elsewhere": pupil(16, "left", months_ago=30, county="150603"),
    }
    async with replicas.apps[0].state.sessionmaker() as session:
        session.add_all(rows.values())
        await session.flush()
        session.add_all(
            [
                award(rows["left"], "paid"),
                award(rows["transferred"], "rejected"),
                award(rows["open_award"], "paid", 2022),
                award(rows["open_award"], "approved"),
            ]
        )
        await session.commit()
    return rows


async def stored(replicas: Replicas, student_id: UUID) -> Student:
    async with replicas.apps[0].state.sessionmaker() as session:
        found = await session.get(Student, student_id)
        assert found is not None
        return found


@pytest.fixture
def bureau(token: TokenFactory) -> dict[str, Any]:
    return auth(token("assistance:read", "assistance:write", "assistance:pii"))


async def test_without_a_rule_nothing_is_purged_and_the_record_says_no_rule(
    replicas: Replicas, bureau: dict[str, Any]
) -> None:
    rows = await seed(replicas)
    record = await run_purge(replicas.client, bureau)
    assert (record["kind"], record["rule_ref"], record["count"]) == (KIND, "no rule", 0)
    assert (await stored(replicas, rows["left"].id)).name == "王小10"


async def test_aid_files_of_pupils_who_left_are_pseudonymised_once_and_awards_kept(
    replicas: Replicas, bureau: dict[str, Any], token: TokenFactory
) -> None:
    """An example rule of 24 months from the last roster change: the two pupils off the roster
    30 months with every award ended are pseudonymised (each its own citizen ID marker: the
    column is unique); the enrolled one, the recent one, the one with an award still open, the
    one under a hold and the other county's stay as they were; a second run changes nothing."""
    client = replicas.client
    rows = await seed(replicas)
    await set_rule(client, bureau, f"150602/{KIND}/2020-01-01", RULE)
    hold = await place_hold(
        client,
        bureau,
        kind=KIND,
        county_code="150602",
        citizen_id=rows["held_child"].citizen_id,
        reason="审计 / audit of the 2023 payments",
    )
    assert hold["student_key"] == rows["held_child"].student_key

    record = await run_purge(client, bureau)
    assert record["rule_ref"] == f"150602/{KIND}/2020-01-01#1"
    assert (record["count"], record["held"], record["action"]) == (2, 1, "pseudonymise")
    assert record["cutoff"] == minus_months(china_today(), 24).isoformat()

    markers = set()
    for name in ("left", "transferred"):
        gone = await stored(replicas, rows[name].id)
        assert (gone.name, gone.student_number, gone.student_number_index) == ("已清除", None, None)
        assert gone.citizen_id == ""  # sealed as the column keeps it; its index stays unique
        markers.add(gone.citizen_id_index)
        assert gone.birth_date == date(2014, 3, 1)
        assert (gone.student_key, gone.county_code, gone.school_code, gone.status) == (
            rows[name].student_key,
            "150602",
            "2115060201",
            rows[name].status,
        )
    assert len(markers) == 2
    # the pseudonymised rows still read, with and without the PII scope
    for headers in (bureau, auth(token("assistance:read"))):
        read = await client.get(f"/v1/students/{rows['left'].id}", headers=headers)
        assert read.status_code == 200, read.text
        listed = await client.get("/v1/students", params={"county_code": "150602"}, headers=headers)
        assert listed.status_code == 200, listed.text
    assert read.json()["name"] != rows["left"].name
    for name in ("open_award", "enrolled", "recent", "held_child", "elsewhere"):
        kept = await stored(replicas, rows[name].id)
        assert (kept.name, kept.citizen_id) == (rows[name].name, rows[name].citizen_id)

    async with replicas.apps[0].state.sessionmaker() as session:
        amounts = (
            await session.execute(
                select(Award.school_year, Award.amount_yuan, Award.school_code).where(
                    Award.student_id == rows["left"].id
                )
            )
        ).all()
    assert [tuple(a) for a in amounts] == [(2023, Decimal("625.00"), "2115060201")]

    again = await run_purge(client, bureau)
    assert (again["count"], again["held"]) == (0, 1)

    export = await client.post(
        "/v1/children/export", json={"citizen_id": rows["held_child"].citizen_id}, headers=bureau
    )
    assert [h["reason"] for h in export.json()["sections"]["legal_holds"]] == [
        "审计 / audit of the 2023 payments"
    ]

    await release_hold(client, bureau, hold["id"], "审计结束")
    assert (await run_purge(client, bureau))["count"] == 1
    assert (await stored(replicas, rows["held_child"].id)).name == "已清除"
    records = await purge_records(client, bureau)
    assert [r["count"] for r in records] == [1, 0, 2]


async def test_purges_raced_over_replicas_pseudonymise_each_file_once(
    replicas: Replicas, bureau: dict[str, Any]
) -> None:
    rows = await seed(replicas)
    await set_rule(replicas.client, bureau, f"150602/{KIND}/2020-01-01", RULE)
    answers = await replicas.race(
        "POST", "/v1/purges", times=4, json={"county_code": "150602"}, headers=bureau
    )
    assert {a.status_code for a in answers} <= {200, 409}, [a.text for a in answers]
    done = [a.json()["items"][0]["count"] for a in answers if a.status_code == 200]
    assert sum(done) == 3  # left, transferred, held_child (no hold here); once each
    assert (await stored(replicas, rows["enrolled"].id)).name == "王小13"
    async with replicas.apps[0].state.sessionmaker() as session:
        records = (await session.scalars(select(PurgeRecord))).all()
    assert sum(r.count for r in records) == 3


async def test_a_second_purge_of_the_county_while_one_runs_is_told(
    replicas: Replicas, bureau: dict[str, Any]
) -> None:
    sessions = replicas.apps[0].state.sessionmaker
    assert await purge.acquire(sessions, RETENTION, "150602", "another-replica")
    refused = await replicas.clients[1].post(
        "/v1/purges", json={"county_code": "150602"}, headers=bureau
    )
    assert refused.status_code == 409, refused.text
    assert [e["rule"] for e in refused.json()["errors"]] == ["purge_running"]


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({**RULE, "counted_from": "school_year_start"}, "counted_from", "retention_anchor"),
        ({**RULE, "action": "delete"}, "action", "retention_action"),
    ],
)
async def test_a_rule_assistance_cannot_apply_is_a_422_naming_the_rule(
    replicas: Replicas, bureau: dict[str, Any], body: dict[str, Any], field: str, rule: str
) -> None:
    answer = await replicas.client.put(
        f"/v1/retention-rules/150602/{KIND}/2026-01-01", json=body, headers=bureau
    )
    assert answer.status_code == 422, answer.text
    assert [(e["field"], e["rule"]) for e in answer.json()["errors"]] == [(field, rule)]


def test_the_cutoff_day_counts_in_china_time() -> None:
    """A row changed on the cutoff day (China) has been kept its period: the bound is the next
    day's midnight at UTC+8."""
    condition = last_changed_by(date(2026, 1, 31))
    bound = condition.right.value  # type: ignore[attr-defined]
    assert bound.astimezone(CHINA).isoformat() == "2026-02-01T00:00:00+08:00"
