"""Pure zoning rules (划片): parse and check zone shapes, find overlaps, locate points, and preview
a re-zoning (domain.md §2.1). No database here; shapely 2 does the geometry, vectorised.

Coordinates are WGS 84 longitude/latitude. Areas in m² use a local equal-area approximation: x
(longitude degrees) scaled by 111,320 m × cos(latitude of the shape's centroid), y by 111,320 m,
good to well under 1% at county scale.
"""

import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import shapely
from shapely import STRtree
from shapely.errors import GEOSException

from junheng_kit.i18n import t
from junheng_kit.problems import FieldError

METRES_PER_DEGREE = 111_320.0
# shared edges and digitising slivers below this are not an overlap
OVERLAP_TOLERANCE_M2 = 1.0
# China's extent, as for school locations
LONGITUDE_RANGE = (73.0, 135.5)
LATITUDE_RANGE = (3.5, 53.6)

ZoneType = Literal["single_school", "multi_school"]
Geometry = Any  # shapely geometry; shapely ships no precise stubs for its classes


@dataclass(frozen=True, slots=True)
class Zone:
    """片区: a zone's code, name, schools (one: 单校划片, several: 多校划片) and polygon."""

    zone_code: str
    name: str
    school_codes: tuple[str, ...]
    geometry: Geometry = field(compare=False)

    @property
    def zone_type(self) -> ZoneType:
        return "single_school" if len(self.school_codes) == 1 else "multi_school"


def area_m2(geometries: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Areas in m² by the local equal-area approximation (0 for empty or linear shapes)."""
    latitude = np.nan_to_num(shapely.get_y(shapely.centroid(geometries)))
    scale = METRES_PER_DEGREE * METRES_PER_DEGREE * np.cos(np.radians(latitude))
    return np.asarray(shapely.area(geometries) * scale, dtype=np.float64)


def parse_geometry(
    geometry: Mapping[str, Any], *, field_name: str
) -> tuple[Geometry, list[FieldError]]:
    """A GeoJSON Polygon or MultiPolygon → a valid shapely geometry, or the reasons it is not."""
    kind = geometry.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        return None, [
            FieldError(
                field_name,
                "geometry_polygon",
                t(
                    f"学区应为 Polygon 或 MultiPolygon，而不是 {kind}",
                    f"a zone is a Polygon or MultiPolygon, not {kind}",
                ),
            )
        ]
    try:
        shape = shapely.from_geojson(json.dumps(geometry))
    except (GEOSException, ValueError, TypeError) as exc:
        return None, [FieldError(field_name, "geojson_geometry", str(exc).splitlines()[0][:200])]
    if shape is None or shape.is_empty:
        return None, [
            FieldError(
                field_name, "geometry_not_empty", t("多边形没有面积", "the polygon has no area")
            )
        ]
    reason = shapely.is_valid_reason(shape)
    if reason != "Valid Geometry":
        # e.g. "Self-intersection[109.99 39.82]", "Ring Self-intersection[...]", "Too few points"
        return None, [FieldError(field_name, "polygon_valid", str(reason))]
    xmin, ymin, xmax, ymax = shapely.bounds(shape)
    if not (
        LONGITUDE_RANGE[0] <= xmin
        and xmax <= LONGITUDE_RANGE[1]
        and LATITUDE_RANGE[0] <= ymin
        and ymax <= LATITUDE_RANGE[1]
    ):
        return None, [
            FieldError(
                field_name,
                "wgs84_china_extent",
                t(
                    "坐标应为中国境内的 WGS 84 经度、纬度",
                    "coordinates are WGS 84 longitude, latitude within China",
                ),
            )
        ]
    if float(area_m2(np.array([shape]))[0]) < OVERLAP_TOLERANCE_M2:
        return None, [
            FieldError(
                field_name, "geometry_not_empty", t("多边形没有面积", "the polygon has no area")
            )
        ]
    return shape, []


def duplicate_codes(codes: Sequence[str], label: str) -> list[FieldError]:
    first: dict[str, int] = {}
    errors = []
    for index, code in enumerate(codes):
        if code in first:
            errors.append(
                FieldError(
                    f"{label}[{index}].properties.zone_code",
                    "zone_code_unique",
                    t(
                        f"{code} 与 {label}[{first[code]}] 重复",
                        f"{code} is also {label}[{first[code]}]",
                    ),
                )
            )
        first.setdefault(code, index)
    return errors


@dataclass(frozen=True, slots=True)
class Overlap:
    first: int  # feature indexes, first < second
    second: int
    area_m2: float


def overlaps(zones: Sequence[Zone]) -> list[Overlap]:
    """Pairs of zones sharing more than OVERLAP_TOLERANCE_M2; touching edges share 0 m²."""
    if len(zones) < 2:
        return []
    geometries = np.array([z.geometry for z in zones], dtype=object)
    first, second = STRtree(geometries).query(geometries, predicate="intersects")
    keep = first < second
    first, second = first[keep], second[keep]
    areas = area_m2(shapely.intersection(geometries[first], geometries[second]))
    found = areas >= OVERLAP_TOLERANCE_M2
    return [
        Overlap(int(a), int(b), round(float(m2), 1))
        for a, b, m2 in zip(first[found], second[found], areas[found], strict=True)
    ]


def overlap_errors(zones: Sequence[Zone], label: str) -> list[FieldError]:
    return [
        FieldError(
            f"{label}[{o.second}].geometry",
            "zones_not_overlapping",
            t(
                f"学区 {zones[o.first].zone_code} 与学区 {zones[o.second].zone_code} 重叠 "
                f"{o.area_m2:.1f} 平方米",
                f"zone {zones[o.first].zone_code} and zone {zones[o.second].zone_code} overlap by "
                f"{o.area_m2:.1f} m²",
            ),
        )
        for o in overlaps(zones)
    ]


# a batch this large is located through the cell grid; smaller ones query the tree directly
GRID_MIN_POINTS = 20_000
GRID_CELLS = 65_536  # cells over the map's extent (about 256 × 256)


def _first_hit(
    size: int, point: npt.NDArray[np.intp], zone: npt.NDArray[np.intp], zones: int
) -> npt.NDArray[np.int64]:
    """Per point the smallest zone index among its hits, -1 without a hit."""
    found = np.full(size, zones, dtype=np.int64)
    np.minimum.at(found, point, zone)
    found[found == zones] = -1
    return found


@dataclass(frozen=True, slots=True)
class _Grid:
    """Cells over the map's extent: a cell inside exactly one zone's interior answers for every
    point in it; a cell crossed by a border keeps its candidate zones for an exact test."""

    x0: float
    y0: float
    x1: float
    y1: float
    width: float
    height: float
    columns: int
    rows: int
    state: npt.NDArray[np.int64]  # zone index (pure), -1 (no zone), -2 (border: candidates)
    offsets: npt.NDArray[np.int64]  # candidates of cell c: zones[offsets[c]:offsets[c + 1]]
    candidates: npt.NDArray[np.int64]


class ZoneIndex:
    """An STRtree over one zone map, zones sorted by code.

    A point on a border shared by zones belongs to the zone whose code sorts first: points on a
    boundary count as inside (covers), and the smallest code wins, so the answer never depends on
    the order of the import.

    Large batches go through a cell grid built once from the tree: a point in a cell lying in one
    zone's interior (and touching no other zone) takes that zone at once; only points in cells a
    border crosses are tested exactly, against that cell's zones. Both paths give the same
    answers.
    """

    def __init__(self, zones: Sequence[Zone]) -> None:
        self.zones: tuple[Zone, ...] = tuple(sorted(zones, key=lambda z: z.zone_code))
        self.polygons = np.array([z.geometry for z in self.zones], dtype=object)
        shapely.prepare(self.polygons)
        self.tree = STRtree(self.polygons)
        self._grid: _Grid | None = None

    def locate(
        self, longitude: npt.NDArray[np.float64], latitude: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.int64]:
        """The index in `zones` of each point's zone, -1 outside every zone."""
        longitude = np.asarray(longitude, dtype=np.float64)
        latitude = np.asarray(latitude, dtype=np.float64)
        if len(self.zones) == 0 or len(longitude) == 0:
            return np.full(len(longitude), -1, dtype=np.int64)
        if len(longitude) < GRID_MIN_POINTS:
            return self.locate_with_tree(longitude, latitude)
        return self.locate_with_grid(longitude, latitude)

    def locate_with_tree(
        self, longitude: npt.NDArray[np.float64], latitude: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.int64]:
        """STRtree bounding-box query, then prepared polygons tested on the candidates."""
        point, zone = self.tree.query(shapely.points(longitude, latitude))
        inside = shapely.intersects_xy(self.polygons[zone], longitude[point], latitude[point])
        return _first_hit(len(longitude), point[inside], zone[inside], len(self.zones))

    def locate_with_grid(
        self, longitude: npt.NDArray[np.float64], latitude: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.int64]:
        grid = self.grid()
        # the extent's far edges belong to the last cells: a point there may lie on a border
        column = np.clip(np.floor((longitude - grid.x0) / grid.width), 0, grid.columns - 1)
        row = np.clip(np.floor((latitude - grid.y0) / grid.height), 0, grid.rows - 1)
        on_grid = (
            (longitude >= grid.x0) & (longitude <= grid.x1)
            & (latitude >= grid.y0) & (latitude <= grid.y1)
        )  # fmt: skip
        cell = np.where(on_grid, row * grid.columns + column, 0).astype(np.int64)
        found = np.where(on_grid, grid.state[cell], -1)
        border = np.flatnonzero(found == -2)
        counts = grid.offsets[cell[border] + 1] - grid.offsets[cell[border]]
        point = np.repeat(border, counts)
        # position of each candidate within its cell's list: 0, 1, … per point
        within = np.arange(len(point)) - np.repeat(np.cumsum(counts) - counts, counts)
        zone = grid.candidates[np.repeat(grid.offsets[cell[border]], counts) + within]
        inside = shapely.intersects_xy(self.polygons[zone], longitude[point], latitude[point])
        exact = _first_hit(len(longitude), point[inside], zone[inside], len(self.zones))
        found[border] = exact[border]
        return found

    def grid(self) -> _Grid:
        if self._grid is None:
            self._grid = self._build_grid()
        return self._grid

    def _build_grid(self) -> _Grid:
        x0, y0, x1, y1 = shapely.total_bounds(self.polygons)
        side = math.sqrt(max((x1 - x0) * (y1 - y0), 1e-12) / GRID_CELLS)
        columns = max(1, math.ceil((x1 - x0) / side))
        rows = max(1, math.ceil((y1 - y0) / side))
        width, height = (x1 - x0) / columns or side, (y1 - y0) / rows or side
        grid_column, grid_row = np.meshgrid(np.arange(columns), np.arange(rows))
        column, row = grid_column.ravel(), grid_row.ravel()  # cell = row * columns + column
        cells = shapely.box(
            x0 + column * width, y0 + row * height, x0 + (column + 1) * width,
            y0 + (row + 1) * height,
        )  # fmt: skip
        cell, zone = self.tree.query(cells)
        touching = shapely.intersects(self.polygons[zone], cells[cell])
        cell, zone = cell[touching], zone[touching]
        order = np.lexsort((zone, cell))
        cell, zone = cell[order], zone[order]
        per_cell = np.bincount(cell, minlength=len(cells))
        state = np.where(per_cell == 0, -1, -2).astype(np.int64)
        alone = per_cell[cell] == 1
        pure = alone & shapely.contains_properly(self.polygons[zone], cells[cell])
        state[cell[pure]] = zone[pure]
        offsets = np.concatenate([[0], np.cumsum(per_cell)]).astype(np.int64)
        return _Grid(
            float(x0), float(y0), float(x1), float(y1), float(width), float(height), columns, rows,
            state, offsets, zone.astype(np.int64),
        )  # fmt: skip

    def locate_one(self, longitude: float, latitude: float) -> Zone | None:
        index = int(self.locate(np.array([longitude]), np.array([latitude]))[0])
        return None if index < 0 else self.zones[index]


# ---- rezoning preview ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Household:
    """A registered household or applicant at a point, with its current school choice if any."""

    id: str
    longitude: float
    latitude: float
    choice: str | None = None


@dataclass(frozen=True, slots=True)
class HouseholdChange:
    id: str
    old_zone: Zone | None
    new_zone: Zone | None
    old_school: str | None  # None: no zone, or a 多校 zone with no (valid) choice
    new_school: str | None
    changes_school: bool


@dataclass(frozen=True, slots=True)
class SchoolBalance:
    school_code: str
    seats: int | None  # None: no seat plan for the map's year
    demand_before: Fraction
    demand_after: Fraction

    def balance(self, demand: Fraction) -> Fraction | None:
        return None if self.seats is None else self.seats - demand


@dataclass(frozen=True, slots=True)
class Preview:
    households: list[HouseholdChange]
    zone_changed: int
    school_changed: int
    schools: list[SchoolBalance]


def school_for(zone: Zone | None, choice: str | None) -> str | None:
    """The school a household goes to under a zone: its choice if the zone offers it, the zone's
    one school if it is 单校, otherwise undecided (a 多校 zone's draw)."""
    if zone is None:
        return None
    if choice is not None and choice in zone.school_codes:
        return choice
    return zone.school_codes[0] if len(zone.school_codes) == 1 else None


def _placement(zone: Zone | None, school: str | None) -> object:
    if school is not None:
        return school
    return None if zone is None else frozenset(zone.school_codes)


def _add_demand(demand: dict[str, Fraction], zone: Zone | None, school: str | None) -> None:
    if school is not None:
        demand[school] += 1
    elif zone is not None:
        share = Fraction(1, len(zone.school_codes))
        for code in zone.school_codes:
            demand[code] += share


def preview(
    old: ZoneIndex | None,
    new: ZoneIndex,
    households: Sequence[Household],
    seats: Mapping[str, int],
) -> Preview:
    """Who changes zone and school under a draft map, and each school's seat balance before and
    after.

    A household changes school when its school differs, or, undecided in a 多校 zone, when the
    set of schools it may draw differs. Demand counts a decided household at its school and an
    undecided one as an equal share of each school of its zone (expected value of the draw).
    """
    longitude = np.array([h.longitude for h in households], dtype=np.float64)
    latitude = np.array([h.latitude for h in households], dtype=np.float64)
    new_at = new.locate(longitude, latitude)
    old_at = old.locate(longitude, latitude) if old is not None else np.full(len(households), -1)
    before: dict[str, Fraction] = defaultdict(Fraction)
    after: dict[str, Fraction] = defaultdict(Fraction)
    changes = []
    for household, i_old, i_new in zip(households, old_at.tolist(), new_at.tolist(), strict=True):
        old_zone = old.zones[i_old] if old is not None and i_old >= 0 else None
        new_zone = new.zones[i_new] if i_new >= 0 else None
        old_school = school_for(old_zone, household.choice)
        new_school = school_for(new_zone, household.choice)
        _add_demand(before, old_zone, old_school)
        _add_demand(after, new_zone, new_school)
        changes.append(
            HouseholdChange(
                id=household.id,
                old_zone=old_zone,
                new_zone=new_zone,
                old_school=old_school,
                new_school=new_school,
                changes_school=_placement(old_zone, old_school) != _placement(new_zone, new_school),
            )
        )
    codes = {
        c for index in (old, new) if index is not None for z in index.zones for c in z.school_codes
    }
    return Preview(
        households=changes,
        zone_changed=sum(
            1
            for c in changes
            if (c.old_zone.zone_code if c.old_zone else None)
            != (c.new_zone.zone_code if c.new_zone else None)
        ),
        school_changed=sum(1 for c in changes if c.changes_school),
        schools=[
            SchoolBalance(code, seats.get(code), before[code], after[code])
            for code in sorted(codes | set(before) | set(after))
        ],
    )


def is_finite_in_china(longitude: float, latitude: float) -> bool:
    return (
        math.isfinite(longitude)
        and math.isfinite(latitude)
        and LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]
        and LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1]
    )
