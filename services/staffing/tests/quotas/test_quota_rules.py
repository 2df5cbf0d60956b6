"""编制核定 rules against hand-computed quotas (domain.md §3.1, §5.4 items 6 and 10)."""

import ast
import inspect
from datetime import date
from decimal import Decimal

import pytest

from junheng_kit.problems import RuleViolated
from staffing.policy import parameters
from staffing.policy.parameters import BUILT_IN, PolicyBook, PolicyRow, check_value
from staffing.quotas import rules
from staffing.quotas.rules import SchoolQuotaInput, county_quota, pooling_proposal, quota_policy

DONGSHENG = "150602"
ON = date(2025, 9, 1)


def school(
    code: str,
    *,
    area: rules.Area = "urban",
    primary: int = 0,
    junior: int = 0,
    primary_classes: int = 0,
    approved: int | None = None,
    in_post: int = 0,
    substitutes: int = 0,
    seconded_out: int = 0,
    boarders: int = 0,
    special: int = 0,
) -> SchoolQuotaInput:
    return SchoolQuotaInput(
        school_code=code,
        area=area,
        pupils={"primary": primary, "junior": junior},
        classes={"primary": primary_classes},
        boarding_pupils=boarders,
        special_education_pupils=special,
        approved=approved,
        in_post=in_post,
        substitutes=substitutes,
        seconded_out=seconded_out,
    )


def county_row(key: str, value: str, qualifier: str = "", scope: str = DONGSHENG) -> PolicyRow:
    return PolicyRow(key, qualifier, value, scope, date(2020, 1, 1), None, "县编办 test", "OFF")


# Dongsheng's own method for these cases: the 2014 生师比 alone, from 2015 (a case's own row,
# from 2020, wins). Inner Mongolia's policy leaves the method to the county (seed 000).
PUPIL_BASIS = PolicyRow(
    "quota_method", "", "ratio_only", DONGSHENG, date(2015, 1, 1), None, "县编办 test", "OFF"
)


def quotas(
    schools: list[SchoolQuotaInput],
    *overrides: PolicyRow,
    on: date = ON,
    county: str = DONGSHENG,
    county_method: bool = True,
) -> dict[str, rules.SchoolQuota]:
    rows = (PUPIL_BASIS, *overrides) if county_method else overrides
    policy = quota_policy(PolicyBook.with_overrides(rows), county, on, schools)
    return {q.school_code: q for q in county_quota(schools, policy).schools}


class TestRequiredPosts:
    def test_950_primary_pupils_at_1_to_19_need_50_posts(self) -> None:
        assert quotas([school("A", primary=950)])["A"].required == 50

    def test_1000_junior_pupils_at_1_to_13_5_need_75_posts_rounded_up(self) -> None:
        quota = quotas([school("A", junior=1000)])["A"]

        assert quota.required_exact.quantize(Decimal("0.0001")) == Decimal("74.0741")
        assert quota.required == 75

    def test_a_30_pupil_village_school_is_staffed_on_its_own_pupils(self) -> None:
        """Seed 001 (通政办发〔2018〕55号): "不足100名学生的村小学和教学点按100名学生核定公用经费"
        — a rule for operating funds (公用经费), not for 编制 (domain.md §3.1). A rural school of
        30 pupils needs ceil(30 ÷ 19) = ceil(1.58) = 2 posts, not 100 ÷ 19 → 6; it is a small
        school, first to receive posts when the county pools them."""
        quota = quotas([school("A", area="rural", primary=30)])["A"]

        assert quota.required_exact.quantize(Decimal("0.0001")) == Decimal("1.5789")
        assert (quota.required, quota.small_school) == (2, True)
        assert quota.components[0].explanation == "30 pupils ÷ 19"

    def test_a_60_pupil_urban_school_is_no_small_school(self) -> None:
        # 60 / 19 = 3.16 → 4 either way; only village schools and teaching points are small
        quota = quotas([school("A", area="urban", primary=60)])["A"]

        assert (quota.required, quota.small_school) == (4, False)

    def test_a_nine_year_school_rounds_once_by_default(self) -> None:
        # 940/19 = 49.47 + 300/13.5 = 22.22 → 71.69 → 72 (per component it would be 50 + 23)
        assert quotas([school("A", primary=940, junior=300)])["A"].required == 72

    def test_a_county_may_round_each_component(self) -> None:
        quota = quotas(
            [school("A", primary=940, junior=300)],
            county_row("quota_rounding", "ceil_per_component"),
        )["A"]
        assert quota.required == 73

    def test_half_up_rounding_takes_74_07_to_74(self) -> None:
        quota = quotas(
            [school("A", junior=1000)], county_row("quota_rounding", "half_up_per_school")
        )["A"]
        assert quota.required == 74

    def test_the_2001_rural_ratio_applies_to_a_historical_date(self) -> None:
        # 2010: rural primary 1:23, county-town junior 1:16
        found = quotas(
            [school("A", area="rural", primary=230), school("B", area="county_town", junior=320)],
            on=date(2010, 9, 1),
        )
        assert (found["A"].required, found["B"].required) == (10, 20)

    def test_the_2014_unified_ratio_ignores_the_area(self) -> None:
        found = quotas([school("A", area="rural", primary=230)], on=date(2015, 9, 1))
        # 230 / 19 = 12.1 → 13
        assert found["A"].required == 13


class TestClassBasis:
    def test_mean_without_a_class_ratio_is_refused_naming_it(self) -> None:
        with pytest.raises(RuleViolated) as caught:
            quotas(
                [school("A", primary=950, primary_classes=20)], county_row("quota_method", "mean")
            )
        assert [(e.field, e.rule) for e in caught.value.errors] == [
            ("class_staff_ratio.primary", "class_staff_ratio_required")
        ]

    def test_mean_averages_the_pupil_and_class_bases(self) -> None:
        quota = quotas(
            [school("A", primary=950, primary_classes=20)],
            county_row("quota_method", "mean"),
            county_row("class_staff_ratio", "1.9", "primary"),
        )["A"]
        # (950/19 = 50 + 20 × 1.9 = 38) / 2 = 44
        assert quota.required == 44

    def test_max_takes_the_larger_basis(self) -> None:
        quota = quotas(
            [school("A", primary=950, primary_classes=30)],
            county_row("quota_method", "max"),
            county_row("class_staff_ratio", "1.9", "primary"),
        )["A"]
        # max(50, 30 × 1.9 = 57) = 57
        assert quota.required == 57


class TestAdjustments:
    def test_boarders_without_a_county_rule_are_refused(self) -> None:
        with pytest.raises(RuleViolated) as caught:
            quotas([school("A", primary=950, boarders=100)])
        assert caught.value.errors[0].rule == "boarding_ratio_required"

    def test_boarders_add_one_post_per_n_boarders(self) -> None:
        quota = quotas(
            [school("A", primary=950, boarders=120)],
            county_row("boarding_pupils_per_extra_post", "50"),
        )["A"]
        # 50 + 120/50 = 52.4 → 53
        assert quota.required == 53

    def test_anhui_staffs_special_education_at_1_to_4(self) -> None:
        found = quotas([school("A", primary=190, special=10)], county="340102")
        # 190/19 = 10 + 10/4 = 2.5 → 12.5 → 13
        assert found["A"].required == 13

    def test_special_education_elsewhere_needs_a_county_ratio(self) -> None:
        with pytest.raises(RuleViolated) as caught:
            quotas([school("A", primary=190, special=10)])
        assert caught.value.errors[0].rule == "special_education_ratio_required"


class TestStatusAndFlags:
    def test_vacant_posts_with_substitutes_employed_is_unfilled_quota(self) -> None:
        quota = quotas([school("A", primary=950, approved=52, in_post=48, substitutes=3)])["A"]

        assert (quota.status, quota.balance, quota.vacant_posts, quota.unfilled_quota) == (
            "over",
            2,
            4,
            True,
        )

    def test_a_full_school_with_substitutes_is_not_unfilled_quota(self) -> None:
        quota = quotas([school("A", primary=950, approved=48, in_post=48, substitutes=3)])["A"]

        assert (quota.status, quota.balance, quota.unfilled_quota) == ("under", -2, False)

    def test_seconded_staff_are_flagged(self) -> None:
        quota = quotas([school("A", primary=950, approved=50, in_post=49, seconded_out=2)])["A"]

        assert (quota.status, quota.holds_seconded_staff, quota.seconded_out) == (
            "balanced",
            True,
            2,
        )

    def test_a_school_never_approved_has_no_balance(self) -> None:
        quota = quotas([school("A", primary=950, in_post=40)])["A"]

        assert (quota.status, quota.balance, quota.staff_over_approved) == ("not_approved", None, 0)


class TestInnerMongolia:
    def test_without_the_countys_method_and_class_ratio_the_quota_is_422(self) -> None:
        """Seed 000 (内蒙古): "按照生师比与班师比相结合的方式核定教职工基本编制数". No source gives
        the 班师比 or how the bases combine (domain.md §3.1), so a county under scope 15 that
        set neither gets 422 naming both, not a silent 生师比-only quota of 950 ÷ 19 = 50."""
        with pytest.raises(RuleViolated) as refused:
            quotas([school("A", primary=950, primary_classes=20)], county_method=False)

        assert {(e.field, e.rule) for e in refused.value.errors} == {
            ("quota_method", "quota_method_required"),
            ("class_staff_ratio.primary", "class_staff_ratio_required"),
        }

    def test_the_countys_max_takes_the_larger_basis(self) -> None:
        # max(950 ÷ 19 = 50, 20 classes × 2.6 = 52) = 52
        quota = quotas(
            [school("A", primary=950, primary_classes=20)],
            county_row("quota_method", "max"),
            county_row("class_staff_ratio", "2.6", "primary"),
            county_method=False,
        )["A"]

        assert quota.required == 52

    def test_outside_inner_mongolia_the_national_pupil_basis_stands(self) -> None:
        quota = quotas([school("A", primary=950)], county="130102", county_method=False)["A"]

        assert quota.required == 50


class TestPooling:
    def test_small_rural_schools_come_first_and_vacant_posts_move_first(self) -> None:
        schools = [
            school("A", primary=950, approved=60, in_post=55),  # 50 required: +10, 5 vacant
            school("B", primary=855, approved=40, in_post=40),  # 45 required: −5
            school("C", area="rural", primary=60, approved=3, in_post=3),  # 60/19 → 4: −1
        ]
        policy = quota_policy(PolicyBook.with_overrides((PUPIL_BASIS,)), DONGSHENG, ON, schools)
        proposal = pooling_proposal(
            county_quota(schools, policy), {s.school_code: s for s in schools}, 100
        )

        # the small rural school first (1 vacant post), then B: A's 4 other vacant posts and
        # one occupied post (a teacher moves with it)
        assert [
            (t.from_school, t.to_school, t.posts, t.vacant_posts) for t in proposal.transfers
        ] == [
            ("A", "C", 1, 1),
            ("A", "B", 5, 4),
        ]
        assert proposal.approved_after == {"A": 54, "B": 45, "C": 4}
        assert proposal.remaining_surplus == {"A": 4}
        assert proposal.unmet_deficit == {}
        assert proposal.county_approved_total == 103

    def test_a_deficit_larger_than_the_surplus_stays_unmet(self) -> None:
        schools = [
            school("A", primary=950, approved=52, in_post=52),
            school("B", primary=950, approved=45, in_post=45),
        ]
        policy = quota_policy(PolicyBook.with_overrides((PUPIL_BASIS,)), DONGSHENG, ON, schools)
        proposal = pooling_proposal(
            county_quota(schools, policy), {s.school_code: s for s in schools}, 100
        )

        assert proposal.unmet_deficit == {"B": 3}
        assert proposal.approved_after == {"A": 50, "B": 47}


class TestPolicyBook:
    def test_the_county_row_beats_the_national_one(self) -> None:
        book = PolicyBook.with_overrides([county_row("pupil_staff_ratio", "18", "primary")])

        assert book.find("pupil_staff_ratio", DONGSHENG, ON, ("primary",)).value == "18"  # type: ignore[union-attr]
        assert book.find("pupil_staff_ratio", "150603", ON, ("primary",)).value == "19"  # type: ignore[union-attr]

    def test_the_six_years_are_a_priority_and_eligibility_is_the_countys_own(self) -> None:
        """Seed 000: "原则上在同一学校连续任教达到6年的校长和优秀骨干教师应优先进行交流轮岗" —
        who rotates first (Inner Mongolia, Anhui, Shaanxi 6; Sichuan 9), not who may: no
        province row sets the pool's years at one school."""
        book = PolicyBook.with_overrides()

        assert book.find("rotation_priority_years", DONGSHENG, ON).value == "6"  # type: ignore[union-attr]
        assert book.find("rotation_priority_years", "510104", ON).value == "9"  # type: ignore[union-attr]
        assert book.find("rotation_priority_years", "130102", ON) is None
        assert {row.key for row in BUILT_IN}.isdisjoint({"rotation_trigger_years"})

    def test_unconfirmed_values_have_no_row(self) -> None:
        keys = {row.key for row in BUILT_IN}

        assert keys.isdisjoint(
            {
                "class_staff_ratio",
                "boarding_pupils_per_extra_post",
                "rotation_retirement_window_years",
                "rotation_max_distance_km",
                "retirement_age",
            }
        )

    def test_a_value_is_checked_against_its_key(self) -> None:
        assert check_value("quota_method", "", "median") == (
            "parameter_choice: quota_method is one of max, mean, ratio_only"
        )
        assert check_value("post_structure_ratio", "primary", "3:4") == (
            "parameter_ratio: post_structure_ratio is three non-negative numbers like 3:4:3"
        )
        assert check_value("rotation_trigger_years", "", "6.5") == (
            "parameter_integer: rotation_trigger_years is a whole number"
        )
        assert check_value("class_staff_ratio", "primary", "1.9") is None


@pytest.mark.parametrize("module", [rules, parameters])
def test_rules_import_no_database_web_or_bus_library(module: object) -> None:
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    imported = {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    } | {
        a.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for a in node.names
    }

    assert imported & {"sqlalchemy", "fastapi", "httpx", "nats", "starlette"} == set()
