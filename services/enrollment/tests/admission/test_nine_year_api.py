"""九年一贯制对口 over HTTP, on SQLite and PostgreSQL (issue 19; seed 003
"着力推行九年一贯制对口招生", "逐步推进九年一贯制对口招生"): a grade-7 application names the primary
school the child leaves, a county's junior policy may rank the own leavers of a 九年一贯制学校
(`own_primary_leaver`), and the tiers shown per application and used by 电脑派位 follow.

The county: one junior zone JZ holding N (九年一贯制 by its level `nine_year`), T (九年一贯制 by
its 办学类型 312) and J (初级中学); one primary zone PZ holding P (小学) and N. The junior policy
is a county's own, not a default: own leavers first, then domain.md §2.2's order.
"""

import copy
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission.models import Application
from enrollment.admission.schemas import PriorityPolicyPut

from .test_applications_api import cid, counts, error_of
from .test_stored_run_api import ok

P, N, J, T = "2115000001", "3115000003", "3115000004", "3115000005"
YEAR = 2025
IN_ZONE = {"longitude": 109.98, "latitude": 39.81}
SQUARE = [[[109.97, 39.80], [109.99, 39.80], [109.99, 39.82], [109.97, 39.82], [109.97, 39.80]]]
EXAMPLE: dict[str, Any] = PriorityPolicyPut.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
OWN_LEAVERS = {
    "tier": 1,
    "name": "本校小学毕业生 (九年一贯制对口)",
    "all_of": [{"fact": "own_primary_leaver", "op": "is", "value": True}],
}
JUNIOR_POLICY = {
    **copy.deepcopy(EXAMPLE),
    "source": "某县2025年初中招生方案 (test county's own ranking)",
    "tiers": [OWN_LEAVERS] + [{**t, "tier": t["tier"] + 1} for t in EXAMPLE["tiers"]],
}


def zone_map(level: str, schools: list[str]) -> dict[str, Any]:
    feature = {
        "type": "Feature",
        "properties": {
            "zone_code": f"{level[0].upper()}Z",
            "name": "片区",
            "school_codes": schools,
        },
        "geometry": {"type": "Polygon", "coordinates": SQUARE},
    }
    return {
        "county_code": "150602",
        "level": level,
        "year": YEAR,
        "effective_from": "2025-01-01",
        "zones": {"type": "FeatureCollection", "features": [feature]},
    }


@pytest.fixture
async def county(client: AsyncClient, writer: dict[str, str]) -> None:
    for code, levels, extra in (
        (P, ["primary"], {}),
        (N, ["nine_year"], {}),
        (J, ["junior"], {}),
        (T, ["primary", "junior"], {"school_type": "312"}),
    ):
        school = {
            "school_code": code,
            "name": f"测试学校{code[-1]}",
            "levels": levels,
            "county_code": "150602",
            "location": IN_ZONE,
            "planned_capacity": 1000,
            **extra,
        }
        await ok(await client.post("/v1/schools", json=school, headers=writer), 201)
    for level, schools in (("junior", [N, J, T]), ("primary", [P, N])):
        await ok(
            await client.post("/v1/zone-maps", json=zone_map(level, schools), headers=writer), 201
        )
    for level, policy in (("junior", JUNIOR_POLICY), ("primary", EXAMPLE)):
        url = f"/v1/priority-policies/150602/{YEAR}/{level}"
        await ok(await client.put(url, json=policy, headers=writer), 201)


def junior(
    body17: str = "15060220120315001",
    *,
    primary_school_code: str | None = None,
    choices: list[str] | None = None,
    owner_in_zone: bool = False,
) -> dict[str, Any]:
    """A grade-7 application of a local family living in JZ: renting with its 户籍 elsewhere in
    the county (tier 4 of the policy anywhere in JZ), or owning its home with 户籍 in JZ
    (tier 2)."""
    hukou: dict[str, Any] = {"county_code": "150602", "type": "urban", "address": "东胜区某街道"}
    if owner_in_zone:
        hukou["location"] = IN_ZONE
    body: dict[str, Any] = {
        "county_code": "150602",
        "year": YEAR,
        "grade": 7,
        "child": {
            "citizen_id": cid(body17),
            "name": "李小华",
            "birth_date": f"{body17[6:10]}-{body17[10:12]}-{body17[12:14]}",
        },
        "guardian": {"name": "李建国", "relation": "father", "phone": "13800000000"},
        "household": {"hukou": hukou, "housing": "owned" if owner_in_zone else "rented"},
        "home": {**IN_ZONE, "address": "东胜区某路1号"},
        "choices": choices or [N, J],
    }
    if primary_school_code is not None:
        body["primary_school_code"] = primary_school_code
    return body


@pytest.mark.usefixtures("county")
class TestApplication:
    async def test_the_primary_school_is_stored_and_read_back(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        created = await ok(
            await client.post(
                "/v1/applications", json=junior(primary_school_code=N), headers=writer
            ),
            201,
        )
        assert (created["grade"], created["primary_school_code"]) == (7, N)
        read = await ok(await client.get(f"/v1/applications/{created['id']}", headers=writer))
        assert read == created
        assert await session.scalar(select(Application.primary_school_code)) == N

    async def test_it_is_optional(self, client: AsyncClient, writer: dict[str, str]) -> None:
        created = await ok(
            await client.post("/v1/applications", json=junior(), headers=writer), 201
        )
        assert created["primary_school_code"] is None

    @pytest.mark.parametrize(
        ("change", "rule"),
        [
            (  # a grade-1 child leaves no primary school
                lambda b: b.update(
                    grade=1,
                    child={
                        **b["child"],
                        "citizen_id": cid("15060220190315001"),
                        "birth_date": "2019-03-15",
                    },
                    choices=[P],
                ),
                "primary_school_for_junior",
            ),
            (lambda b: b.update(primary_school_code="2115999999"), "school_registered"),
            (lambda b: b.update(primary_school_code=J), "school_level"),  # no primary section
            (lambda b: b.update(primary_school_code="21150001"), "school_code_format"),
        ],
    )
    async def test_a_wrong_school_is_422_naming_it_and_stores_nothing(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str], change: Any,
        rule: str,
    ) -> None:  # fmt: skip
        body = junior(primary_school_code=P)
        change(body)
        response = await client.post("/v1/applications", json=body, headers=writer)
        assert response.status_code == 422, response.text
        assert error_of(response) == ("primary_school_code", rule)
        assert await counts(session) == (0, 0)


async def priorities(client: AsyncClient, writer: dict[str, str], body: dict[str, Any]) -> Any:
    created = await ok(await client.post("/v1/applications", json=body, headers=writer), 201)
    return await ok(
        await client.get(f"/v1/applications/{created['id']}/priorities", headers=writer)
    )


def tiers(answer: Any) -> list[tuple[str, int | None, bool]]:
    return [(s["school_code"], s["tier"], s["own_primary_leaver"]) for s in answer["schools"]]


@pytest.mark.usefixtures("county")
class TestPriorities:
    async def test_the_own_leaver_of_a_nine_year_school_ranks_first_there_only(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        """Seed 003 "着力推行九年一贯制对口招生", ranked by this county as its tier 1: at N, the
        child leaving N's primary section is tier 1; at J the renting local family is tier 4
        (本地户籍、居住在片区: the example's tier 3, one down)."""
        answer = await priorities(client, writer, junior(primary_school_code=N))
        assert tiers(answer) == [(N, 1, True), (J, 4, False)]
        assert "own_primary_leaver" not in answer["facts"]  # a school fact, shown per school

    async def test_a_nine_year_school_by_its_type_counts_too(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        """T's levels are primary and junior; its 办学类型 312 makes it a 九年一贯制学校."""
        answer = await priorities(client, writer, junior(primary_school_code=T, choices=[T, N]))
        assert tiers(answer) == [(T, 1, True), (N, 4, False)]

    async def test_a_primary_schools_leaver_gets_nothing(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        """P is a 小学: no school is its leavers' own, so they rank by zone and housing alone."""
        answer = await priorities(client, writer, junior(primary_school_code=P))
        assert tiers(answer) == [(N, 4, False), (J, 4, False)]


@pytest.mark.usefixtures("county")
class TestPolicy:
    async def test_a_primary_policy_may_not_test_the_fact(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            f"/v1/priority-policies/150602/{YEAR}/primary", json=JUNIOR_POLICY, headers=writer
        )
        assert response.status_code == 422, response.text
        assert error_of(response) == ("tiers.0.all_of.0.fact", "fact_for_level")
        assert (
            response.json()["errors"][0]["message"]
            == "own_primary_leaver 只适用于初中招生，不适用于 primary"
        )
        english = await client.put(
            f"/v1/priority-policies/150602/{YEAR}/primary",
            json=JUNIOR_POLICY,
            headers={**writer, "Accept-Language": "en"},
        )
        assert error_of(english) == ("tiers.0.all_of.0.fact", "fact_for_level")
        assert english.json()["errors"][0]["message"] == (
            "own_primary_leaver applies to junior admissions only, not primary"
        )
        versions = await ok(
            await client.get(
                f"/v1/priority-policies/150602/{YEAR}/primary/versions", headers=writer
            )
        )
        assert [v["version"] for v in versions["items"]] == [1]  # nothing stored

    async def test_a_junior_policy_keeps_it(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        read = await ok(
            await client.get(f"/v1/priority-policies/150602/{YEAR}/junior", headers=writer)
        )
        assert read["tiers"][0]["all_of"] == OWN_LEAVERS["all_of"]


async def apply_and_verify(
    client: AsyncClient, writer: dict[str, str], body: dict[str, Any]
) -> str:
    created = await ok(await client.post("/v1/applications", json=body, headers=writer), 201)
    url = f"/v1/applications/{created['id']}"
    await ok(await client.post(f"{url}/transitions", json={"to": "verifying"}, headers=writer))
    for item in created["checklist"]:
        check = {"result": "confirmed", "source": "窗口核验"}
        await ok(await client.put(f"{url}/verifications/{item['document']}", json=check,
                                  headers=writer))  # fmt: skip
    await ok(await client.post(f"{url}/transitions", json={"to": "verified"}, headers=writer))
    return created["id"]  # type: ignore[no-any-return]


@pytest.mark.usefixtures("county")
async def test_the_lottery_instance_gives_the_own_leaver_its_tier(
    client: AsyncClient, writer: dict[str, str]
) -> None:
    """电脑派位 from stored applications, one seat at N and one at J. The own leaver of N (tier 1
    at N, 4 at J) takes N; the owner with 户籍 in the zone (tier 2 at both, a P leaver) is passed
    over at N and takes J; a renter without a primary school (tier 4 at both) is left to 统筹.
    Without the county's tier 1 the owner would have taken N."""
    leaver = await apply_and_verify(client, writer, junior(primary_school_code=N))
    owner = await apply_and_verify(
        client, writer, junior("15060220120401002", primary_school_code=P, owner_in_zone=True)
    )
    other = await apply_and_verify(client, writer, junior("15060220120502003"))
    for code in (N, J):
        await ok(
            await client.put(
                f"/v1/schools/{code}/seats/{YEAR}",
                json={"level": "junior", "planned_classes": 1, "class_cap": 1},
                headers=writer,
            ),
            201,
        )
    run = {
        "county_code": "150602",
        "year": YEAR,
        "level": "junior",
        "seed": "2025-东胜区-初中-0731",
        "mechanism": "deferred_acceptance",
        "tie_breaking": "single",
    }
    created = await ok(await client.post("/v1/assignment-runs", json=run, headers=writer), 201)
    instance = await ok(
        await client.get(f"/v1/assignment-runs/{created['id']}/instance", headers=writer)
    )
    assert {a["application_id"]: a["priorities"] for a in instance["applicants"]} == {
        leaver: {N: 1, J: 4},
        owner: {N: 2, J: 2},
        other: {N: 4, J: 4},
    }
    assert created["assignments"] == {leaver: N, owner: J, other: None}
