"""Applications, review and 随迁子女 verification over HTTP, on SQLite and PostgreSQL.

The county: two primary zones side by side near Dongsheng — Z1 (单校, school A) and Z2 (多校,
schools B and C) — and the example priority policy (tiers 1–4 of domain.md §2.2, 随迁子女 with
≥ 12 months of 居住证 and of social insurance on 2025-08-31).
"""

import asyncio
import copy
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission.models import Application, ApplicationEvent
from enrollment.admission.schemas import PriorityPolicyPut
from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import TokenFactory, auth

A, B, C, J = "2115000001", "2115000002", "3115000003", "3115000004"
YEAR = 2025


def square(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


ZONES = {
    "county_code": "150602",
    "level": "primary",
    "year": YEAR,
    "effective_from": "2025-01-01",
    "zones": {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"zone_code": "Z1", "name": "一小片区", "school_codes": [A]},
                "geometry": square(109.95, 39.80, 109.97, 39.82),
            },
            {
                "type": "Feature",
                "properties": {"zone_code": "Z2", "name": "二小片区", "school_codes": [B, C]},
                "geometry": square(109.97, 39.80, 109.99, 39.82),
            },
        ],
    },
}
IN_Z1 = {"longitude": 109.96, "latitude": 39.81}
IN_Z2 = {"longitude": 109.98, "latitude": 39.81}
NOWHERE = {"longitude": 110.50, "latitude": 39.81}
POLICY: dict[str, Any] = copy.deepcopy(
    PriorityPolicyPut.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
)


def cid(body: str) -> str:
    """A valid 公民身份号码 for a 17-digit body (check character by MOD 11-2)."""
    return body + citizen_id_check_character(body)


def application(
    body17: str = "15060220190315001",
    *,
    birth_date: str = "2019-03-15",
    home: dict[str, float] | None = None,
    hukou_county: str = "150602",
    hukou_location: dict[str, float] | None = None,
    housing: str = "owned",
    permit: str | None = None,
    insurance: int = 36,
    choices: list[str] | None = None,
) -> dict[str, Any]:
    home = home or IN_Z1
    hukou: dict[str, Any] = {"county_code": hukou_county, "type": "urban", "address": "某街道"}
    if hukou_location is not None:
        hukou["location"] = hukou_location
    household: dict[str, Any] = {
        "hukou": hukou,
        "housing": housing,
        "social_insurance_months": insurance,
    }
    if permit:
        household["residence_permit"] = {"issued_on": permit}
    body: dict[str, Any] = {
        "county_code": "150602",
        "year": YEAR,
        "grade": 1,
        "child": {"citizen_id": cid(body17), "name": "王小明", "birth_date": birth_date},
        "guardian": {"name": "王建国", "relation": "father", "phone": "13800000000"},
        "household": household,
        "home": {**home, "address": "东胜区某路1号"},
    }
    if choices is not None:
        body["choices"] = choices
    return body


@pytest.fixture
async def county(client: AsyncClient, writer: dict[str, str]) -> None:
    for code, levels, lon in (
        (A, ["primary"], 109.96),
        (B, ["primary"], 109.975),
        (C, ["nine_year"], 109.985),
        (J, ["junior"], 109.98),
    ):
        response = await client.post(
            "/v1/schools",
            json={
                "school_code": code,
                "name": f"测试学校{code[-1]}",
                "levels": levels,
                "county_code": "150602",
                "location": {"longitude": lon, "latitude": 39.81},
                "planned_capacity": 1000,
            },
            headers=writer,
        )
        assert response.status_code == 201, response.text
    response = await client.post("/v1/zone-maps", json=ZONES, headers=writer)
    assert response.status_code == 201, response.text
    response = await client.put(
        f"/v1/priority-policies/150602/{YEAR}/primary", json=POLICY, headers=writer
    )
    assert response.status_code == 201, response.text


async def counts(session: AsyncSession) -> tuple[int, int]:
    applications = await session.scalar(select(func.count()).select_from(Application))
    outbox = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.subject == "enrollment.application.submitted")
    )
    return int(applications or 0), int(outbox or 0)


def error_of(response: Any) -> tuple[str, str]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    errors = response.json()["errors"]
    assert errors, response.text
    return errors[0]["field"], errors[0]["rule"]


@pytest.mark.usefixtures("county")
class TestSubmit:
    async def test_single_school_zone_fills_the_choice_and_announces(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        response = await client.post("/v1/applications", json=application(), headers=writer)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["status"] == "submitted"
        assert body["choices"] == [A]
        assert body["school_options"] == [A]
        assert body["home_zone_code"] == "Z1"
        assert body["migrant"] is False
        assert body["level"] == "primary"
        assert [c["document"] for c in body["checklist"]] == ["hukou_booklet", "property_deed"]
        assert {c["status"] for c in body["checklist"]} == {"not_checked"}
        assert response.headers["location"] == f"/v1/applications/{body['id']}"
        assert await counts(session) == (1, 1)
        event = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.subject == "enrollment.application.submitted")
        )
        assert event is not None
        payload = event.payload if isinstance(event.payload, str) else str(event.payload)
        assert cid("15060220190315001") not in payload  # no citizen ID in the event
        assert "王小明" not in payload
        assert body["child_key"] in payload

    async def test_multi_school_zone_takes_ranked_choices(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.post(
            "/v1/applications", json=application(home=IN_Z2, choices=[C, B]), headers=writer
        )
        assert response.status_code == 201, response.text
        assert response.json()["choices"] == [C, B]
        assert response.json()["school_options"] == [B, C]

    async def test_hukou_zone_adds_its_schools_to_the_options(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        body = application(home=IN_Z2, hukou_location=IN_Z1, choices=[A, B])
        response = await client.post("/v1/applications", json=body, headers=writer)
        assert response.status_code == 201, response.text
        assert response.json()["school_options"] == [B, C, A]
        assert response.json()["hukou_zone_code"] == "Z1"

    @pytest.mark.parametrize(
        ("change", "status", "field", "rule"),
        [
            (  # wrong check character
                lambda b: b["child"].update(
                    citizen_id=b["child"]["citizen_id"][:17] + "0"
                    if b["child"]["citizen_id"][17] != "0"
                    else b["child"]["citizen_id"][:17] + "1"
                ),
                422,
                "child.citizen_id",
                "citizen_id_check_digit",
            ),
            (
                lambda b: b["child"].update(birth_date="2019-03-16"),
                422,
                "child.birth_date",
                "citizen_id_birth_date",
            ),
            (
                lambda b: b["child"].update(
                    citizen_id=cid("15060220300101001"), birth_date="2030-01-01"
                ),
                422,
                "child.birth_date",
                "birth_date_past",
            ),
            (  # born the day after the cut-off: enters in 2026
                lambda b: b["child"].update(
                    citizen_id=cid("15060220190901001"), birth_date="2019-09-01"
                ),
                422,
                "child.birth_date",
                "entry_age",
            ),
            (lambda b: b.update(choices=[B]), 422, "choices[0]", "choice_in_zone"),
            (lambda b: b.update(choices=["2115999999"]), 422, "choices[0]", "school_known"),
            (lambda b: b.update(home={**NOWHERE, "address": "远处"}), 422, "home", "home_in_zones"),
            (
                lambda b: b.update(home={**IN_Z2, "address": "二小旁"}),
                422,
                "choices",
                "choices_required",
            ),
            (lambda b: b.update(grade=3), 422, "grade", "literal_error"),
            (lambda b: b.update(choices=[A, A]), 422, "choices", "choices_unique"),
        ],
    )
    async def test_bad_application_names_field_and_rule_and_stores_nothing(
        self,
        client: AsyncClient,
        session: AsyncSession,
        writer: dict[str, str],
        change: Any,
        status: int,
        field: str,
        rule: str,
    ) -> None:
        body = application()
        change(body)
        response = await client.post("/v1/applications", json=body, headers=writer)
        assert response.status_code == status, response.text
        assert error_of(response) == (field, rule)
        assert await counts(session) == (0, 0)

    async def test_born_on_the_cutoff_day_is_old_enough(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        body = application("15060220190831001", birth_date="2019-08-31")
        response = await client.post("/v1/applications", json=body, headers=writer)
        assert response.status_code == 201, response.text

    async def test_the_same_child_twice_is_409(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        assert (
            await client.post("/v1/applications", json=application(), headers=writer)
        ).status_code == 201
        again = application(home=IN_Z2, choices=[B])
        response = await client.post("/v1/applications", json=again, headers=writer)
        assert response.status_code == 409
        assert error_of(response) == ("child.citizen_id", "application_unique")
        assert await counts(session) == (1, 1)

    async def test_the_submission_answer_is_the_application_as_read_back(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        """The common case is answered by a fast handler (no FastAPI routing or response
        re-validation); its answer must be what the route model gives when read back."""
        created = await client.post(
            "/v1/applications", json=application(home=IN_Z2, choices=[C, B]), headers=writer
        )
        assert created.status_code == 201, created.text
        assert created.headers["content-type"] == "application/json"
        read = await client.get(created.headers["location"], headers=writer)
        assert read.status_code == 200
        assert created.json() == read.json()
        assert created.headers["etag"] == read.headers["etag"]

    async def test_applications_arriving_together_are_each_answered_as_if_alone(
        self,
        app: Any,
        client: AsyncClient,
        session: AsyncSession,
        pii_writer: dict[str, str],
        token: TokenFactory,
    ) -> None:
        """Group commit: submissions sent at once share transactions, yet every family gets the
        answer a lone submission gets, a refused one writes nothing, and of the same child sent
        twice at once exactly one is recorded."""
        writer = pii_writer  # answers are compared with what was sent: unmasked
        tongyu = auth(token("enrollment:read", "enrollment:write", jurisdiction=("220822",)))

        def of(body17: str, **changes: Any) -> dict[str, Any]:
            born = body17[6:14]
            changes.setdefault("birth_date", f"{born[:4]}-{born[4:6]}-{born[6:]}")
            return application(body17, **changes)

        twin = of("15060220190401002")
        sent: list[tuple[dict[str, Any], dict[str, str], int, tuple[str, str] | None]] = [
            (of("15060220190315001"), writer, 201, None),
            (of("15060220190316001", home=IN_Z2, choices=[C, B]), writer, 201, None),
            (twin, writer, 201, None),
            (twin, writer, 409, ("child.citizen_id", "application_unique")),
            (of("15060220200101003"), writer, 422, ("child.birth_date", "entry_age")),
            (
                of("15060220190317004", birth_date="2019-03-18"),
                writer,
                422,
                ("child.birth_date", "citizen_id_birth_date"),
            ),
            (
                of("15060220190318005", home=IN_Z2, choices=[A]),
                writer,
                422,
                ("choices[0]", "choice_in_zone"),
            ),
            (of("15060220190319006", home=NOWHERE), writer, 422, ("home", "home_in_zones")),
            (of("15060220190320007"), tongyu, 403, ("county_code", "jurisdiction")),
            (of("15060220190321008", home=IN_Z2, choices=[B]), writer, 201, None),
        ]
        answers = await asyncio.gather(
            *(client.post("/v1/applications", json=body, headers=h) for body, h, _, _ in sent)
        )
        twins = sorted(
            a.status_code for (body, *_), a in zip(sent, answers, strict=True) if body is twin
        )
        assert twins == [201, 409]
        for (body, _, status, error), answer in zip(sent, answers, strict=True):
            if body is twin:
                continue
            assert answer.status_code == status, answer.text
            if error:
                assert error_of(answer) == error
            else:
                assert answer.json()["child"]["citizen_id"] == body["child"]["citizen_id"]
                assert answer.json()["checklist"]
        batcher = app.state.application_submissions.batcher
        assert batcher.items == len(sent)
        assert batcher.batches < len(sent)  # they really shared transactions
        assert await counts(session) == (4, 4)
        trail = await session.scalar(select(func.count()).select_from(ApplicationEvent))
        assert trail == 4
        ids = {a.json()["id"] for a in answers if a.status_code == 201}
        stored = set(await session.scalars(select(Application.id)))
        assert {str(i) for i in stored} == ids

    async def test_idempotency_key_replays_the_first_answer(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        headers = {**writer, "Idempotency-Key": "family-42-try-1"}
        first = await client.post("/v1/applications", json=application(), headers=headers)
        second = await client.post("/v1/applications", json=application(), headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json()["id"] == second.json()["id"]
        assert await counts(session) == (1, 1)

    async def test_another_county_cannot_apply_here_or_read(
        self, client: AsyncClient, writer: dict[str, str], token: TokenFactory
    ) -> None:
        created = await client.post("/v1/applications", json=application(), headers=writer)
        tongyu = auth(token("enrollment:read", "enrollment:write", jurisdiction=("220822",)))
        response = await client.post(
            "/v1/applications", json=application("15060220190315002"), headers=tongyu
        )
        assert response.status_code == 403
        assert (
            await client.get(f"/v1/applications/{created.json()['id']}", headers=tongyu)
        ).status_code == 404
        listed = await client.get("/v1/applications", headers=tongyu)
        assert listed.json()["items"] == []

    async def test_the_list_pages_by_cursor_and_refuses_one_it_did_not_issue(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        for number in ("15060220190315001", "15060220190315002", "15060220190315003"):
            created = await client.post(
                "/v1/applications", json=application(number), headers=writer
            )
            assert created.status_code == 201, created.text
        seen: list[str] = []
        params: dict[str, str | int] = {"limit": 2}
        while True:
            page = (await client.get("/v1/applications", params=params, headers=writer)).json()
            seen += [item["id"] for item in page["items"]]
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
        assert len(seen) == len(set(seen)) >= 3
        assert seen == sorted(seen)  # oldest first, by id
        for cursor in ("MjExNTA2MDAwMQ", "%%%"):  # base64 of a school code; not base64 at all
            refused = await client.get(
                "/v1/applications", params={"cursor": cursor}, headers=writer
            )
            assert refused.status_code == 422
            assert [e["rule"] for e in refused.json()["errors"]] == ["cursor_invalid"]


MIGRANT_DOCS = [
    "hukou_booklet",
    "residence_permit",
    "registered_lease",
    "lawful_job",
    "social_insurance",
]


@pytest.mark.usefixtures("county")
class TestReview:
    async def migrant(self, client: AsyncClient, writer: dict[str, str]) -> dict[str, Any]:
        body = application(
            "15020320190402002",
            birth_date="2019-04-02",
            home=IN_Z2,
            hukou_county="150203",
            housing="rented",
            permit="2023-05-10",
            insurance=24,
            choices=[C, B],
        )
        response = await client.post("/v1/applications", json=body, headers=writer)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def move(
        self,
        client: AsyncClient,
        writer: dict[str, str],
        app_id: str,
        to: str,
        reason: str | None = None,
    ) -> Any:
        body: dict[str, Any] = {"to": to}
        if reason:
            body["reason"] = reason
        return await client.post(
            f"/v1/applications/{app_id}/transitions", json=body, headers=writer
        )

    async def check(
        self,
        client: AsyncClient,
        writer: dict[str, str],
        app_id: str,
        document: str,
        result: str,
        reason: str | None = None,
    ) -> Any:
        body: dict[str, Any] = {"result": result, "source": "公安 居住证 register"}
        if reason:
            body["reason"] = reason
        return await client.put(
            f"/v1/applications/{app_id}/verifications/{document}", json=body, headers=writer
        )

    async def test_migrant_child_goes_through_the_documents_loop(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        created = await self.migrant(client, writer)
        app_id = created["id"]
        assert created["migrant"] is True
        assert [c["document"] for c in created["checklist"]] == MIGRANT_DOCS

        assert (await self.move(client, writer, app_id, "verifying")).status_code == 200
        early = await self.move(client, writer, app_id, "verified")
        assert early.status_code == 422
        assert {e["field"] for e in early.json()["errors"]} == {
            f"checklist.{d}" for d in MIGRANT_DOCS
        }
        assert {e["rule"] for e in early.json()["errors"]} == {"document_confirmed"}

        for document in MIGRANT_DOCS[:-1]:
            assert (
                await self.check(client, writer, app_id, document, "confirmed")
            ).status_code == 200
        refuted = await self.check(
            client,
            writer,
            app_id,
            "social_insurance",
            "refuted",
            "only 10 months paid in this city",
        )
        assert refuted.status_code == 200
        assert (await self.move(client, writer, app_id, "verified")).status_code == 422
        waiting = await self.move(
            client, writer, app_id, "needs_documents", "bring 社保 records for 2023–2025"
        )
        assert waiting.json()["status"] == "needs_documents"
        assert waiting.json()["status_reason"] == "bring 社保 records for 2023–2025"
        assert (await self.move(client, writer, app_id, "verifying")).status_code == 200
        assert (
            await self.check(client, writer, app_id, "social_insurance", "confirmed")
        ).status_code == 200
        verified = await self.move(client, writer, app_id, "verified")
        assert verified.status_code == 200, verified.text
        assert {c["status"] for c in verified.json()["checklist"]} == {"confirmed"}

        history = (await client.get(f"/v1/applications/{app_id}/history", headers=writer)).json()
        actions = [(h["action"], h["to_status"]) for h in history["items"]]
        assert actions[0] == ("submitted", "submitted")
        assert actions.count(("document_checked", "verifying")) == 6  # 4 + refuted + re-check
        assert ("status_changed", "needs_documents") in actions
        assert actions[-1] == ("status_changed", "verified")
        refute = [h for h in history["items"] if h["detail"].get("result") == "refuted"]
        assert refute[0]["reason"] == "only 10 months paid in this city"
        assert await session.scalar(select(func.count()).select_from(ApplicationEvent)) == len(
            actions
        )

        # fair placement: the migrant family's tier at each choice under the county's rules
        priorities = (
            await client.get(f"/v1/applications/{app_id}/priorities", headers=writer)
        ).json()
        assert priorities["facts"]["residence_permit_months"] == 27  # 2023-05-10 → 2025-08-31
        assert [(s["school_code"], s["tier"]) for s in priorities["schools"]] == [(C, 4), (B, 4)]

    async def test_review_steps_out_of_order_are_refused(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        created = await self.migrant(client, writer)
        response = await self.move(client, writer, created["id"], "verified")
        assert response.status_code == 422
        assert error_of(response) == ("to", "review_transition")
        no_reason = await self.move(client, writer, created["id"], "rejected")
        assert no_reason.status_code == 422
        assert error_of(no_reason)[1] == "reason_required"
        rejected = await self.move(client, writer, created["id"], "rejected", "duplicate family")
        assert rejected.json()["status"] == "rejected"
        final = await self.move(client, writer, created["id"], "verifying")
        assert final.status_code == 422
        late_check = await self.check(client, writer, created["id"], "lawful_job", "confirmed")
        assert late_check.status_code == 422
        assert error_of(late_check)[1] == "review_open"

    async def test_a_document_not_on_the_checklist_is_refused(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        local = (await client.post("/v1/applications", json=application(), headers=writer)).json()
        response = await self.check(client, writer, local["id"], "residence_permit", "confirmed")
        assert response.status_code == 422
        assert error_of(response) == ("path.document", "document_in_checklist")

    async def test_stale_if_match_is_412(self, client: AsyncClient, writer: dict[str, str]) -> None:
        created = await self.migrant(client, writer)
        response = await client.post(
            f"/v1/applications/{created['id']}/transitions",
            json={"to": "verifying"},
            headers={**writer, "If-Match": f'"{created["version"] + 5}"'},
        )
        assert response.status_code == 412


@pytest.mark.usefixtures("county")
class TestPolicy:
    async def test_versions_are_kept_and_the_one_in_force_answers(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        changed = copy.deepcopy(POLICY)
        changed["effective_from"] = "2025-06-01"
        changed["tiers"][3]["all_of"][2]["value"] = 6
        response = await client.put(
            f"/v1/priority-policies/150602/{YEAR}/primary", json=changed, headers=writer
        )
        assert response.json()["version"] == 2
        old = await client.get(
            f"/v1/priority-policies/150602/{YEAR}/primary?on=2025-05-15", headers=writer
        )
        assert old.json()["version"] == 1
        assert old.json()["tiers"][3]["all_of"][2]["value"] == 12
        new = await client.get(
            f"/v1/priority-policies/150602/{YEAR}/primary?on=2025-06-01", headers=writer
        )
        assert new.json()["version"] == 2
        versions = await client.get(
            f"/v1/priority-policies/150602/{YEAR}/primary/versions", headers=writer
        )
        assert [v["version"] for v in versions.json()["items"]] == [1, 2]

    async def test_a_version_beyond_any_stored_integer_is_422_not_a_500(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        # found by fuzzing: the number reached the database and overflowed its integer
        response = await client.get(
            f"/v1/priority-policies/150602/{YEAR}/primary?version=99999999999999999999",
            headers=writer,
        )
        assert response.status_code == 422
        assert error_of(response) == ("query.version", "less_than_equal")

    @pytest.mark.parametrize(
        ("change", "field", "rule"),
        [
            (
                lambda p: p["tiers"][0]["all_of"][0].update(op="gte"),
                "tiers.0.all_of.0",
                "condition_boolean",
            ),
            (
                lambda p: p["tiers"][3]["all_of"][2].update(value=-1),
                "tiers.3.all_of.2",
                "condition_months",
            ),
            (lambda p: p["tiers"].reverse(), "tiers", "tiers_ordered"),
            (
                lambda p: p.update(entry_age_cutoff="8-31"),
                "entry_age_cutoff",
                "entry_age_cutoff_format",
            ),
            (
                lambda p: p["tiers"][0]["all_of"][0].update(fact="income"),
                "tiers.0.all_of.0.fact",
                "literal_error",
            ),
        ],
    )
    async def test_bad_policy_names_field_and_rule(
        self, client: AsyncClient, writer: dict[str, str], change: Any, field: str, rule: str
    ) -> None:
        body = copy.deepcopy(POLICY)
        change(body)
        response = await client.put(
            f"/v1/priority-policies/150602/{YEAR}/primary", json=body, headers=writer
        )
        assert response.status_code == 422
        assert error_of(response) == (field, rule)
