"""九年一贯制对口 as a priority fact (issue 19), hand-computed.

Seed 003 (东胜区教育现代化规划 2019–2022, 东党办发〔2019〕43号) asks for it twice:
"着力推行九年一贯制对口招生" (the 2022 goals of 招生入学) and
"探索形成义务教育入学规则,逐步推进九年一贯制对口招生" (the yearly action table). No source says
which tier it is: the county's own policy ranks it. The fact `own_primary_leaver` holds at one
school only — the 九年一贯制学校 the child leaves primary at — and only junior policies may test
it.
"""

from datetime import date

import pytest

from enrollment.admission import rules
from enrollment.admission.rules import Condition, Household, Tier

N, J, P = "3115000003", "3115000004", "2115000001"  # 九年一贯制学校, 初级中学, 小学
NINE_YEAR = frozenset({N})

# a county's junior policy (illustrative, not a default): its own leavers first, then 户籍 and
# housing as domain.md §2.2's order
JUNIOR_POLICY = (
    Tier(1, "本校小学毕业生 (九年一贯制对口)", (Condition("own_primary_leaver", "is", True),)),
    Tier(
        2,
        "户籍与房产均在片区",
        (
            Condition("hukou_in_zone", "is", True),
            Condition("home_in_zone", "is", True),
            Condition("owns_home", "is", True),
        ),
    ),
    Tier(3, "户籍在片区", (Condition("hukou_in_zone", "is", True),)),
    Tier(
        4,
        "本地户籍、居住在片区",
        (Condition("hukou_local", "is", True), Condition("home_in_zone", "is", True)),
    ),
)

# a local family renting inside the junior zone of N and J, its 户籍 in another zone
RENTER = rules.applicant_facts(
    Household("150602", "rented", None, 0), county_code="150602", reference_date=date(2025, 8, 31)
)
ZONE = frozenset({N, J})


def tiers(primary_school_code: str | None) -> dict[str, int]:
    return rules.priorities(
        JUNIOR_POLICY,
        RENTER,
        [N, J],
        home_schools=ZONE,
        hukou_schools=frozenset(),
        own_school=rules.own_nine_year_school(primary_school_code, NINE_YEAR),
    )


class TestOwnPrimaryLeaver:
    def test_a_nine_year_schools_own_leaver_ranks_in_the_countys_tier_there(self) -> None:
        """Seed 003 "着力推行九年一贯制对口招生": the child leaving N's primary section holds tier 1
        at N. At J (no own school, 户籍 elsewhere, local, living in the zone) tier 4."""
        assert tiers(N) == {N: 1, J: 4}

    def test_the_same_child_without_the_school_ranks_by_zone_alone(self) -> None:
        """Seed 003 names 对口 for the nine-year school itself: without N as its primary school
        the same family is tier 4 at N, as at J."""
        assert tiers(None) == {N: 4, J: 4}

    def test_a_primary_schools_leaver_gets_nothing_from_the_fact(self) -> None:
        """P is a 小学, not a 九年一贯制学校: its leavers have no own school anywhere (seed 003's
        对口 is "九年一贯制"), so they rank by zone: tier 4 at N and J."""
        assert rules.own_nine_year_school(P, NINE_YEAR) is None
        assert tiers(P) == {N: 4, J: 4}

    def test_the_fact_holds_at_the_own_school_only(self) -> None:
        """tier_at with the three school facts: own school, 户籍 zone, home zone."""
        at = rules.tier_at
        assert at(JUNIOR_POLICY, RENTER, hukou_in_zone=False, home_in_zone=False,
                  own_primary_leaver=True) == 1  # fmt: skip
        assert at(JUNIOR_POLICY, RENTER, hukou_in_zone=False, home_in_zone=False) is None
        assert at(JUNIOR_POLICY, RENTER, hukou_in_zone=True, home_in_zone=True) == 3

    def test_a_policy_without_the_fact_ignores_the_own_school(self) -> None:
        """No source ranks it: a county that publishes no own-leaver tier gives it nothing."""
        assert rules.priorities(
            JUNIOR_POLICY[1:], RENTER, [N, J], home_schools=ZONE, hukou_schools=frozenset(),
            own_school=N,
        ) == {N: 4, J: 4}  # fmt: skip


class TestPolicyLevel:
    def test_only_junior_policies_may_test_the_fact(self) -> None:
        assert rules.fact_level_errors(JUNIOR_POLICY, "junior") == []
        [error] = rules.fact_level_errors(JUNIOR_POLICY, "primary")
        assert (error.field, error.rule) == ("tiers.0.all_of.0.fact", "fact_for_level")

    def test_every_misplaced_condition_is_named(self) -> None:
        policy = (
            Tier(1, "a", (Condition("hukou_in_zone", "is", True),)),
            Tier(2, "b", (Condition("migrant", "is", False),
                          Condition("own_primary_leaver", "is", False))),
        )  # fmt: skip
        assert [e.field for e in rules.fact_level_errors(policy, "primary")] == [
            "tiers.1.all_of.1.fact"
        ]


REGISTRY = {P: ["primary"], N: ["nine_year"], J: ["junior"]}


class TestPrimarySchoolProblems:
    @pytest.mark.parametrize("code", [None, P, N])
    def test_a_junior_application_may_name_a_school_with_a_primary_section(
        self, code: str | None
    ) -> None:
        assert rules.primary_school_problems(code, level="junior", school_levels=REGISTRY) == []

    @pytest.mark.parametrize(
        ("code", "level", "rule"),
        [
            (P, "primary", "primary_school_for_junior"),
            ("2115999999", "junior", "school_registered"),
            (J, "junior", "school_level"),
        ],
    )
    def test_a_wrong_school_is_named_with_its_rule(self, code: str, level: str, rule: str) -> None:
        [problem] = rules.primary_school_problems(
            code,
            level=level,  # type: ignore[arg-type]
            school_levels=REGISTRY,
        )
        assert (problem.error.field, problem.error.rule) == ("primary_school_code", rule)
