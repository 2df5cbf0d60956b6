"""应助尽助 rules on small frames whose answers are worked out by hand in each test."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from assistance.identification import rules
from assistance.identification.rules import Programme
from junheng_kit.identifiers import citizen_id_from_body as cid

# five pupils of Dongsheng (150602), two schools
WANG = cid("15060220150301001")  # 王芳, born 2015-03-01
LI = cid("15060220140712002")  # 李强
ZHAO = cid("15060220160101003")  # 赵敏
ABDU = cid("15060220130505004")  # 阿卜杜·热合曼
SUN = cid("15060220150901005")  # 孙悦, born 2015-09-01
SUN_ON_LIST = cid("15062120150901007")  # another ID, same name and birth date as 孙悦
STRANGER = cid("15060220120202008")  # on a list, not on the roster
PRIMARY, JUNIOR = "2115000001", "3115000002"
AS_OF = date(2026, 9, 1)

# the frames as the rules read them: keyed (rules.plain_keys: the keys unhashed; the service
# reads their blind indexes)
ROSTER = rules.plain_keys(
    pl.DataFrame(
        {
            "student_id": ["s1", "s2", "s3", "s4", "s5"],
            "citizen_id": [WANG, LI, ZHAO, ABDU, SUN],
            "name": ["王芳", "李强", "赵敏", "阿卜杜·热合曼", "孙悦"],
            "school_code": [PRIMARY, PRIMARY, PRIMARY, JUNIOR, JUNIOR],
        }
    )
).select(list(rules.ROSTER_SCHEMA))


def plain_entries(*rows: tuple[str, str, str, str, date, date | None, str]) -> pl.DataFrame:
    """(agency, citizen_id, name, category, valid_from, valid_until, assertion_id), numbered
    from 1 as `entry_id`, with the ID and the name in the clear."""
    return pl.DataFrame(
        {
            "entry_id": list(range(1, len(rows) + 1)),
            "list_ref": [f"list-{r[0]}" for r in rows],
            "agency": [r[0] for r in rows],
            "citizen_id": [r[1] for r in rows],
            "name": [r[2] for r in rows],
            "category": [r[3] for r in rows],
            "valid_from": [r[4] for r in rows],
            "valid_until": [r[5] for r in rows],
            "assertion_id": [r[6] for r in rows],
        },
        schema_overrides={"entry_id": pl.Int64, "valid_until": pl.Date},
    )


def entries(*rows: tuple[str, str, str, str, date, date | None, str]) -> pl.DataFrame:
    return rules.plain_keys(plain_entries(*rows)).select(list(rules.ENTRY_SCHEMA))


def shown(partial: pl.DataFrame, listed: pl.DataFrame) -> pl.DataFrame:
    """Partial matches with the list's ID and name of their entry (what a review item shows)."""
    return partial.join(
        listed.select(
            "entry_id",
            pl.col("citizen_id").alias("list_citizen_id"),
            pl.col("name").alias("list_name"),
        ),
        on="entry_id",
    )


LIST_ROWS = (
    ("mca", WANG, "王芳", "dibao", date(2026, 1, 1), None, "a1"),
    ("nrra", WANG, "王芳", "tuopin", date(2020, 1, 1), date(2026, 12, 31), "a2"),
    ("mca", LI, "李强", "dibao", date(2025, 1, 1), date(2026, 8, 31), "a3"),  # ended the day before
    ("cdpf", ZHAO, "赵 敏", "disabled_student", date(2026, 3, 1), None, "a4"),  # blank in the name
    ("mca", ABDU, "阿卜杜•热合曼", "orphan", date(2024, 1, 1), None, "a5"),  # another middle dot
    ("nrra", SUN_ON_LIST, "孙悦", "monitored_relapse", date(2026, 1, 1), None, "a6"),
    ("mca", STRANGER, "钱多", "tekun", date(2026, 1, 1), None, "a7"),
    ("cdpf", LI, "李刚", "disabled_parent", date(2026, 9, 1), None, "a8"),  # other name, from today
)
LISTS = entries(*LIST_ROWS)


class TestValidity:
    def test_both_ends_are_included_and_an_open_end_never_expires(self) -> None:
        frame = entries(
            ("mca", WANG, "王芳", "dibao", date(2026, 9, 1), date(2026, 9, 1), "from-and-until"),
            ("mca", WANG, "王芳", "dibao", date(2026, 9, 2), None, "starts-tomorrow"),
            ("mca", WANG, "王芳", "dibao", date(2020, 1, 1), date(2026, 8, 31), "ended"),
            ("mca", WANG, "王芳", "dibao", date(2000, 1, 1), None, "open"),
        )
        valid = rules.valid_on(frame, AS_OF)
        assert valid.get_column("assertion_id").to_list() == ["from-and-until", "open"]


class TestMatching:
    def test_id_and_name_agreeing_after_normalising_is_an_exact_match(self) -> None:
        matches = rules.match(ROSTER, LISTS, on=AS_OF)
        # 王芳 twice (dibao, tuopin), 赵敏 (blank ignored), 阿卜杜·热合曼 (• ≡ ·); 李强's dibao
        # ended on 08-31
        exact = matches.exact.sort("assertion_id")
        assert exact.select("student_id", "category", "assertion_id").rows() == [
            ("s1", "dibao", "a1"),
            ("s1", "tuopin", "a2"),
            ("s3", "disabled_student", "a4"),
            ("s4", "orphan", "a5"),
        ]

    def test_a_listed_id_under_another_name_goes_to_review(self) -> None:
        matches = rules.match(ROSTER, LISTS, on=AS_OF)
        assert shown(matches.name_mismatch, plain_entries(*LIST_ROWS)).select(
            "student_id", "category", "list_citizen_id", "list_name"
        ).rows() == [("s2", "disabled_parent", LI, "李刚")]

    def test_same_name_and_birth_date_under_another_id_goes_to_review(self) -> None:
        matches = rules.match(ROSTER, LISTS, on=AS_OF)
        # 孙悦 (roster 150602…, list 150621…) both born 2015-09-01; 钱多 matches nobody
        assert shown(matches.id_mismatch, plain_entries(*LIST_ROWS)).select(
            "student_id", "agency", "category", "list_citizen_id", "assertion_id"
        ).rows() == [("s5", "nrra", "monitored_relapse", SUN_ON_LIST, "a6")]

    def test_a_student_listed_by_own_id_is_not_also_an_id_mismatch(self) -> None:
        twin = entries(
            ("mca", WANG, "王芳", "dibao", date(2026, 1, 1), None, "own"),
            ("mca", cid("15062120150301009"), "王芳", "tekun", date(2026, 1, 1), None, "twin"),
        )
        matches = rules.match(ROSTER, twin, on=AS_OF)
        assert matches.exact.get_column("assertion_id").to_list() == ["own"]
        assert matches.id_mismatch.height == 0


PROGRAMMES = [
    Programme("living_subsidy", frozenset({"dibao", "tekun", "orphan", "tuopin"})),
    Programme("disabled_supplies", frozenset({"disabled_student"})),
]
ORDER = ["dibao", "tekun", "orphan", "de_facto_unsupported", "disabled_student", "tuopin"]


def no_awards() -> pl.DataFrame:
    return pl.DataFrame(schema=rules.AWARD_SCHEMA)


class TestProposals:
    def test_one_award_per_student_and_programme_on_the_first_category_in_order(self) -> None:
        matches = rules.match(ROSTER, LISTS, on=AS_OF)
        proposed = rules.proposals(
            matches.exact, PROGRAMMES, no_awards(), category_order=ORDER
        ).sort("student_id", "programme_code")
        # 王芳: dibao before tuopin → one living subsidy on dibao (evidence a1 and its list);
        # 赵敏: disabled supplies; 阿卜杜: living subsidy on orphan
        assert proposed.rows() == [
            ("s1", "living_subsidy", "dibao", ["a1", "list-mca"]),
            ("s3", "disabled_supplies", "disabled_student", ["a4", "list-cdpf"]),
            ("s4", "living_subsidy", "orphan", ["a5", "list-mca"]),
        ]

    def test_a_student_already_holding_the_programme_gets_no_second_proposal(self) -> None:
        matches = rules.match(ROSTER, LISTS, on=AS_OF)
        existing = pl.DataFrame(
            {
                "award_id": ["w1"],
                "student_id": ["s1"],
                "programme_code": ["living_subsidy"],
                "category": [None],
                "status": ["applied"],
            },
            schema=rules.AWARD_SCHEMA,
        )
        proposed = rules.proposals(matches.exact, PROGRAMMES, existing, category_order=ORDER).sort(
            "student_id", "programme_code"
        )
        assert proposed.select("student_id", "programme_code").rows() == [
            ("s3", "disabled_supplies"),
            ("s4", "living_subsidy"),
        ]

    def test_no_programme_no_proposals(self) -> None:
        matches = rules.match(ROSTER, LISTS, on=AS_OF)
        assert rules.proposals(matches.exact, [], no_awards(), category_order=ORDER).height == 0


class TestLostCategories:
    def test_an_award_whose_category_the_agency_no_longer_confirms_is_lost(self) -> None:
        matches = rules.match(ROSTER, LISTS, on=AS_OF)
        awards = pl.DataFrame(
            {
                "award_id": ["w1", "w2", "w3", "w4", "w5"],
                "student_id": ["s1", "s2", "s2", "s5", "s3"],
                "programme_code": ["living_subsidy"] * 5,
                "category": ["dibao", "dibao", "disabled_parent", "hardship_child", None],
                "status": ["approved", "approved", "reviewed", "approved", "approved"],
            },
            schema=rules.AWARD_SCHEMA,
        )
        answered = {"dibao": "mca", "disabled_parent": "cdpf", "tuopin": "nrra"}
        lost = rules.lost_categories(awards, rules.listed_categories(matches), answered)
        # w1 still confirmed; w2 李强's dibao ended 08-31 → lost; w3 listed under his ID (other
        # name): still confirmed by ID; w4 hardship_child: no list answers it; w5 no category
        assert lost.rows() == [("w2", "s2", "dibao", "mca")]


class TestCoverage:
    def test_counts_per_school_by_hand(self) -> None:
        matches = rules.match(ROSTER, LISTS, on=AS_OF)
        listed = rules.listed_categories(matches)
        awards = pl.DataFrame(
            {
                "award_id": ["w1", "w2", "w3"],
                "student_id": ["s1", "s5", "s2"],
                "programme_code": ["living_subsidy"] * 3,
                "category": ["dibao", None, None],
                "status": ["proposed", "applied", "rejected"],
            },
            schema=rules.AWARD_SCHEMA,
        )
        per_school = rules.coverage(
            ROSTER,
            listed=listed,
            auto=matches.exact,
            confirmed=pl.DataFrame({"student_id": []}, schema={"student_id": pl.String}),
            awards=awards,
        )
        # primary s1 s2 s3: listed s1 (exact) s2 (name mismatch) s3 (exact) → eligible 3,
        #   auto 2 (s1 s3), awarded 1 (s1; s2's award rejected), gap 2, coverage 2/3
        # junior s4 s5: s4 exact; s5 only an id mismatch but holds a school award → eligible 2,
        #   auto 1, awarded 1 (s5), gap 1, coverage 1/2
        assert per_school.select(
            "school_code", "students", "eligible", "auto_identified", "awarded", "gap"
        ).rows() == [(PRIMARY, 3, 3, 2, 1, 2), (JUNIOR, 2, 2, 1, 1, 1)]
        assert per_school.get_column("coverage").to_list() == pytest.approx([2 / 3, 1 / 2])
        county = rules.totals(per_school)
        assert county == {
            "students": 5,
            "eligible": 5,
            "auto_identified": 3,
            "awarded": 2,
            "gap": 3,
            "coverage": pytest.approx(3 / 5),
        }

    def test_a_confirmed_review_makes_the_student_eligible_but_not_auto_identified(self) -> None:
        per_school = rules.coverage(
            ROSTER,
            listed=pl.DataFrame({"student_id": []}, schema={"student_id": pl.String}),
            auto=pl.DataFrame({"student_id": []}, schema={"student_id": pl.String}),
            confirmed=pl.DataFrame({"student_id": ["s5"]}),
            awards=no_awards(),
        )
        assert per_school.select("school_code", "eligible", "auto_identified", "gap").rows() == [
            (PRIMARY, 0, 0, 0),
            (JUNIOR, 1, 0, 1),
        ]

    def test_nobody_eligible_is_coverage_zero(self) -> None:
        empty = pl.DataFrame({"student_id": []}, schema={"student_id": pl.String})
        per_school = rules.coverage(
            ROSTER, listed=empty, auto=empty, confirmed=empty, awards=no_awards()
        )
        assert per_school.get_column("coverage").to_list() == [0.0, 0.0]
        assert rules.totals(per_school)["coverage"] == 0.0


class TestLeftBehindAndPriority:
    """Seed 000 item 12: "完善孤儿、事实无人抚养儿童、农村留守儿童、困境儿童精准摸排机制,加强教育
    保障和关爱保护,优先保障寄宿、交通、营养需求". s1 低保; s2 低保 and left behind; s3 孤儿;
    s4 left behind only; s5 on no list."""

    LISTED = pl.DataFrame(
        {
            "student_id": ["s1", "s2", "s2", "s3", "s4"],
            "category": ["dibao", "dibao", "left_behind_child", "orphan", "left_behind_child"],
        }
    )
    SEED_000 = frozenset({"orphan", "de_facto_unsupported", "left_behind_child", "hardship_child"})

    def test_served_first_are_the_pupils_listed_in_a_programmes_priority_categories(
        self,
    ) -> None:
        found = rules.served_first(
            self.LISTED, {"lodging_subsidy": self.SEED_000, "dongsheng_transport": {"orphan"}}
        )
        # lodging: s2 (left behind; once, though also 低保), s3 (孤儿), s4 (left behind);
        # transport: s3 only; s1's 低保 and s5 are in no priority category
        assert found.rows() == [
            ("dongsheng_transport", "s3"),
            ("lodging_subsidy", "s2"),
            ("lodging_subsidy", "s3"),
            ("lodging_subsidy", "s4"),
        ]
        assert rules.served_first(self.LISTED, {}).is_empty()

    def test_a_pupil_listed_only_as_left_behind_is_not_eligible(self) -> None:
        """Primary s1 s2 s3 all listed in an aid category: 3 eligible, 3 auto, no award yet, gap
        3. Junior: s4 is listed only as left behind, s5 on no list: 0 eligible (counting s4
        would make 1)."""
        empty = pl.DataFrame({"student_id": []}, schema={"student_id": pl.String})
        per_school = rules.coverage(
            ROSTER,
            listed=self.LISTED,
            auto=self.LISTED,
            confirmed=empty,
            awards=no_awards(),
            care_only={"left_behind_child"},
        )
        assert per_school.select("school_code", "eligible", "auto_identified", "gap").rows() == [
            (PRIMARY, 3, 3, 3),
            (JUNIOR, 0, 0, 0),
        ]
