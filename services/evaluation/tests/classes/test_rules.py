"""班额 on the real classes of every grade (pure rules), hand-computed.

domain.md §2.5 / §5.4 item 5 (national 2017 standard, government assurance): "Class cap (班额),
every class: primary ≤ 45, junior ≤ 50"; "大班额 / 超大班额: ≥ 56 / ≥ 66 pupils". Issue 19 item 1:
the largest class of the entry grade's planned seats ÷ planned classes is at the cap by
construction, so item 5 is judged on the classes the bureau reports.
"""

from decimal import Decimal

from evaluation.classes.rules import BANDS, ClassRow, class_size, grade_fits

CAPS = {"primary": Decimal(45), "junior": Decimal(50)}
A, B, C, J, S = "2115060001", "2115060002", "2115060003", "3115060001", "5115060001"


def rows() -> list[ClassRow]:
    return [
        ClassRow(A, "primary", 1, "1班", 45),
        ClassRow(A, "primary", 1, "2班", 57),
        ClassRow(A, "primary", 3, "1班", 44),
        ClassRow(B, "primary", 2, "1班", 66),
        ClassRow(B, "primary", 2, "2班", 40),
        ClassRow(C, "primary", 1, "1班", 30),
        ClassRow(C, "primary", 6, "1班", 28),
        ClassRow(J, "junior", 7, "1班", 50),
        ClassRow(J, "junior", 7, "2班", 51),
    ]


class TestClassSize:
    def test_every_class_of_every_grade_is_measured_against_its_levels_cap(self) -> None:
        """A: 45, 57, 44 → largest 57, one class over 45 by 12 pupils, 57 ≥ 56 is a 大班额.
        B: 66, 40 → one over by 21; 66 is 大班额 and 超大班额. C: 30, 28 → met.
        J (junior): 50, 51 → 51 > 50 by 1, not a 大班额."""
        measure = class_size(rows(), CAPS)

        by_school = {s.school_code: s for s in measure.sections}
        a, b, c, j = by_school[A], by_school[B], by_school[C], by_school[J]
        assert (a.classes, a.pupils, a.largest_class, a.pupils_over) == (3, 146, 57, 12)
        assert [(o.grade, o.name, o.pupils) for o in a.over_cap] == [(1, "2班", 57)]
        assert (a.large_classes, a.extra_large_classes) == (1, 0)
        assert (len(b.over_cap), b.pupils_over, b.large_classes, b.extra_large_classes) == (
            1,
            21,
            1,
            1,
        )
        assert c.met
        assert c.largest_class == 30
        assert (j.largest_class, j.pupils_over, j.large_classes) == (51, 1, 0)
        assert measure.measured == {
            "largest_primary_class": Decimal(66),
            "largest_junior_class": Decimal(51),
        }

    def test_the_over_cap_sections_come_primary_first_largest_class_first(self) -> None:
        measure = class_size(rows(), CAPS)

        assert [s.school_code for s in measure.over_cap] == [B, A, J]

    def test_county_totals_count_large_and_extra_large_classes_and_their_shares(self) -> None:
        """Primary: 7 classes, 2 over 45 (57, 66), 2 大班额 (57, 66), 1 超大班额 (66):
        shares 2/7 = 0.2857…, 1/7 = 0.1428…. Junior: 2 classes, 1 over 50, none large."""
        primary, junior = class_size(rows(), CAPS).totals

        assert (primary.sections, primary.classes, primary.over_cap_classes) == (3, 7, 2)
        assert (primary.large_classes, primary.extra_large_classes) == (2, 1)
        assert primary.share(primary.large_classes) == Decimal(2) / Decimal(7)
        assert (junior.classes, junior.over_cap_classes, junior.large_classes) == (2, 1, 0)

    def test_the_bands_start_at_56_and_66_pupils(self) -> None:
        """55 is over the cap but not large; 56 is large; 65 is not extra-large; 66 is."""
        measure = class_size(
            [
                ClassRow(A, "primary", 1, "1班", 55),
                ClassRow(A, "primary", 1, "2班", 56),
                ClassRow(A, "primary", 1, "3班", 65),
                ClassRow(A, "primary", 1, "4班", 66),
            ],
            CAPS,
        )

        [a] = measure.sections
        assert (BANDS.large_from, BANDS.extra_large_from) == (56, 66)
        assert (len(a.over_cap), a.large_classes, a.extra_large_classes) == (4, 3, 1)

    def test_a_special_education_section_is_kept_but_not_judged(self) -> None:
        """特殊教育学校 keep their classes on record; the ordinary caps do not judge them and
        the county's largest class ignores them."""
        measure = class_size(
            [ClassRow(S, "primary", 1, "1班", 60), ClassRow(C, "primary", 1, "1班", 30)],
            CAPS,
            special_education=frozenset({(S, "primary")}),
        )

        assert measure.measured == {"largest_primary_class": Decimal(30)}
        assert measure.over_cap == []
        assert [s.school_code for s in measure.sections] == [C, S]
        assert measure.totals[0].classes == 1

    def test_a_level_without_ordinary_classes_is_not_measured(self) -> None:
        measure = class_size([ClassRow(A, "primary", 1, "1班", 40)], CAPS)

        assert "largest_junior_class" not in measure.measured
        assert [t.level for t in measure.totals] == ["primary"]


class TestGrades:
    def test_primary_is_1_to_6_and_junior_6_to_9(self) -> None:
        """六三制 junior grades 7–9; 五四制 puts grade 6 in junior school."""
        assert [g for g in range(0, 11) if grade_fits("primary", g)] == [1, 2, 3, 4, 5, 6]
        assert [g for g in range(0, 11) if grade_fits("junior", g)] == [6, 7, 8, 9]
