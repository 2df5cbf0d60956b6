"""The verdict's pure rules against hand-computed numbers (domain.md §5.4–§5.6)."""

import ast
import inspect
from decimal import Decimal
from fractions import Fraction

import pytest

from evaluation.verdict import catalogue as catalogue_module
from evaluation.verdict import rules as rules_module
from evaluation.verdict.catalogue import NATIONAL_2017, MeasureKind
from evaluation.verdict.rules import (
    GroupCount,
    assess_eligibility,
    assess_recognition,
    combine,
    evaluate_item,
    recognition_rate,
)
from junheng_kit.problems import RuleViolated

D = Decimal


def measured(**values: int | str) -> dict[str, Decimal]:
    return {name: Decimal(value) for name, value in values.items()}


class TestCatalogue:
    def test_holds_15_assurance_and_9_quality_items_each_cited(self) -> None:
        assurance = NATIONAL_2017.items_of("government_assurance")
        quality = NATIONAL_2017.items_of("education_quality")

        assert [spec.number for spec in assurance] == list(range(1, 16))
        assert [spec.number for spec in quality] == list(range(1, 10))
        assert all("教督〔2017〕6号" in spec.source for spec in NATIONAL_2017.items)
        assert all(
            isinstance(c.threshold, Decimal) for s in NATIONAL_2017.items for c in s.criteria
        )

    def test_quality_monitoring_has_no_default_threshold(self) -> None:
        spec = NATIONAL_2017.item("quality_monitoring")

        assert spec.kind is MeasureKind.FINDING_ONLY
        assert spec.criteria == ()
        assert spec.unconfirmed == ("thresholds",)

    def test_sources_name_documents_and_what_is_unconfirmed_is_a_flag(self) -> None:
        """Issue 19 item 7: no evidence marker in the text answers show; items 2 and 10 of
        政府保障程度 have unconfirmed wording, 教育质量 item 9 unconfirmed thresholds (domain.md
        §5.4, §5.5)."""
        texts = [t for spec in NATIONAL_2017.items for t in (spec.source, spec.standard)] + [
            NATIONAL_2017.source,
            NATIONAL_2017.recognition_source,
            NATIONAL_2017.eligibility_source,
            NATIONAL_2017.veto_source,
        ]
        assert [t for t in texts if "UNCONF" in t] == []
        assert {s.key: s.unconfirmed for s in NATIONAL_2017.items if s.unconfirmed} == {
            "uniform_urban_rural_standards": ("wording",),
            "quota_and_posts_shared": ("wording",),
            "quality_monitoring": ("thresholds",),
        }

    def test_recognition_threshold_is_the_national_85_percent(self) -> None:
        assert NATIONAL_2017.recognition_threshold == D("0.85")
        assert NATIONAL_2017.eligibility_years == 3


class TestRotation:
    spec = NATIONAL_2017.item("rotation_share")

    def test_too_few_backbone_teachers_fails_by_one_teacher(self) -> None:
        # 12 of 100 eligible rotated (0.12 ≥ 0.10); 2 backbone of 12 = 0.166667 < 0.20:
        # gap 0.2 − 1/6 = 0.033333; ceil(0.20 × 12) − 2 = 3 − 2 = 1 teacher
        outcome = evaluate_item(
            self.spec,
            measured=measured(eligible_teachers=100, rotated_teachers=12, backbone_rotated=2),
            finding=None,
        )

        rotated, backbone = outcome.criteria
        assert (outcome.met, outcome.basis) == (False, "measured")
        assert (rotated.met, rotated.value, rotated.gap) == (True, D("0.12"), None)
        assert (backbone.met, backbone.value) == (False, D("0.166667"))
        assert (backbone.gap, backbone.missing, backbone.missing_unit) == (
            D("0.033333"),
            D(1),
            "teachers",
        )

    def test_exactly_20_percent_backbone_is_met(self) -> None:
        outcome = evaluate_item(
            self.spec,
            measured=measured(eligible_teachers=100, rotated_teachers=10, backbone_rotated=2),
            finding=None,
        )

        assert outcome.met is True

    def test_a_disagreeing_finding_is_overridden_by_the_measured_values(self) -> None:
        outcome = evaluate_item(
            self.spec,
            measured=measured(eligible_teachers=100, rotated_teachers=12, backbone_rotated=2),
            finding="met",
        )

        assert (outcome.met, outcome.basis, outcome.finding_overridden) == (False, "measured", True)


class TestZonedAdmission:
    spec = NATIONAL_2017.item("zoned_admission")

    def test_junior_at_94_percent_misses_by_one_point(self) -> None:
        outcome = evaluate_item(
            self.spec,
            measured=measured(primary_zoned_share="1.00", junior_zoned_share="0.94"),
            finding=None,
        )

        primary, junior = outcome.criteria
        assert (outcome.met, primary.met, junior.met, junior.gap) == (
            False,
            True,
            False,
            D("0.01"),
        )

    def test_junior_at_exactly_95_percent_is_met(self) -> None:
        outcome = evaluate_item(
            self.spec,
            measured=measured(primary_zoned_share="1", junior_zoned_share="0.95"),
            finding=None,
        )

        assert outcome.met is True


class TestSchoolSize:
    spec = NATIONAL_2017.item("school_size")

    def test_the_largest_school_over_2000_is_120_pupils_over(self) -> None:
        outcome = evaluate_item(
            self.spec, measured=measured(largest_school_pupils=2120), finding=None
        )

        (largest,) = outcome.criteria  # no nine-year school measured: that criterion is skipped
        assert (outcome.met, largest.gap, largest.unit) == (False, D(120), "pupils")

    def test_a_nine_year_school_of_2500_is_within_its_cap(self) -> None:
        outcome = evaluate_item(
            self.spec,
            measured=measured(
                largest_school_pupils=2000, largest_nine_or_twelve_year_school_pupils=2500
            ),
            finding=None,
        )

        assert outcome.met is True


class TestItemInputs:
    def test_special_school_funds_of_5800_yuan_miss_by_200(self) -> None:
        outcome = evaluate_item(
            NATIONAL_2017.item("special_school_funds_per_pupil"),
            measured=measured(special_school_funds_per_pupil_yuan=5800),
            finding=None,
        )

        assert (outcome.met, outcome.criteria[0].gap) == (False, D(200))

    def test_training_funds_short_of_5_percent_report_the_yuan_missing(self) -> None:
        # 0.05 × 1,000,000 = 50,000 yuan needed; 45,000 spent → 5,000 missing, share 0.045
        outcome = evaluate_item(
            NATIONAL_2017.item("training_funds_share"),
            measured=measured(training_funds_yuan=45000, operating_funds_budget_yuan=1000000),
            finding=None,
        )

        (share,) = outcome.criteria
        assert (share.value, share.gap, share.missing, share.missing_unit) == (
            D("0.045"),
            D("0.005"),
            D(5000),
            "yuan",
        )

    def test_a_finding_alone_judges_a_measurable_item(self) -> None:
        outcome = evaluate_item(
            NATIONAL_2017.item("junior_retention"), measured=None, finding="not_met"
        )

        assert (outcome.met, outcome.basis, outcome.criteria) == (False, "finding", ())

    def test_a_qualitative_item_refuses_measured_values(self) -> None:
        with pytest.raises(RuleViolated) as raised:
            evaluate_item(
                NATIONAL_2017.item("moral_education"), measured=measured(score=90), finding="met"
            )
        assert raised.value.errors[0].rule == "qualitative_item"

    def test_quality_monitoring_refuses_measured_values(self) -> None:
        with pytest.raises(RuleViolated) as raised:
            evaluate_item(
                NATIONAL_2017.item("quality_monitoring"),
                measured=measured(gap="0.1"),
                finding="met",
            )
        assert raised.value.errors[0].rule == "threshold_unconfirmed"

    def test_a_missing_measure_is_named(self) -> None:
        with pytest.raises(RuleViolated) as raised:
            evaluate_item(
                NATIONAL_2017.item("rotation_share"),
                measured=measured(eligible_teachers=100, rotated_teachers=12),
                finding=None,
            )
        error = raised.value.errors[0]
        assert (error.field, error.rule) == ("measured.backbone_rotated", "measure_field_required")

    def test_an_unknown_measure_is_named(self) -> None:
        with pytest.raises(RuleViolated) as raised:
            evaluate_item(
                NATIONAL_2017.item("junior_retention"),
                measured=measured(junior_retention_rate="0.97", dropouts=3),
                finding=None,
            )
        error = raised.value.errors[0]
        assert (error.field, error.rule) == ("measured.dropouts", "measure_field_unknown")

    def test_a_zero_denominator_is_refused(self) -> None:
        with pytest.raises(RuleViolated) as raised:
            evaluate_item(
                NATIONAL_2017.item("teaching_certificates"),
                measured=measured(certified_teachers=0, teachers=0),
                finding=None,
            )
        assert raised.value.errors[0].rule == "denominator_positive"

    def test_neither_measured_nor_finding_is_refused(self) -> None:
        with pytest.raises(RuleViolated) as raised:
            evaluate_item(NATIONAL_2017.item("class_size"), measured=None, finding=None)
        assert raised.value.errors[0].rule == "measured_or_finding_required"


class TestRecognition:
    def test_pooled_850_of_1000_meets_85_percent_exactly(self) -> None:
        groups = [GroupCount("students", 600, 520), GroupCount("parents", 400, 330)]

        outcome = assess_recognition(groups, None, threshold=D("0.85"), local_target=D("0.95"))

        assert (outcome.rate, outcome.method, outcome.met) == (Fraction(85, 100), "pooled", True)
        assert outcome.met_local_target is False  # reported, never decides

    def test_weighting_changes_the_rate(self) -> None:
        # students 90/100, parents 160/200, teachers 45/50, public 80/100
        # weighted 0.4×0.9 + 0.3×0.8 + 0.2×0.9 + 0.1×0.8 = 0.36 + 0.24 + 0.18 + 0.08 = 0.86 (met)
        # pooled (90+160+45+80)/(100+200+50+100) = 375/450 = 0.833333 (not met)
        groups = [
            GroupCount("students", 100, 90),
            GroupCount("parents", 200, 160),
            GroupCount("teachers", 50, 45),
            GroupCount("public", 100, 80),
        ]
        weights = {
            "students": D("0.4"),
            "parents": D("0.3"),
            "teachers": D("0.2"),
            "public": D("0.1"),
        }

        assert recognition_rate(groups, weights) == Fraction(86, 100)
        assert recognition_rate(groups) == Fraction(5, 6)

    def test_weights_not_summing_to_one_are_refused(self) -> None:
        groups = [GroupCount("students", 100, 90), GroupCount("parents", 100, 80)]

        with pytest.raises(RuleViolated) as raised:
            recognition_rate(groups, {"students": D("0.5"), "parents": D("0.4")})
        assert raised.value.errors[0].rule == "weights_sum_to_one"

    def test_weights_within_1e_9_of_one_are_accepted(self) -> None:
        groups = [GroupCount("students", 100, 90), GroupCount("parents", 100, 80)]
        weights = {"students": D("0.5"), "parents": D("0.5000000005")}

        assert recognition_rate(groups, weights) > Fraction(85, 100)

    def test_more_satisfied_than_respondents_is_refused(self) -> None:
        with pytest.raises(RuleViolated) as raised:
            recognition_rate([GroupCount("students", 100, 101)])
        assert (raised.value.errors[0].field, raised.value.errors[0].rule) == (
            "groups[0].satisfied",
            "satisfied_within_respondents",
        )


class TestEligibility:
    def test_recognised_2022_assessing_2025_is_eligible(self) -> None:
        outcome = assess_eligibility(2022, 2025, required_years=3)

        assert (outcome.met, outcome.years_since) == (True, 3)

    def test_recognised_2023_assessing_2025_is_not(self) -> None:
        outcome = assess_eligibility(2023, 2025, required_years=3)

        assert (outcome.met, outcome.years_since) == (False, 2)


def all_items_met() -> dict[str, rules_module.ItemOutcome]:
    return {
        spec.key: rules_module.ItemOutcome(spec.key, spec.part, True, "finding", (), "met", False)
        for spec in NATIONAL_2017.items
    }


class TestCombine:
    recognition = assess_recognition(
        [GroupCount("public", 1000, 900)], None, threshold=D("0.85"), local_target=None
    )
    eligible = assess_eligibility(2020, 2025, required_years=3)

    def test_every_part_met_and_no_veto_is_met(self) -> None:
        verdict = combine(
            NATIONAL_2017,
            resource_allocation_met=True,
            items=all_items_met(),
            recognition=self.recognition,
            eligibility=self.eligible,
            vetoes=[],
        )

        assert (verdict.verdict, verdict.missing, verdict.vetoes) == ("met", (), ())

    def test_a_veto_alone_fails_the_county(self) -> None:
        verdict = combine(
            NATIONAL_2017,
            resource_allocation_met=True,
            items=all_items_met(),
            recognition=self.recognition,
            eligibility=self.eligible,
            vetoes=["key_schools_or_classes"],
        )

        assert verdict.verdict == "not_met"

    def test_recognition_below_85_percent_is_also_a_veto(self) -> None:
        low = assess_recognition(
            [GroupCount("public", 1000, 849)], None, threshold=D("0.85"), local_target=None
        )
        verdict = combine(
            NATIONAL_2017,
            resource_allocation_met=True,
            items=all_items_met(),
            recognition=low,
            eligibility=self.eligible,
            vetoes=[],
        )

        assert (verdict.verdict, verdict.vetoes) == ("not_met", ("recognition_below_threshold",))

    def test_anything_missing_is_incomplete_and_named(self) -> None:
        items = all_items_met()
        del items["rotation_share"], items["quality_monitoring"]

        verdict = combine(
            NATIONAL_2017,
            resource_allocation_met=None,
            items=items,
            recognition=None,
            eligibility=self.eligible,
            vetoes=[],
        )

        assert verdict.verdict == "incomplete"
        assert verdict.missing == (
            "assessment",
            "items.rotation_share",
            "items.quality_monitoring",
            "recognition",
        )
        assert verdict.parts_met["government_assurance"] is None


class TestRuleModulesArePure:
    @pytest.mark.parametrize("module", [rules_module, catalogue_module], ids=["rules", "catalogue"])
    def test_import_no_database_web_http_or_bus_library(self, module: object) -> None:
        tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
        imported = {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
        } | {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }

        assert imported & {"sqlalchemy", "fastapi", "httpx", "nats", "starlette"} == set()
