"""路途时间 of 统筹 offers against the commute limit, by hand.

Seed 000 (内蒙古自治区教育厅 任务分工): "原则上小学上3年级学生不寄宿,就近走读上学,路途时间一般
不超过半小时" — primary grades 1–3 (domain.md §2.1, `max_commute_min_g1_3=30`), scope 15.
"""

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from enrollment.admission.overflow_rules import OpenSchool, Unplaced, overflow_offers
from enrollment.lottery.commute import policy, rules
from enrollment.lottery.commute.rules import Offer, Point, TravelModel

BUS = TravelModel("school_bus", Decimal(30), Decimal("1.3"))
WALK = TravelModel("walking", Decimal(5), Decimal("1.2"))
THIRTY = Decimal(30)
ON = date(2025, 9, 1)


class TestTravelMinutes:
    def test_an_offer_12_km_away_by_school_bus_is_over_half_an_hour(self) -> None:
        """Seed 000: "路途时间一般不超过半小时". 12 km × 1.3 (detour) ÷ 30 km/h × 60 = 31.2 min
        > 30: over the limit, flagged."""
        minutes = rules.travel_minutes(12.0, BUS)
        assert minutes == Decimal("31.2")
        assert rules.is_over(minutes, THIRTY) is True

    def test_on_foot_12_km_takes_almost_three_hours(self) -> None:
        # 12 × 1.2 ÷ 5 × 60 = 172.8
        assert rules.travel_minutes(12.0, WALK) == Decimal("172.8")

    def test_exactly_half_an_hour_is_within_the_limit(self) -> None:
        """不超过半小时 (domain.md §0: 不超过 N is ≤ N): 7.5 km × 1 ÷ 15 km/h = 30 min, within."""
        minutes = rules.travel_minutes(7.5, TravelModel("walking", Decimal(15), Decimal(1)))
        assert minutes == THIRTY
        assert rules.is_over(minutes, THIRTY) is False

    def test_5_km_by_school_bus_is_within(self) -> None:
        # 5 × 1.3 ÷ 30 × 60 = 13
        assert rules.travel_minutes(5.0, BUS) == Decimal(13)


class TestLimitInForce:
    def test_primary_entrants_in_inner_mongolia_have_the_seed_000_limit(self) -> None:
        limit = policy.limit_in_force("150602", level="primary", grade=1, on=ON)
        assert limit is policy.INNER_MONGOLIA_2023
        assert (limit.max_minutes, limit.min_grade, limit.max_grade) == (THIRTY, 1, 3)

    def test_grade_4_and_junior_entrants_have_no_limit(self) -> None:
        """Only "小学上3年级" (grades 1–3) has the half hour; 4–6 and 初中 have none."""
        assert policy.limit_in_force("150602", level="primary", grade=4, on=ON) is None
        assert policy.limit_in_force("150602", level="junior", grade=7, on=ON) is None

    def test_no_limit_is_invented_outside_inner_mongolia_or_before_seed_000(self) -> None:
        assert policy.limit_in_force("220822", level="primary", grade=1, on=ON) is None
        assert (
            policy.limit_in_force("150602", level="primary", grade=1, on=date(2023, 9, 1)) is None
        )


HOME = Point(109.98, 39.81)
# B and C at the home; FAR 12 km due north (Δφ = 12 / 6371.0088 rad); NEAR 5 km north
B, C, NEAR, FAR = "2115000002", "3115000003", "2115000007", "2115000008"
SCHOOLS = {
    B: HOME,
    C: HOME,
    NEAR: Point(109.98, 39.85496601818623),
    FAR: Point(109.98, 39.91791844364695),
}


class TestCheckOffers:
    def test_a_flagged_offer_names_the_full_schools_within_the_limit(self) -> None:
        """B and C (0 min) are full after the run; NEAR (13 min) goes to the first family in
        lottery order; the second is offered FAR (31.2 min): flagged, with B, C and NEAR named
        as the within-limit schools already full at its turn."""
        offers = [Offer("a1", NEAR, 5.0), Offer("a2", FAR, 12.0)]
        checked = rules.check_offers(
            offers,
            homes={"a1": HOME, "a2": HOME},
            schools=SCHOOLS,
            seats_left={B: 0, C: 0, NEAR: 1, FAR: 3},
            model=BUS,
            limit_minutes=THIRTY,
        )
        assert [(c.minutes, c.flags, c.full_within_limit) for c in checked] == [
            (Decimal(13), (), ()),
            (Decimal("31.2"), ("over_commute_limit",), (B, NEAR, C)),
        ]

    def test_without_a_model_there_is_no_estimate_and_no_flag(self) -> None:
        [checked] = rules.check_offers(
            [Offer("a2", FAR, 12.0)],
            homes={"a2": HOME},
            schools=SCHOOLS,
            seats_left={FAR: 1},
            model=None,
            limit_minutes=THIRTY,
        )
        assert (checked.minutes, checked.flags) == (None, ())

    def test_without_a_limit_minutes_are_shown_and_nothing_is_flagged(self) -> None:
        [checked] = rules.check_offers(
            [Offer("a2", FAR, 12.0)],
            homes={"a2": HOME},
            schools=SCHOOLS,
            seats_left={FAR: 1},
            model=WALK,
            limit_minutes=None,
        )
        assert (checked.minutes, checked.flags) == (Decimal("172.8"), ())

    def test_a_family_without_an_offer_has_no_estimate(self) -> None:
        [checked] = rules.check_offers(
            [Offer("a3", None, None)],
            homes={"a3": HOME},
            schools=SCHOOLS,
            seats_left={B: 0},
            model=BUS,
            limit_minutes=THIRTY,
        )
        assert (checked.minutes, checked.flags, checked.full_within_limit) == (None, (), ())


coordinate = st.floats(0, 0.3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(coordinate, coordinate, st.integers(0, 2)), min_size=1, max_size=6),
    st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=8),
    st.decimals(Decimal(3), Decimal(60), places=1),
    st.decimals(Decimal(1), Decimal(2), places=2),
)
def test_a_flagged_offer_had_no_school_within_the_limit_with_a_seat(
    schools: list[tuple[float, float, int]],
    families: list[tuple[float, float]],
    speed: Decimal,
    detour: Decimal,
) -> None:
    """Under one county model the nearest school with a seat is the quickest: the proposal never
    passes over a within-limit school, so a flagged family had none with a seat at its turn."""
    open_schools = [
        OpenSchool(f"21150000{i:02d}", 109.9 + x, 39.8 + y, seats)
        for i, (x, y, seats) in enumerate(schools)
    ]
    unplaced = [
        Unplaced(f"a{i}", 109.9 + x, 39.8 + y, f"{i:064x}") for i, (x, y) in enumerate(families)
    ]
    offers = overflow_offers(unplaced, open_schools)
    model = TravelModel("school_bus", speed, detour)
    checked = rules.check_offers(
        [Offer(o.application_id, o.school_code, o.distance_km) for o in offers],
        homes={u.application_id: Point(u.longitude, u.latitude) for u in unplaced},
        schools={s.school_code: Point(s.longitude, s.latitude) for s in open_schools},
        seats_left={s.school_code: s.remaining for s in open_schools},
        model=model,
        limit_minutes=THIRTY,
    )
    remaining = {s.school_code: s.remaining for s in open_schools}
    for offer, check in zip(offers, checked, strict=True):
        if check.flags:
            home = next(u for u in unplaced if u.application_id == offer.application_id)
            with_seat = [s for s in open_schools if remaining[s.school_code] > 0]
            distances = rules.distances_km(
                home.longitude,
                home.latitude,
                [s.longitude for s in with_seat],
                [s.latitude for s in with_seat],
            )
            assert all(rules.is_over(rules.travel_minutes(d, model), THIRTY) for d in distances)
            assert not set(check.full_within_limit) & {s.school_code for s in with_seat}
        if offer.school_code is not None:
            remaining[offer.school_code] -= 1
