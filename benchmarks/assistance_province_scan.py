"""`make bench`: the province 应助尽助 scan alone (issue 17 item 7: 2,000,000 pupils in ≤ 6 s).

Figure 4 of `make bench-cluster` (benchmarks/cluster_province.py) without the 12 minutes around
it: the same province (its generator: ~100 counties, 2,000,000 pupils on the aid roster, four
agencies' lists per county, as assistance_identification.py shapes them), written with the same
bulk path (the kit's column-wise executemany; IDs and names encrypted, blind indexes beside
them) into a single-node SQLite assistance database migrated by the service's own chain, then
measured by the same code (`cluster_province.scan_figure`):

- **tables** — Σ over the counties of what an identification job does between "loading" and
  "writing" (`identification.load` + `identification.compute`), after a roster write to every
  county: each roster is read from the tables (the snapshot each job keeps is then stored,
  not timed);
- **snapshots** — the same from the stored roster snapshots (every later job);
- **loading share** — of each sum, the part spent in `load`;
- **baseline** — the rules once over every county's frames together, as if the province were
  one county: what the data costs without the per-county share.

Medians of JUNHENG_BENCH_ROUNDS (3) rounds, and the goal verdict (≤ 6 s). JUNHENG_BENCH_SCALE
scales the province as in the cluster bench (default 1.0, the full size; 0.1 is ten counties of
the same size each, a quick run).
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster_province import SCALE, SEALED, Province, bulk_load, province, scan_figure, sealed

from assistance.agencies.models import CategoryList, CategoryListEntry
from assistance.students.models import Student
from junheng_kit import fieldcrypt
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.gc_pause import collector_paused
from junheng_kit.migrations import service_dir, upgrade

ROUNDS = int(os.environ.get("JUNHENG_BENCH_ROUNDS", "3"))
GOAL_S = 6.0


async def load_and_scan(url: str, found: Province) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        started = time.perf_counter()
        with collector_paused():
            await bulk_load(engine, [(Student, sealed(found.roster, "student"))], encoded=SEALED)
            await bulk_load(
                engine,
                [
                    (CategoryList, found.lists),
                    (CategoryListEntry, sealed(found.entries, "category_list_entry")),
                ],
                encoded=SEALED,
            )
        print(f"loaded into SQLite in {time.perf_counter() - started:.1f} s", flush=True)
        return await scan_figure(create_sessionmaker(engine), found.counties, ROUNDS)
    finally:
        await engine.dispose()


def main() -> None:
    fieldcrypt.configure(fieldcrypt.new_key("bench"), fieldcrypt.new_index_key())
    began = time.perf_counter()
    with collector_paused():  # millions of cycle-free tuples: the collector would walk them
        found = province()
    gc.freeze()  # the scans would pay for every walk over them
    pupils = len(found.roster["id"])
    print(
        f"province generated in {time.perf_counter() - began:.1f} s (scale {SCALE:g}): "
        f"{len(found.counties)} counties, {pupils:,} pupils, "
        f"{len(found.entries['list_ref']):,} list entries",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="junheng-province-scan-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'assistance.sqlite3'}"
        upgrade(service_dir("assistance"), url)
        figure = asyncio.run(load_and_scan(url, found))
    counts = figure["rounds"][0]["snapshots"]
    print(
        f"\n应助尽助 province scan, {len(found.counties)} counties, {counts['students']:,} pupils, "
        f"{counts['entries']:,} list entries (medians of {ROUNDS}; Σ over the counties of load + "
        "rules):"
    )
    for label, source in (("from the tables", "tables"), ("from the snapshots", "snapshots")):
        total, loading = figure[f"{source}_s"], figure[f"{source}_loading_s"]
        verdict = "met" if total <= GOAL_S else "NOT met"
        print(
            f"  {label:<20} {total:6.2f} s  (loading {loading:5.2f} s = {loading / total:4.0%},"
            f" rules {total - loading:5.2f} s; CPU {figure[f'{source}_cpu_s']:5.2f} s)"
            f"  goal ≤ {GOAL_S:g} s: {verdict}"
        )
    rules_per_county = figure["snapshots_s"] - figure["snapshots_loading_s"]
    print(
        f"  baseline: the rules once over all {figure['rules_at_once_s']:6.2f} s"
        f"  (ratio rules per county ÷ once: {rules_per_county / figure['rules_at_once_s']:.2f})"
    )
    print(f"  load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"  found: {counts['auto']:,} auto-identified, {counts['reviews']:,} review items, "
        f"{counts['proposals']:,} proposals, {counts['lost']:,} lost"
    )


if __name__ == "__main__":
    main()
