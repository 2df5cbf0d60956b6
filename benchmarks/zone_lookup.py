"""`make bench`: 划片 point → zone lookup for 1,000,000 points (issue goal ≤ 2 s).

A synthetic county near Dongsheng (109.98E 39.82N): 60 zones as Voronoi cells of random school
sites over a 0.30° × 0.20° box (about 26 km × 22 km), each edge densified to ~150 m segments so a
zone has a few hundred vertices like a traced street boundary. 1,000,000 homes are drawn over a
slightly larger box, so some fall outside every zone.

Timed, median of ROUNDS runs: `ZoneIndex.locate`, which for a large batch looks each point's
cell up in a grid built once per map from the STRtree (cells inside one zone answer directly,
cells a border crosses test their few zones exactly with prepared polygons); and
`ZoneIndex.locate_with_tree` (points built, STRtree bounding-box query, prepared-polygon
`intersects_xy` on the candidates), the path small batches take. Baselines in the same run, each
checked to give the same answers:
- naive: a Python loop over the points, testing prepared polygons one by one, on a 20,000-point
  subset, scaled to 1,000,000;
- no tree: shapely's vectorised `intersects_xy` of every polygon against all points (no
  STRtree), on a 200,000-point subset, scaled.

Usage: `python benchmarks/zone_lookup.py [rounds]` (default 3).
"""

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import shapely

from enrollment.zoning.rules import Zone, ZoneIndex

T = TypeVar("T")
POINTS, ZONES, NAIVE_SUBSET, NO_TREE_SUBSET, GOAL_S = 1_000_000, 60, 20_000, 200_000, 2.0
BOX = (109.83, 39.72, 110.13, 39.92)


def county(seed: int = 11) -> list[Zone]:
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = BOX
    sites = shapely.multipoints(
        np.column_stack([rng.uniform(x0, x1, ZONES), rng.uniform(y0, y1, ZONES)])
    )
    frame = shapely.box(*BOX)
    cells = shapely.get_parts(shapely.voronoi_polygons(sites, extend_to=frame))
    cells = shapely.segmentize(shapely.intersection(cells, frame), 0.0015)
    return [
        Zone(f"Z{i:03d}", f"片区{i}", (f"2115{i:06d}",), cell)
        for i, cell in enumerate(sorted(cells, key=lambda c: shapely.get_x(shapely.centroid(c))))
    ]


def homes(n: int, seed: int = 12) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = BOX
    return rng.uniform(x0 - 0.01, x1 + 0.01, n), rng.uniform(y0 - 0.01, y1 + 0.01, n)


def median_time(run: Callable[[], T], rounds: int) -> tuple[float, T]:
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    assert result is not None
    return statistics.median(times), result


def naive(index: ZoneIndex, longitude: Any, latitude: Any) -> npt.NDArray[np.int64]:
    """Per point, per prepared polygon, first hit in code order (what a loop would do)."""
    polygons = list(index.polygons)
    found = np.full(len(longitude), -1, dtype=np.int64)
    for n, (x, y) in enumerate(zip(longitude.tolist(), latitude.tolist(), strict=True)):
        point = shapely.Point(x, y)
        for i, polygon in enumerate(polygons):
            if polygon.intersects(point):
                found[n] = i
                break
    return found


def no_tree(index: ZoneIndex, longitude: Any, latitude: Any) -> npt.NDArray[np.int64]:
    """Every polygon against every point, vectorised, without the tree."""
    found = np.full(len(longitude), -1, dtype=np.int64)
    for i in range(len(index.polygons) - 1, -1, -1):  # lowest code written last wins
        found[shapely.intersects_xy(index.polygons[i], longitude, latitude)] = i
    return found


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    zones = county()
    vertices = int(shapely.get_num_coordinates(np.array([z.geometry for z in zones])).sum())
    build_s, index = median_time(lambda: ZoneIndex(zones), rounds)
    grid_s, _ = median_time(lambda: ZoneIndex(zones).grid(), rounds)
    longitude, latitude = homes(POINTS)
    lookup_s, found = median_time(lambda: index.locate(longitude, latitude), rounds)
    tree_s, tree_found = median_time(lambda: index.locate_with_tree(longitude, latitude), rounds)
    assert np.array_equal(tree_found, found), "tree path disagrees with the grid path"
    inside = int((found >= 0).sum())

    naive_s, naive_found = median_time(
        lambda: naive(index, longitude[:NAIVE_SUBSET], latitude[:NAIVE_SUBSET]), 1
    )
    assert np.array_equal(naive_found, found[:NAIVE_SUBSET]), "naive baseline disagrees"
    naive_full_s = naive_s * POINTS / NAIVE_SUBSET
    no_tree_s, no_tree_found = median_time(
        lambda: no_tree(index, longitude[:NO_TREE_SUBSET], latitude[:NO_TREE_SUBSET]), 1
    )
    assert np.array_equal(no_tree_found, found[:NO_TREE_SUBSET]), "no-tree baseline disagrees"
    no_tree_full_s = no_tree_s * POINTS / NO_TREE_SUBSET

    print(
        f"zone lookup: {len(zones)} zones, {vertices:,} vertices, {POINTS:,} points, "
        f"{rounds} rounds"
    )
    print(f"  index build (STRtree + prepare)   median {build_s * 1000:8.1f} ms")
    print(f"  cell grid build (once per map)    median {grid_s * 1000:8.1f} ms")
    print(
        f"  ZoneIndex.locate (vectorised)     median {lookup_s:8.3f} s  "
        f"({POINTS / lookup_s:,.0f} points/s; {inside:,} inside a zone)  "
        f"goal ≤ {GOAL_S} s: {'met' if lookup_s <= GOAL_S else 'NOT met'}"
    )
    print(
        f"  STRtree query + prepared test     median {tree_s:8.3f} s  "
        f"({POINTS / tree_s:,.0f} points/s; same answers)  ratio {tree_s / lookup_s:,.1f}×"
    )
    print(
        f"  naive per-point loop              {naive_full_s:8.1f} s  "
        f"(measured {naive_s:.2f} s on {NAIVE_SUBSET:,}, scaled)  "
        f"ratio {naive_full_s / lookup_s:,.0f}×"
    )
    print(
        f"  vectorised, no tree               {no_tree_full_s:8.2f} s  "
        f"(measured {no_tree_s:.2f} s on {NO_TREE_SUBSET:,}, scaled)  "
        f"ratio {no_tree_full_s / lookup_s:,.1f}×"
    )


if __name__ == "__main__":
    main()
