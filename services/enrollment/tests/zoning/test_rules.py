"""Zoning rules without a database: shapes, overlaps, point location, re-zoning preview."""

import math
from fractions import Fraction

import numpy as np
import pytest
import shapely

from enrollment.zoning import rules
from junheng_kit.i18n import Text


def square(x0: float, y0: float, side: float = 0.01) -> shapely.Polygon:
    return shapely.box(x0, y0, x0 + side, y0 + side)


def zone(code: str, geometry: shapely.Geometry, *schools: str) -> rules.Zone:
    return rules.Zone(code, f"{code} 片区", tuple(schools or ("2115060001",)), geometry)


# three zones near Dongsheng: P01 and P02 share the edge x = 109.98; P03 (两校) lies above both
P01 = zone("P01", square(109.97, 39.81), "2115060001")
P02 = zone("P02", square(109.98, 39.81), "2115060002")
P03 = zone("P03", shapely.box(109.97, 39.82, 109.99, 39.83), "2115060001", "2115060002")


class TestArea:
    def test_a_square_of_a_hundredth_degree_is_scaled_by_the_cosine_of_its_latitude(self) -> None:
        # 0.01° × 0.01° at the centroid latitude 39.815°: (0.01 × 111,320)² × cos 39.815°
        # = 1,239,214.24 m² × 0.768116 ≈ 951,860 m²
        area = float(rules.area_m2(np.array([square(109.97, 39.81)]))[0])
        assert area == pytest.approx(1113.2**2 * math.cos(math.radians(39.815)), rel=1e-9)
        assert round(area, -3) == 952_000


class TestParseGeometry:
    def test_a_bowtie_is_rejected_as_self_intersecting_with_the_feature_named(self) -> None:
        bowtie = {
            "type": "Polygon",
            "coordinates": [
                [
                    [109.97, 39.81],
                    [109.98, 39.82],
                    [109.98, 39.81],
                    [109.97, 39.82],
                    [109.97, 39.81],
                ]
            ],
        }
        shape, errors = rules.parse_geometry(bowtie, field_name="zones.features[2].geometry")
        assert shape is None
        assert [(e.field, e.rule) for e in errors] == [
            ("zones.features[2].geometry", "polygon_valid")
        ]
        assert errors[0].message.startswith("Self-intersection")

    def test_a_point_is_not_a_zone(self) -> None:
        _, errors = rules.parse_geometry(
            {"type": "Point", "coordinates": [109.97, 39.81]}, field_name="g"
        )
        assert [e.rule for e in errors] == ["geometry_polygon"]

    def test_coordinates_given_as_latitude_longitude_fall_outside_china(self) -> None:
        swapped = {
            "type": "Polygon",
            "coordinates": [[[39.81, 109.97], [39.82, 109.97], [39.82, 109.98], [39.81, 109.97]]],
        }
        _, errors = rules.parse_geometry(swapped, field_name="g")
        assert [e.rule for e in errors] == ["wgs84_china_extent"]


class TestOverlaps:
    def test_zones_sharing_an_edge_do_not_overlap(self) -> None:
        assert rules.overlaps([P01, P02, P03]) == []

    def test_overlap_names_both_zones_and_the_area(self) -> None:
        # P04 is P02 moved 0.002° west: the two share a 0.002° × 0.01° strip with P01
        p04 = zone("P04", square(109.978, 39.81))
        errors = rules.overlap_errors([P01, p04], "zones.features")
        strip = (
            0.002 * 0.01 * 111_320**2 * math.cos(math.radians(39.815))
        )  # 2e-5 deg² × 111,320² × cos 39.815° = 247,842.8 × 0.768116 ≈ 190,372 m²
        assert len(errors) == 1
        assert errors[0].field == "zones.features[1].geometry"
        assert errors[0].rule == "zones_not_overlapping"
        assert isinstance(errors[0].message, Text)
        assert errors[0].message.zh.startswith("学区 P01 与学区 P04 重叠 ")
        message = errors[0].message.en
        assert message.startswith("zone P01 and zone P04 overlap by ")
        assert message.endswith(" m²")
        assert float(message.split(" by ")[1].removesuffix(" m²")) == pytest.approx(strip, rel=1e-6)
        assert round(strip) == 190_372

    def test_a_sliver_below_one_square_metre_is_ignored(self) -> None:
        # 1e-7° of longitude ≈ 0.0086 m wide × 1113 m long ≈ 9.5 m²; 1e-9° ≈ 0.095 m²
        sliver = zone("P05", square(109.98 - 1e-9, 39.81))
        assert rules.overlaps([P01, sliver]) == []
        wider = zone("P06", square(109.98 - 1e-7, 39.81))
        assert len(rules.overlaps([P01, wider])) == 1


class TestLocate:
    index = rules.ZoneIndex([P03, P02, P01])  # given unordered on purpose

    def test_points_inside_outside_and_on_borders(self) -> None:
        longitude = np.array([109.975, 109.985, 109.98, 109.97, 109.96, 109.98, 109.975])
        latitude = np.array([39.815, 39.815, 39.815, 39.812, 39.815, 39.82, 39.83])
        found = self.index.locate(longitude, latitude)
        codes = [self.index.zones[i].zone_code if i >= 0 else None for i in found]
        assert codes == [
            "P01",  # inside P01
            "P02",  # inside P02
            "P01",  # on the P01|P02 edge: the code that sorts first
            "P01",  # on P01's outer edge: borders count as inside
            None,  # west of every zone
            "P01",  # the corner shared by P01, P02 and P03
            "P03",  # on P03's top edge
        ]

    def test_one_point(self) -> None:
        found = self.index.locate_one(109.985, 39.825)
        assert found is not None
        assert (found.zone_code, found.zone_type) == ("P03", "multi_school")
        assert self.index.locate_one(110.5, 39.0) is None


class TestPreview:
    def test_households_moving_zone_and_school_and_the_seat_balance(self) -> None:
        old = rules.ZoneIndex([P01, P02, P03])
        # the draft moves the P01|P02 edge 0.005° east: x in (109.98, 109.985] now belongs to P01
        draft = rules.ZoneIndex(
            [
                zone("P01", shapely.box(109.97, 39.81, 109.985, 39.82), "2115060001"),
                zone("P02", shapely.box(109.985, 39.81, 109.99, 39.82), "2115060002"),
                P03,
            ]
        )
        households = [
            rules.Household("h1", 109.975, 39.815),  # P01 → P01
            rules.Household("h2", 109.982, 39.815),  # P02 → P01: changes school
            rules.Household("h3", 109.988, 39.815),  # P02 → P02
            rules.Household("h4", 109.975, 39.825, "2115060002"),  # P03, chose school 2
            rules.Household("h5", 109.985, 39.825),  # P03, no choice: half to each school
            rules.Household("h6", 109.90, 39.80),  # outside both maps
        ]
        outcome = rules.preview(old, draft, households, {"2115060001": 45, "2115060002": 90})
        changes = {c.id: c for c in outcome.households}
        assert (changes["h2"].old_school, changes["h2"].new_school) == ("2115060002", "2115060001")
        assert [c.id for c in outcome.households if c.changes_school] == ["h2"]
        assert (outcome.zone_changed, outcome.school_changed) == (1, 1)
        balances = {b.school_code: b for b in outcome.schools}
        # school 1 before: h1 + ½ h5 = 1.5; after: h1 + h2 + ½ h5 = 2.5
        assert balances["2115060001"].demand_before == Fraction(3, 2)
        assert balances["2115060001"].demand_after == Fraction(5, 2)
        assert balances["2115060001"].balance(Fraction(5, 2)) == Fraction(85, 2)
        # school 2 before: h2 + h3 + h4 + ½ h5 = 3.5; after: h3 + h4 + ½ h5 = 2.5
        assert balances["2115060002"].demand_before == Fraction(7, 2)
        assert balances["2115060002"].demand_after == Fraction(5, 2)

    def test_without_a_map_in_force_everyone_in_a_zone_changes(self) -> None:
        outcome = rules.preview(
            None, rules.ZoneIndex([P01]), [rules.Household("h1", 109.975, 39.815)], {}
        )
        assert (outcome.zone_changed, outcome.school_changed) == (1, 1)
        assert outcome.schools[0].seats is None


class TestGridMatchesTree:
    def test_grid_and_tree_agree_inside_outside_and_on_every_border(self) -> None:
        index = rules.ZoneIndex([P01, P02, P03, zone("P04", square(110.0, 39.81))])
        rng = np.random.default_rng(5)
        longitude = np.concatenate(
            [
                rng.uniform(109.965, 110.015, 5000),
                [109.97, 109.98, 109.99, 110.0, 110.01, 109.985, 109.975, 109.99, 110.01],
            ]
        )
        latitude = np.concatenate(
            [
                rng.uniform(39.805, 39.835, 5000),
                [39.81, 39.815, 39.82, 39.815, 39.82, 39.83, 39.83, 39.83, 39.81],
            ]
        )
        by_grid = index.locate_with_grid(longitude, latitude)
        by_tree = index.locate_with_tree(longitude, latitude)
        assert np.array_equal(by_grid, by_tree)
        codes = [index.zones[i].zone_code if i >= 0 else None for i in by_grid[5000:]]
        # (109.99, 39.82) is a corner of P02 and P03 only: P02 sorts first
        assert codes == ["P01", "P01", "P02", "P04", "P04", "P03", "P03", "P03", "P04"]
        # the random points fall in every zone and outside them all
        assert set(by_grid[:5000].tolist()) == {-1, 0, 1, 2, 3}
