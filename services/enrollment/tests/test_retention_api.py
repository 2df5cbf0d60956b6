"""保存期限 of applications of children not admitted, over HTTP on SQLite and PostgreSQL: the rule
a bureau sets, the purge that pseudonymises the expired records (and leaves admitted, unexpired,
held and other counties' records alone), its record, legal holds, and one purge at a time.

No seed file gives a retention period (domain.md and policy-sources 000–004 are silent); the 12
months below are an example rule, as a bureau would store one citing its document.
"""

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from enrollment.admission.models import (
    Admission,
    Application,
    ApplicationEvent,
    ApplicationVerification,
)
from enrollment.admission.repository import citizen_id_index
from enrollment.retention import RETENTION, PurgeRecord
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
from junheng_kit.timeutil import china_today, utcnow

KIND = "application.not_admitted"
RULE = {
    "keep_months": 12,
    "counted_from": "school_year_start",
    "action": "pseudonymise",
    "source": "示例 / example: 东胜区教育局入学申请材料保存期限（文件名称与文号）",
}


def cid(body: str) -> str:
    return body + citizen_id_check_character(body)


def years() -> tuple[int, int]:
    """The latest school year expired under a 12-month rule today, and the first still kept:
    a year is expired once its 1 September is on or before today − 12 months."""
    cutoff = minus_months(china_today(), 12)
    expired = cutoff.year if cutoff >= date(cutoff.year, 9, 1) else cutoff.year - 1
    return expired, expired + 1


def row(n: int, year: int, status: str, county: str = "150602") -> Application:
    citizen = cid(f"15060220190315{n:03d}")
    now = utcnow()
    return Application(
        id=uuid7(),
        county_code=county,
        year=year,
        level="primary",
        grade=1,
        child_key=student_key(TEST_PSEUDONYM_KEY.encode(), citizen),
        citizen_id=citizen,
        citizen_id_index=citizen_id_index(citizen),
        student_number=None,
        child_name=f"李小{n}",
        birth_date=date(2019, 3, 15),
        gender="male",
        guardian={"name": "李大华", "relation": "father", "phone": "13900001111"},
        household={
            "hukou": {
                "county_code": "150602",
                "type": "urban",
                "address": "东胜区天骄路12号",
                "location": {"longitude": 109.961234, "latitude": 39.814321},
            },
            "housing": "owned",
            "residence_permit": {"issued_on": "2020-01-01", "number": "1506020001"},
            "social_insurance_months": 36,
        },
        migrant=False,
        home_longitude=109.961234,
        home_latitude=39.814321,
        home_address="东胜区天骄路12号",
        home_zone_code="Z1",
        hukou_zone_code="Z1",
        home_schools=["2115000001"],
        hukou_schools=["2115000001"],
        choices=["2115000001"],
        status=status,
        created_by="test",
        created_at=now,
        updated_at=now,
    )


async def seed(replicas: Replicas) -> dict[str, Application]:
    expired, kept = years()
    rows = {
        "withdrawn": row(10, expired, "withdrawn"),
        "admitted": row(11, expired, "admitted"),
        "held_record": row(12, expired, "rejected"),
        "held_child": row(13, expired, "verified"),
        "recent": row(14, kept, "withdrawn"),
        "elsewhere": row(15, expired, "withdrawn", county="150603"),
    }
    rows["withdrawn"].status_reason = "家长李大华电话撤回 / withdrawn by phone"
    async with replicas.apps[0].state.sessionmaker() as session:
        session.add_all(rows.values())
        await session.flush()
        for name in ("withdrawn", "admitted"):  # what clerks wrote about the application
            session.add_all(
                [
                    ApplicationVerification(
                        application_id=rows[name].id,
                        document="hukou",
                        result="confirmed",
                        source="公安",
                        reason="户主李大华，户口簿第3页 / household head's page",
                        checked_by="clerk",
                    ),
                    ApplicationEvent(
                        application_id=rows[name].id,
                        actor="clerk",
                        action="status",
                        reason="李大华来电 / the father called",
                    ),
                    ApplicationEvent(application_id=rows[name].id, actor="clerk", action="note"),
                ]
            )
        session.add(
            Admission(
                application_id=rows["admitted"].id,
                school_code="2115000001",
                county_code="150602",
                year=expired,
                level="primary",
                route="assignment",
                run_id=uuid7(),
                confirmed_by="test",
            )
        )
        await session.commit()
    return rows


async def reasons(replicas: Replicas, application_id: UUID) -> list[str | None]:
    """The free text kept about an application: its checks' reasons, then its trail's."""
    async with replicas.apps[0].state.sessionmaker() as session:
        checks = await session.scalars(
            select(ApplicationVerification.reason).where(
                ApplicationVerification.application_id == application_id
            )
        )
        trail = await session.scalars(
            select(ApplicationEvent.reason)
            .where(ApplicationEvent.application_id == application_id)
            .order_by(ApplicationEvent.id)
        )
        return [*checks, *trail]


async def stored(replicas: Replicas, application_id: UUID) -> Application:
    async with replicas.apps[0].state.sessionmaker() as session:
        found = await session.get(Application, application_id)
        assert found is not None
        return found


@pytest.fixture
def bureau(token: TokenFactory) -> dict[str, Any]:
    return auth(token("enrollment:read", "enrollment:write", "enrollment:pii"))


async def test_without_a_rule_nothing_is_purged_and_the_record_says_no_rule(
    replicas: Replicas, bureau: dict[str, Any]
) -> None:
    rows = await seed(replicas)
    record = await run_purge(replicas.client, bureau)
    assert (record["kind"], record["rule_ref"], record["count"]) == (KIND, "no rule", 0)
    assert (record["cutoff"], record["action"]) == (None, None)
    assert (await stored(replicas, rows["withdrawn"].id)).child_name == "李小10"


async def test_expired_applications_of_children_not_admitted_are_pseudonymised_once(
    replicas: Replicas, bureau: dict[str, Any], token: TokenFactory
) -> None:
    """An example rule of 12 months from the school year's start (1 September): the withdrawn
    application of an expired year is pseudonymised; the admitted child's, the recent one, the
    two under a hold and the other county's stay as they were; a second run changes nothing."""
    client = replicas.client
    rows = await seed(replicas)
    prefecture = auth(token("enrollment:read", "enrollment:write", jurisdiction=("1506",)))
    await set_rule(client, prefecture, f"1506/{KIND}/2020-01-01", RULE)
    by_record = await place_hold(
        client,
        bureau,
        kind=KIND,
        county_code="150602",
        record_id=str(rows["held_record"].id),
        reason="行政复议 / administrative review",
    )
    by_child = await place_hold(
        client,
        bureau,
        kind=KIND,
        county_code="150602",
        citizen_id=rows["held_child"].citizen_id,
        reason="诉讼 / litigation",
    )
    assert by_child["student_key"] == rows["held_child"].child_key

    record = await run_purge(client, bureau)
    cutoff = minus_months(china_today(), 12)
    assert record["rule_ref"] == f"1506/{KIND}/2020-01-01#1"
    assert (record["count"], record["held"], record["action"]) == (1, 2, "pseudonymise")
    assert record["cutoff"] == cutoff.isoformat()
    assert record["rule_source"] == RULE["source"]

    gone = await stored(replicas, rows["withdrawn"].id)
    assert (gone.citizen_id, gone.child_name, gone.student_number) == ("", "已清除", None)
    assert gone.guardian == {"name": "已清除", "relation": "other", "phone": ""}
    assert gone.home_address == "已清除"
    assert (gone.home_longitude, gone.home_latitude) == (109.96, 39.81)
    assert gone.birth_date == date(2019, 3, 1)
    assert gone.status_reason == "已清除"
    assert await reasons(replicas, gone.id) == ["已清除", "已清除", None]
    assert await reasons(replicas, rows["admitted"].id) == [
        "户主李大华，户口簿第3页 / household head's page",
        "李大华来电 / the father called",
        None,
    ]
    assert gone.household["hukou"]["address"] == "已清除"
    assert gone.household["hukou"]["location"] is None
    assert gone.household["hukou"]["type"] == "urban"
    assert gone.household["residence_permit"] == {"issued_on": "2020-01-01", "number": None}
    assert (gone.status, gone.year, gone.choices, gone.child_key) == (
        "withdrawn",
        rows["withdrawn"].year,
        ["2115000001"],
        rows["withdrawn"].child_key,
    )
    for name in ("admitted", "held_record", "held_child", "recent", "elsewhere"):
        kept = await stored(replicas, rows[name].id)
        assert (kept.child_name, kept.citizen_id) == (rows[name].child_name, rows[name].citizen_id)

    # the pseudonymised application still reads (masked values of cleared fields)
    read = await client.get(f"/v1/applications/{rows['withdrawn'].id}", headers=bureau)
    assert read.status_code == 200, read.text
    assert read.json()["child"]["name"] == "已清除"

    again = await run_purge(client, bureau)
    assert (again["count"], again["held"]) == (0, 2)

    # released (recorded, not deleted): the next purge applies the rule
    released = await release_hold(client, bureau, by_record["id"], "复议结束")
    assert released["released_by"] == "test-client"
    assert (await run_purge(client, bureau))["count"] == 1
    assert (await stored(replicas, rows["held_record"].id)).child_name == "已清除"
    holds = (await client.get("/v1/legal-holds?county_code=150602", headers=bureau)).json()
    assert len(holds["items"]) == 2

    records = await purge_records(client, bureau)
    assert [r["count"] for r in records] == [1, 0, 1]


async def test_a_second_purge_of_the_county_while_one_runs_is_told(
    replicas: Replicas, bureau: dict[str, Any]
) -> None:
    """The lease: held by another replica → 409 `purge_running`; once its time ran out (a dead
    owner) it is taken over."""
    sessions = replicas.apps[0].state.sessionmaker
    assert await purge.acquire(sessions, RETENTION, "150602", "another-replica")
    refused = await replicas.clients[1].post(
        "/v1/purges", json={"county_code": "150602"}, headers=bureau
    )
    assert refused.status_code == 409, refused.text
    assert [e["rule"] for e in refused.json()["errors"]] == ["purge_running"]
    async with sessions() as session:
        lease = await session.get(RETENTION.lease, "150602")
        assert lease is not None
        lease.expires_at = utcnow() - timedelta(seconds=1)
        await session.commit()
    assert (await run_purge(replicas.clients[1], bureau))["rule_ref"] == "no rule"


async def test_purges_raced_over_replicas_pseudonymise_each_record_once(
    replicas: Replicas, bureau: dict[str, Any]
) -> None:
    rows = await seed(replicas)
    await set_rule(replicas.client, bureau, f"150602/{KIND}/2020-01-01", RULE)
    answers = await replicas.race(
        "POST", "/v1/purges", times=4, json={"county_code": "150602"}, headers=bureau
    )
    assert {a.status_code for a in answers} <= {200, 409}, [a.text for a in answers]
    done = [a.json()["items"][0]["count"] for a in answers if a.status_code == 200]
    assert sum(done) == 3  # withdrawn, rejected, verified (none held here); once each
    assert (await stored(replicas, rows["admitted"].id)).child_name == "李小11"
    async with replicas.apps[0].state.sessionmaker() as session:
        records = (await session.scalars(select(PurgeRecord))).all()
    assert sum(r.count for r in records) == 3


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({**RULE, "counted_from": "created_at"}, "counted_from", "retention_anchor"),
        ({**RULE, "action": "delete"}, "action", "retention_action"),
        ({**RULE, "keep_days": 30}, "keep_months", "retention_period_one"),
    ],
)
async def test_a_rule_enrollment_cannot_apply_is_a_422_naming_the_rule(
    replicas: Replicas, bureau: dict[str, Any], body: dict[str, Any], field: str, rule: str
) -> None:
    answer = await replicas.client.put(
        f"/v1/retention-rules/150602/{KIND}/2026-01-01", json=body, headers=bureau
    )
    assert answer.status_code == 422, answer.text
    assert [(e["field"], e["rule"]) for e in answer.json()["errors"]] == [(field, rule)]


async def test_rules_are_read_with_the_one_in_force_and_set_only_inside_the_jurisdiction(
    replicas: Replicas, bureau: dict[str, Any], token: TokenFactory
) -> None:
    client = replicas.client
    assert (
        await client.put(f"/v1/retention-rules/15/{KIND}/2020-01-01", json=RULE, headers=bureau)
    ).status_code == 403
    county = {**RULE, "keep_months": 24}
    assert (
        await client.put(
            f"/v1/retention-rules/150602/{KIND}/2021-01-01", json=county, headers=bureau
        )
    ).status_code == 201
    region = auth(token("enrollment:read", "enrollment:write", jurisdiction=("15",)))
    assert (
        await client.put(f"/v1/retention-rules/15/{KIND}/2020-01-01", json=RULE, headers=region)
    ).status_code == 201
    listed = await client.get("/v1/retention-rules?county_code=150602", headers=bureau)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [k["kind"] for k in body["kinds"]] == [KIND]
    assert len(body["items"]) == 2
    assert [(r["scope_code"], r["keep_months"]) for r in body["in_force"]] == [("150602", 24)]
    one = await client.get(f"/v1/retention-rules/15/{KIND}/2020-01-01", headers=bureau)
    assert one.status_code == 200
    assert one.headers["ETag"] == '"1"'


async def test_a_childs_export_holds_its_records_and_nobody_elses(
    replicas: Replicas, bureau: dict[str, Any], writer: dict[str, Any], token: TokenFactory
) -> None:
    """个人信息保护法 Art. 45 (access request): the admitted child's application with every stored
    column, its admission and its hold; none of the other children's names or IDs."""
    client = replicas.client
    rows = await seed(replicas)
    child = rows["admitted"]
    await place_hold(
        client,
        bureau,
        kind=KIND,
        county_code="150602",
        citizen_id=child.citizen_id,
        reason="复议 / review",
    )
    refused = await client.post(
        "/v1/children/export", json={"citizen_id": child.citizen_id}, headers=writer
    )
    assert refused.status_code == 403, refused.text
    answer = await client.post(
        "/v1/children/export", json={"citizen_id": child.citizen_id}, headers=bureau
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["service"], body["student_key"]) == ("enrollment", child.child_key)
    sections = body["sections"]
    (application,) = sections["applications"]
    assert (application["citizen_id"], application["child_name"]) == (child.citizen_id, "李小11")
    assert application["guardian"]["phone"] == "13900001111"
    assert [a["application_id"] for a in sections["admissions"]] == [str(child.id)]
    assert [h["reason"] for h in sections["legal_holds"]] == ["复议 / review"]
    text = answer.text
    for name, other in rows.items():
        if name != "admitted":
            assert other.citizen_id not in text
            assert other.child_name not in text
    nobody = await client.post(
        "/v1/children/export", json={"citizen_id": cid("15060220190315999")}, headers=bureau
    )
    assert nobody.status_code == 200
    assert all(v == [] for v in nobody.json()["sections"].values())
    trail = await client.get(
        "/v1/audit", params={"kind": "child"}, headers=auth(token("audit:read"))
    )
    exports = [
        (e["action"], e["outcome"], e["record_ids"], e["classes"])
        for e in reversed(trail.json()["items"])
    ]
    assert exports == [
        ("export", "denied", [], []),  # the caller without enrollment:pii
        ("export", "ok", [str(child.id)], ["personal", "sensitive"]),
        ("export", "ok", [], ["personal", "sensitive"]),
    ]


async def test_an_erasure_under_a_standing_hold_is_a_409_legal_hold(
    replicas: Replicas, bureau: dict[str, Any]
) -> None:
    """No enrollment endpoint erases an application today; the kit's check any future erasure
    calls refuses while a hold on the record or the child stands, and lets it once released."""
    from junheng_kit.problems import Conflict
    from junheng_kit.retention.service import require_no_hold

    rows = await seed(replicas)
    child = rows["withdrawn"]
    placed = await place_hold(
        replicas.client,
        bureau,
        kind=KIND,
        county_code="150602",
        citizen_id=child.citizen_id,
        reason="诉讼 / litigation",
    )
    async with replicas.apps[0].state.sessionmaker() as session:
        with pytest.raises(Conflict) as refused:
            await require_no_hold(session, RETENTION, KIND, child_key=child.child_key)
        assert [e.rule for e in refused.value.errors] == ["legal_hold"]
        await require_no_hold(session, RETENTION, KIND, child_key=rows["recent"].child_key)
    await release_hold(replicas.client, bureau, placed["id"])
    async with replicas.apps[0].state.sessionmaker() as session:
        await require_no_hold(session, RETENTION, KIND, child_key=child.child_key)


async def test_a_hold_names_an_existing_record_of_the_county_and_one_subject(
    replicas: Replicas, bureau: dict[str, Any]
) -> None:
    rows = await seed(replicas)
    for body, status, rule in (
        ({"record_id": str(uuid7())}, 404, None),
        ({"record_id": "not-an-id"}, 404, None),
        ({"record_id": str(rows["elsewhere"].id)}, 404, None),
        ({}, 422, "hold_subject_one"),
        ({"kind": "aid.award_file", "record_id": str(rows["withdrawn"].id)}, 422, None),
    ):
        answer = await replicas.client.post(
            "/v1/legal-holds",
            json={"kind": KIND, "county_code": "150602", "reason": "复议", **body},
            headers=bureau,
        )
        assert answer.status_code == status, answer.text
        if rule:
            assert [e["rule"] for e in answer.json()["errors"]] == [rule]


async def test_the_scheduled_sweep_purges_every_county_under_its_rules(
    replicas: Replicas, bureau: dict[str, Any]
) -> None:
    """The sweep (every <PREFIX>_RETENTION_SWEEP_SECONDS on each replica) visits each county
    holding records: 150602 under its rule, 150603 with none ("no rule", untouched)."""
    rows = await seed(replicas)
    await set_rule(replicas.client, bureau, f"150602/{KIND}/2020-01-01", RULE)
    sessions = replicas.apps[0].state.sessionmaker
    assert replicas.apps[0].state.retention_sweeper.interval == 86400.0
    assert await purge.sweep(sessions, RETENTION) == 2
    async with sessions() as session:
        records = (
            await session.scalars(select(PurgeRecord).order_by(PurgeRecord.county_code))
        ).all()
    assert [(r.county_code, r.rule_ref, r.count, r.ran_by) for r in records] == [
        ("150602", f"150602/{KIND}/2020-01-01#1", 3, "retention-sweep"),
        ("150603", "no rule", 0, "retention-sweep"),
    ]
    assert (await stored(replicas, rows["elsewhere"].id)).child_name == "李小15"
