"""The workflow's policy checks as pure rules: an application, approval, payment lines, the
calendar, 公示 candidates, objections and transfers (no database; the API tests go through them
over HTTP)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from assistance.awards.approval.rules import approval_blockers
from assistance.awards.awards.rules import (
    AwardStatus,
    Priced,
    ProgrammeTerms,
    Pupil,
    WorkflowConflict,
    check_application,
    proposal_price,
)
from assistance.awards.calendar.rules import check_calendar
from assistance.awards.disbursement.rules import Payable, check_lines, status_after_payment
from assistance.awards.notices.rules import NoticeState
from assistance.awards.objections.rules import check_objection, require_open
from assistance.awards.publicity.rules import (
    Candidate,
    check_candidates,
    check_not_backdated,
    require_awards,
)
from assistance.awards.transfers.rules import check_move
from assistance.programmes.rules import Standard, Tier
from junheng_kit.i18n import t
from junheng_kit.problems import Conflict, DomainError, RuleViolated

from .test_rules import BOARDERS_ONLY, LIVING_2019

JUNIOR_DAY = Pupil(county_code="150602", level="junior", boarding=False, status="enrolled")
LIVING = ProgrammeTerms("living_subsidy", ("dibao", "tekun"))


def rules_of(error: DomainError) -> list[tuple[str, str]]:
    return [(e.field, e.rule) for e in error.errors]


def apply(
    pupil: Pupil = JUNIOR_DAY,
    programme: ProgrammeTerms | None = LIVING,
    standards: tuple[Standard, ...] = (LIVING_2019,),
    **overrides: Any,
) -> Priced:
    request: dict[str, Any] = {
        "programme_code": "living_subsidy",
        "school_year": 2025,
        "category": "dibao",
        "tier": None,
        "amount_yuan": Decimal("625.00"),
    } | overrides
    return check_application(pupil, programme, standards, **request)


class TestApplication:
    def test_a_junior_non_boarder_applies_for_625_under_the_2019_standard(self) -> None:
        assert apply() == Priced("living_subsidy", LIVING_2019, None, Decimal("625.00"))

    @pytest.mark.parametrize(
        ("overrides", "rule", "message"),
        [
            ({"pupil": Pupil("150602", "junior", False, "left")}, "student_enrolled", "left"),
            ({"programme": None}, "programme_known", "in force on 2025-09-01 for 150602"),
            ({"category": "orphan"}, "category_eligible", "living_subsidy covers dibao, tekun"),
            ({"standards": ()}, "standard_in_force", "the county publishes one first"),
            ({"amount_yuan": Decimal("500.00")}, "amount_matches_standard", "gives 625.00"),
        ],
    )
    def test_each_check_names_its_rule(
        self, overrides: dict[str, object], rule: str, message: str
    ) -> None:
        with pytest.raises(RuleViolated) as caught:
            apply(**overrides)
        assert [e.rule for e in caught.value.errors] == [rule]
        assert message in caught.value.errors[0].message

    def test_the_roster_is_checked_before_the_programme(self) -> None:
        with pytest.raises(RuleViolated) as caught:
            apply(pupil=Pupil("150602", "junior", False, "left"), programme=None)
        assert caught.value.errors[0].rule == "student_enrolled"

    def test_a_programme_for_every_pupil_takes_any_category(self) -> None:
        every = ProgrammeTerms("living_subsidy", ())
        assert apply(programme=every, category="orphan").amount_yuan == Decimal("625.00")

    def test_the_tier_defaults_to_the_highest_and_an_unknown_one_is_refused(self) -> None:
        tiered = replace(
            LIVING_2019,
            tiers=(
                Tier("difficult", "困难", 2, Decimal("0.8")),
                Tier("especially_difficult", "特别困难", 1, Decimal("1")),
            ),
        )
        assert apply(standards=(tiered,)).tier == "especially_difficult"
        assert apply(
            standards=(tiered,), tier="difficult", amount_yuan=Decimal("500.00")
        ) == Priced("living_subsidy", tiered, "difficult", Decimal("500.00"))
        with pytest.raises(RuleViolated) as caught:
            apply(standards=(tiered,), tier="gold")
        assert caught.value.errors[0].rule == "tier_known"

    def test_a_proposal_is_priced_or_told_why_not(self) -> None:
        assert proposal_price([LIVING_2019], 2025, "150602", "primary", True) == (
            LIVING_2019,
            None,
            Decimal("1000.00"),
        )
        assert proposal_price([LIVING_2019], 2018, "150602", "junior", False) == "no_standard"
        assert proposal_price([BOARDERS_ONLY], 2018, "150602", "junior", False) == "not_covered"


class TestApproval:
    ENDS = date(2025, 10, 13)

    @pytest.mark.parametrize(
        ("status", "ends_on", "on", "objection_open", "rule"),
        [
            ("proposed", None, date(2025, 10, 14), False, "review_required"),
            ("reviewed", None, date(2025, 10, 14), False, "publicity_required"),
            ("rejected", ENDS, date(2025, 10, 14), False, "approvable"),
            ("in_publicity", ENDS, ENDS, False, "publicity_not_ended"),
            ("in_publicity", ENDS, date(2025, 10, 14), True, "objection_open"),
        ],
    )
    def test_what_blocks_an_approval(
        self, status: str, ends_on: date | None, on: date, objection_open: bool, rule: str
    ) -> None:
        blockers = approval_blockers(
            status, ends_on, on, objection_open=objection_open, field="status"
        )
        assert [(e.field, e.rule) for e in blockers] == [("status", rule)]

    def test_the_day_after_the_publicity_ends_it_may_be_approved(self) -> None:
        early = approval_blockers(
            "in_publicity", self.ENDS, self.ENDS, objection_open=False, field="status"
        )
        assert early[0].message == t(
            "公示期至 2025-10-13；自 2025-10-14 起可审批",
            "公示 (public notice) runs until 2025-10-13; approve from 2025-10-14",
        )
        assert (
            approval_blockers(
                "in_publicity", self.ENDS, date(2025, 10, 14), objection_open=False, field="s"
            )
            == []
        )


def payable(status: str = "approved", paid: str = "0.00", *notices: NoticeState) -> Payable:
    return Payable("150602", status, Decimal("625.00"), Decimal(paid), notices)


class TestPaymentLines:
    def test_rule_errors_of_every_line_come_before_conflicts(self) -> None:
        lines = [
            (payable(), Decimal("312.50")),
            (None, Decimal("1.00")),
            (payable("reviewed"), Decimal("1.00")),
            (payable(paid="312.50"), Decimal("312.51")),
        ]
        with pytest.raises(RuleViolated) as caught:
            check_lines(lines, county_code="150602", paid_on=date(2025, 11, 5))
        assert rules_of(caught.value) == [
            ("items[1].award_id", "award_in_county"),
            ("items[3].amount_yuan", "amount_within_remaining"),
        ]
        with pytest.raises(Conflict) as conflict:
            check_lines(lines[2:3], county_code="150602", paid_on=date(2025, 11, 5))
        assert rules_of(conflict.value) == [("items[0].award_id", "award_approved")]

    def test_a_lost_category_stops_payment_after_its_grace_period(self) -> None:
        lost = NoticeState("lost", "open", None, date(2025, 12, 2))
        line = [(payable("approved", "0.00", lost), Decimal("312.50"))]
        check_lines(line, county_code="150602", paid_on=date(2025, 12, 2))
        with pytest.raises(Conflict) as caught:
            check_lines(line, county_code="150602", paid_on=date(2025, 12, 3))
        assert rules_of(caught.value) == [("items[0].award_id", "grace_period_ended")]

    def test_another_countys_award_is_not_in_the_batch(self) -> None:
        with pytest.raises(RuleViolated) as caught:
            check_lines(
                [(payable(), Decimal("1"))], county_code="150603", paid_on=date(2025, 11, 5)
            )
        assert caught.value.errors[0].message == t("150603 没有此资助", "no award of 150603")

    def test_paid_in_full_is_paid(self) -> None:
        assert status_after_payment(Decimal("625.00"), Decimal("625.00")) == AwardStatus.PAID
        assert status_after_payment(Decimal("312.50"), Decimal("625.00")) == AwardStatus.APPROVED


class TestCalendarPublicityObjectionsTransfers:
    def test_a_calendar_names_every_bad_date(self) -> None:
        with pytest.raises(RuleViolated) as caught:
            check_calendar(
                2027,
                [date(2027, 1, 1), date(2026, 12, 31)],
                [date(2027, 1, 4), date(2027, 1, 1), date(2027, 1, 2)],
            )
        assert rules_of(caught.value) == [
            ("holidays[1]", "date_in_year"),
            ("working_days[0]", "make_up_day_is_weekend"),
            ("working_days[1]", "make_up_day_is_weekend"),
            ("working_days[1]", "holiday_or_working"),
        ]
        check_calendar(2027, [date(2027, 1, 1)], [date(2027, 1, 2)])

    def test_a_publicity_lists_reviewed_awards_of_its_scope(self) -> None:
        reviewed = Candidate(0, "reviewed", False, "150602", "2115060201")
        listed = Candidate(1, "reviewed", True, "150602", "2115060201")
        elsewhere = Candidate(2, "reviewed", False, "150603", "2115060301")
        check_candidates([reviewed], county_code="150602", school_code="2115060201")
        with pytest.raises(WorkflowConflict) as conflict:
            check_candidates([reviewed, listed, elsewhere], county_code="150602", school_code=None)
        assert rules_of(conflict.value) == [("award_ids[1]", "review_required")]
        with pytest.raises(RuleViolated) as outside:
            check_candidates([reviewed, elsewhere], county_code="150602", school_code=None)
        assert rules_of(outside.value) == [("award_ids[2]", "award_in_batch_scope")]
        with pytest.raises(RuleViolated) as empty:
            require_awards(0)
        assert rules_of(empty.value) == [("award_ids", "awards_present")]

    def test_a_publicity_starts_on_the_day_it_is_recorded_or_later(self) -> None:
        """Issue 19: "a 公示 cannot start before it is recorded". Recorded on 2025-09-30: from
        09-30 (the day itself) or 10-09 it may run; from 09-29 it is backdated."""
        check_not_backdated(date(2025, 9, 30), recorded_on=date(2025, 9, 30))
        check_not_backdated(date(2025, 10, 9), recorded_on=date(2025, 9, 30))
        with pytest.raises(RuleViolated) as backdated:
            check_not_backdated(date(2025, 9, 29), recorded_on=date(2025, 9, 30))
        assert rules_of(backdated.value) == [("starts_on", "publicity_not_backdated")]
        assert backdated.value.errors[0].message == t(
            "2025-09-29 早于今天 2025-09-30（中国时间）；请从 2025-09-30 或之后开始",
            "2025-09-29 is before today 2025-09-30 (China); start on 2025-09-30 or later",
        )

    def test_an_objection_comes_during_the_publicity_and_is_resolved_once(self) -> None:
        period = {"starts_on": date(2025, 9, 30), "ends_on": date(2025, 10, 13)}
        check_objection(on_list=True, received_on=date(2025, 10, 13), **period)
        with pytest.raises(RuleViolated) as late:
            check_objection(on_list=True, received_on=date(2025, 10, 14), **period)
        assert rules_of(late.value) == [("received_on", "objection_during_publicity")]
        with pytest.raises(RuleViolated) as off:
            check_objection(on_list=False, received_on=date(2025, 10, 14), **period)
        assert rules_of(off.value) == [("award_id", "award_on_list")]
        with pytest.raises(Conflict) as twice:
            require_open("dismissed")
        assert rules_of(twice.value) == [("objection_id", "objection_open")]

    def test_a_transfer_changes_the_school(self) -> None:
        check_move(("150602", "2115060201"), ("150602", "2115060202"))
        with pytest.raises(RuleViolated) as caught:
            check_move(("150602", "2115060201"), ("150602", "2115060201"))
        assert rules_of(caught.value) == [("to_school_code", "transfer_changes_school")]
