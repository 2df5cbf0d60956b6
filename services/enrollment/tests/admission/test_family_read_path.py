"""Issue 18 §3, the family-facing read path: status through the whole life (admitted with the
school, by the run or by 统筹; withdrawn), the refusals an admission imposes, the family's own
lottery explanation from the stored run, the admissions list, personal data behind
`enrollment:pii` and the lookup by citizen ID.

The run used throughout (tests/admission/test_stored_run_api.py's three families, the example
policy of domain.md §2.2): schools C (nine-year) and B, one seat each, D one seat outside the
zone; all three families rank C before B. The owner (户籍 and owned home in the zone) is tier 1
at both, the renter (户籍 in the zone) tier 2, the migrant family (居住证 and 30 months of 社保)
tier 4. Deferred acceptance: C keeps the owner, B the renter, the migrant family is unplaced and
统筹 offers it D.
"""

import copy
import hashlib
from typing import Any

import pytest
from httpx import AsyncClient

from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.testing.plugin import TokenFactory, auth

from .test_stored_run_api import RUN, B, C, ok, setup_county, three_families

D = "2115000004"
OWNER_ID = "15060220190101001" + citizen_id_check_character("15060220190101001")


@pytest.fixture
def policy() -> dict[str, Any]:
    """domain.md §2.2's illustrative tiers, the OpenAPI example of the priority-policy PUT."""
    from enrollment.admission.schemas import PriorityPolicyPut

    example = PriorityPolicyPut.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    return copy.deepcopy(example)  # type: ignore[no-any-return]


def lottery(application_id: str) -> str:
    """lottery/rules.py: SHA-256 of "{seed}:{application_id}" (single tie-breaking)."""
    return hashlib.sha256(f"{RUN['seed']}:{application_id}".encode()).hexdigest()


async def county_with_run(
    client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]
) -> tuple[str, str, str, dict[str, Any]]:
    await setup_county(client, writer, policy)
    await ok(
        await client.post(
            "/v1/schools",
            json={
                "school_code": D,
                "name": "统筹学校4",
                "levels": ["primary"],
                "county_code": "150602",
                "location": {"longitude": 109.99, "latitude": 39.83},
                "planned_capacity": 500,
            },
            headers=writer,
        ),
        201,
    )
    owner, renter, migrant = await three_families(client, writer)
    for code in (B, C, D):
        await ok(
            await client.put(
                f"/v1/schools/{code}/seats/2025",
                json={"level": "primary", "planned_classes": 1, "class_cap": 1},
                headers=writer,
            ),
            201,
        )
    run = await ok(await client.post("/v1/assignment-runs", json=RUN, headers=writer), 201)
    assert run["assignments"] == {owner: C, renter: B, migrant: None}
    return owner, renter, migrant, run


async def confirm(client: AsyncClient, writer: dict[str, str], run_id: str) -> dict[str, Any]:
    return await ok(  # type: ignore[no-any-return]
        await client.post(f"/v1/assignment-runs/{run_id}/admissions", json={}, headers=writer),
        201,
    )


class TestAdmittedStatus:
    async def test_a_confirmed_admission_makes_the_application_admitted_with_its_school(
        self, client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]
    ) -> None:
        owner, _, migrant, run = await county_with_run(client, writer, policy)
        before = await client.get(f"/v1/applications/{owner}", headers=writer)
        assert before.json()["status"] == "verified"
        assert before.json()["admission"] is None

        await confirm(client, writer, run["id"])

        after = await client.get(f"/v1/applications/{owner}", headers=writer)
        assert after.json()["status"] == "admitted"
        admission = after.json()["admission"]
        assert (admission["school_code"], admission["school_name"], admission["via"]) == (
            C,
            "测试学校3",
            "lottery",
        )
        assert admission["run_id"] == run["id"]
        assert after.headers["etag"] != before.headers["etag"]
        placed = await ok(await client.get(f"/v1/applications/{migrant}", headers=writer))
        assert placed["status"] == "admitted"
        assert (placed["admission"]["school_code"], placed["admission"]["via"]) == (
            D,
            "placement",
        )
        history = await ok(await client.get(f"/v1/applications/{owner}/history", headers=writer))
        last = history["items"][-1]
        assert (last["action"], last["from_status"], last["to_status"]) == (
            "admitted",
            "verified",
            "admitted",
        )
        assert last["detail"] == {"school_code": C, "via": "lottery", "run_id": run["id"]}

    async def test_a_family_polling_gets_304_until_the_admission_changes_the_answer(
        self, client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]
    ) -> None:
        owner, _, _, run = await county_with_run(client, writer, policy)
        first = await client.get(f"/v1/applications/{owner}", headers=writer)
        unchanged = await client.get(
            f"/v1/applications/{owner}",
            headers={**writer, "If-None-Match": first.headers["etag"]},
        )
        assert unchanged.status_code == 304
        assert unchanged.content == b""
        await confirm(client, writer, run["id"])
        changed = await client.get(
            f"/v1/applications/{owner}",
            headers={**writer, "If-None-Match": first.headers["etag"]},
        )
        assert changed.status_code == 200
        assert changed.json()["status"] == "admitted"

    async def test_the_condition_answers_nothing_outside_the_jurisdiction_or_for_unknown_ids(
        self, client: AsyncClient, writer: dict[str, str], policy: dict[str, Any],
        token: TokenFactory,
    ) -> None:  # fmt: skip
        await setup_county(client, writer, policy)
        owner, _, _ = await three_families(client, writer)
        first = await client.get(f"/v1/applications/{owner}", headers=writer)
        condition = {"If-None-Match": first.headers["etag"]}
        elsewhere = auth(token("enrollment:read", jurisdiction=("150203",)))
        hidden = await client.get(f"/v1/applications/{owner}", headers={**elsewhere, **condition})
        assert hidden.status_code == 404
        unknown = await client.get(
            "/v1/applications/" + "0" * 8 + "-0000-7000-8000-" + "0" * 12,
            headers={**writer, **condition},
        )
        assert unknown.status_code == 404
        anonymous = await client.get(f"/v1/applications/{owner}", headers=condition)
        assert anonymous.status_code == 401
        star = await client.get(
            f"/v1/applications/{owner}", headers={**writer, "If-None-Match": "*"}
        )
        assert star.status_code == 304


class TestAdmissionStands:
    async def test_an_admitted_application_is_not_reopened_rejected_or_withdrawn(
        self, client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]
    ) -> None:
        owner, _, _, run = await county_with_run(client, writer, policy)
        await confirm(client, writer, run["id"])
        for body in ({"to": "verifying"}, {"to": "rejected", "reason": "材料不实"}):
            refused = await client.post(
                f"/v1/applications/{owner}/transitions", json=body, headers=writer
            )
            assert refused.status_code == 409
            assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [
                ("to", "admission_stands")
            ]
        withdrawal = await client.post(
            f"/v1/applications/{owner}/withdrawal", json={}, headers=writer
        )
        assert withdrawal.status_code == 409
        assert withdrawal.json()["errors"][0]["rule"] == "admission_stands"
        still = await ok(await client.get(f"/v1/applications/{owner}", headers=writer))
        assert still["status"] == "admitted"


class TestWithdrawal:
    async def test_a_family_withdraws_before_admission_and_is_not_admitted_later(
        self, client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]
    ) -> None:
        owner, renter, _, run = await county_with_run(client, writer, policy)
        withdrawn = await ok(
            await client.post(
                f"/v1/applications/{renter}/withdrawal",
                json={"reason": "搬家 / moving away"},
                headers=writer,
            )
        )
        assert (withdrawn["status"], withdrawn["status_reason"]) == (
            "withdrawn",
            "搬家 / moving away",
        )
        again = await client.post(f"/v1/applications/{renter}/withdrawal", json={}, headers=writer)
        assert again.status_code == 422
        assert again.json()["errors"][0]["rule"] == "review_transition"

        confirmed = await confirm(client, writer, run["id"])
        assert confirmed["not_admitted"] == [renter]
        assert confirmed["by_school"] == {C: 1, D: 1}
        after = await ok(await client.get(f"/v1/applications/{renter}", headers=writer))
        assert (after["status"], after["admission"]) == ("withdrawn", None)
        admitted = await ok(await client.get(f"/v1/applications/{owner}", headers=writer))
        assert admitted["status"] == "admitted"


class TestExplanation:
    async def test_each_family_reads_its_number_tier_and_the_cutoffs_above_its_school(
        self, client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]
    ) -> None:
        owner, renter, migrant, run = await county_with_run(client, writer, policy)

        mine = await ok(await client.get(f"/v1/applications/{owner}/explanation", headers=writer))
        assert (mine["school_code"], mine["tier"], mine["lottery"]) == (C, 1, lottery(owner))
        assert mine["choices"] == [C, B]
        assert mine["ranked_above"] == []
        assert mine["run_id"] == run["id"]

        # the renter ranked C first: C admitted down to tier 1 (the owner), the renter is tier 2
        second = await ok(
            await client.get(f"/v1/applications/{renter}/explanation", headers=writer)
        )
        assert (second["school_code"], second["tier"], second["lottery"]) == (
            B,
            2,
            lottery(renter),
        )
        [at_c] = second["ranked_above"]
        assert at_c["school_code"] == C
        assert (at_c["tier"], at_c["lottery"]) == (2, lottery(renter))
        assert (at_c["cutoff_tier"], at_c["cutoff_lottery"]) == (1, lottery(owner))
        [reason] = at_c["reasons"]
        assert reason["code"] == "tier_below_cutoff"
        assert reason["zh"] == "该校录取到第 1 类为止，你在该校为第 2 类"
        assert reason["en"] == "the school admitted down to tier 1; your tier there is 2"

        # the migrant family (tier 4) missed C (cut at tier 1) and B (cut at tier 2)
        unplaced = await ok(
            await client.get(f"/v1/applications/{migrant}/explanation", headers=writer)
        )
        assert (unplaced["school_code"], unplaced["tier"], unplaced["lottery"]) == (
            None,
            None,
            lottery(migrant),
        )
        assert [
            (s["school_code"], s["tier"], s["cutoff_tier"], s["reasons"][0]["code"])
            for s in unplaced["ranked_above"]
        ] == [(C, 4, 1, "tier_below_cutoff"), (B, 4, 2, "tier_below_cutoff")]
        assert unplaced["summary_zh"] == "本次派位未分到学校，待统筹安排"

        await confirm(client, writer, run["id"])
        placed = await ok(
            await client.get(f"/v1/applications/{migrant}/explanation", headers=writer)
        )
        assert placed["summary_zh"] == f"本次派位未分到学校；统筹安排录取到 {D}"
        assert (
            placed["summary_en"]
            == f"the run did not place you; the bureau placed you at {D} (统筹)"
        )

    async def test_an_application_in_no_run_has_no_explanation(
        self, client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]
    ) -> None:
        await setup_county(client, writer, policy)
        owner, _, _ = await three_families(client, writer)
        missing = await client.get(f"/v1/applications/{owner}/explanation", headers=writer)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"


class TestAdmissionsList:
    async def test_admissions_are_listed_by_school_and_run_page_by_page(
        self, client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]
    ) -> None:
        owner, _, migrant, run = await county_with_run(client, writer, policy)
        await confirm(client, writer, run["id"])
        at_c = await ok(await client.get(f"/v1/admissions?school_code={C}", headers=writer))
        assert [(a["application_id"], a["via"], a["school_name"]) for a in at_c["items"]] == [
            (owner, "lottery", "测试学校3")
        ]
        seen, cursor = [], None
        while True:
            query = f"/v1/admissions?run_id={run['id']}&limit=2" + (
                f"&cursor={cursor}" if cursor else ""
            )
            page = await ok(await client.get(query, headers=writer))
            seen += [a["application_id"] for a in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == 3
        assert seen == sorted(seen)
        assert migrant in seen

    async def test_another_countys_client_sees_no_admission(
        self, client: AsyncClient, writer: dict[str, str], policy: dict[str, Any],
        token: TokenFactory,
    ) -> None:  # fmt: skip
        _, _, _, run = await county_with_run(client, writer, policy)
        await confirm(client, writer, run["id"])
        elsewhere = auth(token("enrollment:read", jurisdiction=("150203",)))
        page = await ok(await client.get("/v1/admissions", headers=elsewhere))
        assert page["items"] == []


class TestPersonalData:
    async def test_without_enrollment_pii_the_child_and_guardian_are_masked(
        self, client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]
    ) -> None:
        await setup_county(client, writer, policy)
        owner, _, _ = await three_families(client, writer)
        masked = await ok(await client.get(f"/v1/applications/{owner}", headers=writer))
        assert masked["child"] == {
            "citizen_id": OWNER_ID[:6] + "********" + OWNER_ID[-4:],
            "name": "孩*",
            "birth_date": None,
            "student_number": None,
        }
        assert masked["guardian"] == {"name": "家*", "relation": "mother", "phone": "139****0000"}
        assert masked["home"] == {"longitude": 109.98, "latitude": 39.81, "address": "东胜区****"}
        assert masked["household"]["hukou"]["address"] == "二小片****"

    async def test_with_enrollment_pii_everything_is_shown(
        self, client: AsyncClient, writer: dict[str, str], policy: dict[str, Any],
        token: TokenFactory,
    ) -> None:  # fmt: skip
        await setup_county(client, writer, policy)
        owner, _, _ = await three_families(client, writer)
        pii = auth(token("enrollment:read", "enrollment:pii"))
        full = await ok(await client.get(f"/v1/applications/{owner}", headers=pii))
        assert full["child"] == {
            "citizen_id": OWNER_ID,
            "name": "孩子",
            "birth_date": "2019-01-01",
            "student_number": None,
        }
        assert full["guardian"]["phone"] == "13900000000"
        assert full["home"]["address"] == "东胜区某路"
        assert full["household"]["hukou"]["address"] == "二小片区"


class TestSearchByCitizenId:
    async def test_the_lookup_needs_enrollment_pii(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        refused = await client.post(
            "/v1/applications/search", json={"citizen_id": OWNER_ID}, headers=writer
        )
        assert refused.status_code == 403
        assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [
            ("scope", "scope_required")
        ]

    async def test_a_childs_applications_are_found_by_its_citizen_id(
        self, client: AsyncClient, writer: dict[str, str], policy: dict[str, Any],
        token: TokenFactory,
    ) -> None:  # fmt: skip
        await setup_county(client, writer, policy)
        owner, _, _ = await three_families(client, writer)
        pii = auth(token("enrollment:read", "enrollment:pii"))
        found = await ok(
            await client.post("/v1/applications/search", json={"citizen_id": OWNER_ID}, headers=pii)
        )
        assert [(a["id"], a["child"]["citizen_id"]) for a in found["items"]] == [(owner, OWNER_ID)]
        other = "11010520190101002" + citizen_id_check_character("11010520190101002")
        none = await ok(
            await client.post("/v1/applications/search", json={"citizen_id": other}, headers=pii)
        )
        assert none["items"] == []
        elsewhere = auth(token("enrollment:read", "enrollment:pii", jurisdiction=("150203",)))
        hidden = await ok(
            await client.post(
                "/v1/applications/search", json={"citizen_id": OWNER_ID}, headers=elsewhere
            )
        )
        assert hidden["items"] == []

    async def test_the_masked_and_the_unmasked_answer_each_have_their_own_etag(
        self, client: AsyncClient, writer: dict[str, str], policy: dict[str, Any],
        token: TokenFactory,
    ) -> None:  # fmt: skip
        """Two representations of one version (RFC 9110 §8.8.3): a 304 never tells a caller
        with `enrollment:pii` that the masked body it holds is current, nor the reverse."""
        await setup_county(client, writer, policy)
        owner, _, _ = await three_families(client, writer)
        url = f"/v1/applications/{owner}"
        pii = auth(token("enrollment:read", "enrollment:write", "enrollment:pii"))
        masked = await client.get(url, headers=writer)
        full = await client.get(url, headers=pii)
        assert full.headers["etag"] == masked.headers["etag"][:-1] + '-pii"'
        crossed = await client.get(url, headers={**pii, "If-None-Match": masked.headers["etag"]})
        assert crossed.status_code == 200
        assert crossed.json()["child"]["name"] == "孩子"
        back = await client.get(url, headers={**writer, "If-None-Match": full.headers["etag"]})
        assert back.status_code == 200
        assert back.json()["child"]["name"] == "孩*"
        same = await client.get(url, headers={**pii, "If-None-Match": full.headers["etag"]})
        assert same.status_code == 304
        assert same.headers["etag"] == full.headers["etag"]
        # If-Match takes either ETag of the version
        withdrawn = await client.post(
            f"{url}/withdrawal", json={}, headers={**pii, "If-Match": full.headers["etag"]}
        )
        assert withdrawn.status_code == 200
        assert withdrawn.headers["etag"].endswith('-pii"')
