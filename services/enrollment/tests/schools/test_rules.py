"""The county's 民办 share against its cap (issue 19), by hand."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from enrollment.schools.rules import PupilCount, as_decimal, private_share


class TestPrivateShare:
    def test_a_share_equal_to_the_cap_is_within_it(self) -> None:
        """Seed 000 (item 19): "坚持义务教育学位主要由公办学校提供，严格控制县域内民办义务教育在校生
        占比". A cap is 不超过 N, i.e. ≤ N (domain.md §0): 20 民办 of 200 pupils = 0.1000 keeps a
        cap of 0.10; the same county is over a cap of 0.0999."""
        pupils = PupilCount(public=180, private=20)
        at_cap = private_share(pupils, Decimal("0.10"))
        assert (at_cap.share, at_cap.status) == (Fraction(1, 10), "within")
        assert private_share(pupils, Decimal("0.0999")).status == "over"

    def test_pupils_at_schools_of_unrecorded_ownership_bound_the_share(self) -> None:
        # 150 公办, 20 民办, 30 unrecorded: the share lies in [20/200, 50/200] = [0.10, 0.25]
        pupils = PupilCount(public=150, private=20, unrecorded=30)
        middle = private_share(pupils, Decimal("0.20"))
        assert (middle.share, middle.share_max, middle.status) == (
            Fraction(1, 10),
            Fraction(1, 4),
            "undetermined",
        )
        assert private_share(pupils, Decimal("0.25")).status == "within"
        assert private_share(pupils, Decimal("0.05")).status == "over"

    def test_without_a_cap_there_is_nothing_to_compare(self) -> None:
        outcome = private_share(PupilCount(public=3, private=1), None)
        assert (outcome.share, outcome.status) == (Fraction(1, 4), "no_cap")

    def test_without_pupils_there_is_no_share(self) -> None:
        outcome = private_share(PupilCount(), Decimal("0.15"))
        assert (outcome.share, outcome.share_max, outcome.status) == (None, None, "no_pupils")

    def test_the_displayed_share_is_rounded_half_up_to_4_places(self) -> None:
        assert as_decimal(Fraction(1, 3)) == Decimal("0.3333")
        assert as_decimal(Fraction(2, 3)) == Decimal("0.6667")
        assert as_decimal(Fraction(1, 20000)) == Decimal("0.0001")  # 0.00005 rounds up
        assert as_decimal(None) is None

    @given(
        st.integers(0, 5000),
        st.integers(0, 5000),
        st.integers(0, 500),
        st.integers(1, 50),
        st.decimals(Decimal("0.0001"), Decimal(1), places=4),
    )
    def test_the_verdict_does_not_depend_on_the_countys_size(
        self, public: int, private: int, unrecorded: int, factor: int, cap: Decimal
    ) -> None:
        small = PupilCount(public, private, unrecorded)
        large = PupilCount(public * factor, private * factor, unrecorded * factor)
        assert private_share(small, cap) == private_share(large, cap)
