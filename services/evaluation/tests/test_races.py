"""Races for the evaluation inputs' natural keys between two replicas on one database, SQLite
and PostgreSQL (issue 17): twenty identical PUTs at once, spread over two apps with their own
engines. Each stores (replaces) its input: every PUT that got through answers 200, one that
created the same row as a concurrent one — or the county's verdict state beside it — is told to
send it again (409 problem+json); one row, never a 5xx."""

from typing import Any

from evaluation.resources.models import SchoolResource
from evaluation.scope.models import ScopeRule
from evaluation.verdict.models import (
    CountyVerdictState,
    EligibilityInput,
    RecognitionInput,
    VerdictItemInput,
)
from junheng_kit.testing.plugin import Replicas, assert_race_settled

from .conftest import build_section

BASE = "/v1/counties/150602/years/2025"
EVIDENCE = [{"title": "督导自评报告", "reference": "东教督〔2025〕3号"}]
VERDICT_CHANGED = ("header.if-match", "version_current")  # the verdict state created beside


async def put_twenty(
    replicas: Replicas, writer: dict[str, str], path: str, body: dict[str, Any]
) -> list[Any]:
    return await replicas.race("PUT", path, json=body, headers=writer)


class TestVerdictInputRaces:
    async def test_one_item_put_twenty_times_at_once_is_stored_once(
        self, replicas: Replicas, writer: dict[str, str]
    ) -> None:
        review = {"measured": None, "finding": "met", "evidence": EVIDENCE, "reviewer": "李审核"}
        answers = await put_twenty(replicas, writer, f"{BASE}/items/full_curriculum", review)
        assert_race_settled(
            answers, ("path.key", "verdict_item_unique"), VERDICT_CHANGED, won=200, winners=None
        )
        assert await replicas.count(VerdictItemInput) == 1
        assert await replicas.count(CountyVerdictState) <= 1

    async def test_the_survey_put_twenty_times_at_once_is_stored_once(
        self, replicas: Replicas, writer: dict[str, str]
    ) -> None:
        survey = {"groups": [{"group": "parents", "respondents": 1000, "satisfied": 850}]}
        answers = await put_twenty(replicas, writer, f"{BASE}/recognition", survey)
        assert_race_settled(
            answers, ("path.year", "recognition_unique"), VERDICT_CHANGED, won=200, winners=None
        )
        assert await replicas.count(RecognitionInput) == 1

    async def test_the_eligibility_put_twenty_times_at_once_is_stored_once(
        self, replicas: Replicas, writer: dict[str, str]
    ) -> None:
        eligibility = {"basic_balance_recognised_year": 2022}
        answers = await put_twenty(replicas, writer, f"{BASE}/eligibility", eligibility)
        assert_race_settled(
            answers, ("path.year", "eligibility_unique"), VERDICT_CHANGED, won=200, winners=None
        )
        assert await replicas.count(EligibilityInput) == 1


class TestScopeRuleRaces:
    async def test_one_version_put_twenty_times_at_once_is_stored_once(
        self, replicas: Replicas, writer: dict[str, str]
    ) -> None:
        weights = {
            "effective_from": "2025-09-01",
            "citation": "东胜区优质均衡评估细则（2025）第三条",
            "weights": {"nine_year": {"primary": "1", "junior": "1.1"}},
        }
        answers = await put_twenty(
            replicas, writer, "/v1/counties/150602/scope-rules/combined_school_weights", weights
        )
        assert_race_settled(answers, ("effective_from", "scope_rule_unique"), won=200, winners=None)
        assert await replicas.count(ScopeRule) == 1


class TestResourceRaces:
    async def test_a_countys_data_put_twenty_times_at_once_is_stored_once(
        self, replicas: Replicas, writer: dict[str, str]
    ) -> None:
        schools = [
            build_section("2115060001", "primary", 1200, 60, 14, 12, 6000, 9600, 2_600_000, 30),
            build_section("3115060001", "junior", 1000, 53, 10, 9, 5800, 10200, 2_500_000, 24),
        ]
        answers = await put_twenty(
            replicas, writer, "/v1/school-resources/150602/2025", {"schools": schools}
        )
        # each replacement that got through replaced the set in turn
        assert_race_settled(
            answers,
            ("schools", "school_resource_unique"),
            VERDICT_CHANGED,
            won=200,
            winners=None,
        )
        assert await replicas.count(SchoolResource) == 2
