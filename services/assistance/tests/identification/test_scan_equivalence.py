"""The job's scan (`service.compute`: every rule's frame from one batch of lazy plans, proposals'
evidence gathered without a sort per list) finds what the rules applied one by one, as they were
written before (eager frames, a group minimum and a semi-join, then each evidence list sorted),
find on a generated county: same rows, same columns, same types."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import polars as pl
import pytest

from assistance.identification import rules
from assistance.identification.rules import Programme
from assistance.identification.service import CATEGORY_ORDER, Inputs, compute

AS_OF = date(2026, 9, 1)
SCHOOLS = ["2115000001", "2115000002", "3115000003"]
CATEGORIES = {"mca": ["dibao", "tekun", "orphan"], "cdpf": ["disabled_student"], "nrra": ["tuopin"]}
PROGRAMMES = [
    Programme("living_subsidy", frozenset({"dibao", "tekun", "orphan", "tuopin"})),
    Programme("nutrition", frozenset({"dibao", "disabled_student"})),
]


def county(seed: int, pupils: int = 3000) -> Inputs:
    """Keys as the rules read them (strings standing for the blind indexes); lists with name
    variants, expired entries, strangers sharing a pupil's name and birth date, entries repeated
    across lists; awards of every status, some without a category; review items already queued."""
    rng = random.Random(seed)
    roster = pl.DataFrame(
        {
            "student_id": [f"s{n:05d}" for n in range(pupils)],
            "citizen_key": [f"c{n:05d}" for n in range(pupils)],
            "person_key": [f"p{n % (pupils - 40):05d}" for n in range(pupils)],  # twins too
            "school_code": [SCHOOLS[n % len(SCHOOLS)] for n in range(pupils)],
        },
        schema=rules.ROSTER_SCHEMA,
    )
    rows: list[tuple[object, ...]] = []
    for agency, categories in CATEGORIES.items():
        for n in rng.sample(range(pupils), pupils // 5):
            person = f"p{n % (pupils - 40):05d}" if rng.random() > 0.05 else f"q{n:05d}"
            until = date(2026, 6, 30) if rng.random() < 0.05 else None
            category = rng.choice(categories)
            rows.append(
                (agency, f"c{n:05d}", person, category, until, f"{agency}-{len(rows) % 700}")
            )
        for n in rng.sample(range(pupils), 30):  # another ID, a roster pupil's person key
            rows.append(
                (agency, f"x{n:05d}", f"p{n % (pupils - 40):05d}", categories[0], None, f"x{n}")
            )
    entries = pl.DataFrame(
        {
            "entry_id": list(range(1, len(rows) + 1)),
            "list_ref": [f"list-{r[0]}" for r in rows],
            "agency": [r[0] for r in rows],
            "citizen_key": [r[1] for r in rows],
            "person_key": [r[2] for r in rows],
            "category": [r[3] for r in rows],
            "valid_from": [date(2025, 1, 1)] * len(rows),
            "valid_until": [r[4] for r in rows],
            "assertion_id": [r[5] for r in rows],
        },
        schema=rules.ENTRY_SCHEMA,
    )
    awarded = rng.sample(range(pupils), pupils // 4)
    awards = pl.DataFrame(
        {
            "award_id": [f"a{n}" for n in awarded],
            "student_id": [f"s{n:05d}" for n in awarded],
            "programme_code": [rng.choice(["living_subsidy", "nutrition"]) for _ in awarded],
            "category": [rng.choice([None, "dibao", "tuopin", "orphan"]) for _ in awarded],
            "status": [rng.choice(["proposed", "approved", "rejected"]) for _ in awarded],
        },
        schema=rules.AWARD_SCHEMA,
    )
    queued = entries.sample(40, seed=seed).select(
        pl.col("citizen_key").str.replace("^[cx]", "s").alias("student_id"), "assertion_id"
    )
    return Inputs(
        lists=[],
        roster=roster,
        entries=entries,
        awards=awards,
        reviewed=queued,
        programmes=PROGRAMMES,
        priorities={"living_subsidy": frozenset({"orphan", "tekun"})},
        answered={c: a for a, categories in CATEGORIES.items() for c in categories},
        loaded_at=datetime(2026, 9, 1, tzinfo=UTC),
        roster_version=1,
        roster_from_snapshot=False,
    )


def proposals_as_before(
    exact: pl.DataFrame, programmes: list[Programme], existing: pl.DataFrame
) -> pl.DataFrame:
    """`rules.proposals` as it was written before the scan was batched."""
    pairs = [(p.code, c) for p in programmes for c in sorted(p.categories)]
    qualifying = pl.DataFrame(
        {"programme_code": [p for p, _ in pairs], "category": [c for _, c in pairs]}
    )
    ordered = list(dict.fromkeys([*CATEGORY_ORDER, *sorted({c for _, c in pairs})]))
    rank = pl.DataFrame(
        {"category": ordered, "rank": list(range(len(ordered)))},
        schema={"category": pl.String, "rank": pl.Int64},
    )
    candidates = (
        exact.join(qualifying, on="category")
        .join(rank, on="category")
        .join(
            existing.select("student_id", "programme_code").unique(),
            on=["student_id", "programme_code"],
            how="anti",
        )
    )
    best = candidates.group_by("student_id", "programme_code").agg(pl.col("rank").min())
    return (
        candidates.join(best, on=["student_id", "programme_code", "rank"], how="semi")
        .group_by("student_id", "programme_code", "category")
        .agg(pl.col("assertion_id").unique(), pl.col("list_ref").unique())
        .select(
            "student_id",
            "programme_code",
            "category",
            pl.concat_list(
                pl.col("assertion_id").list.sort(), pl.col("list_ref").list.sort()
            ).alias("evidence"),
        )
    )


def rows(frame: pl.DataFrame) -> tuple[pl.Schema, list[tuple[object, ...]]]:
    """Schema and rows in a set order (the rules promise no order but where they sort)."""
    return frame.schema, sorted(
        tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in frame.iter_rows()
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_batched_scan_finds_what_the_rules_one_by_one_find(seed: int) -> None:
    inputs = county(seed)
    scan = compute(inputs, on=AS_OF)

    valid = inputs.entries.filter(
        (pl.col("valid_from") <= AS_OF)
        & (pl.col("valid_until").is_null() | (pl.col("valid_until") >= AS_OF))
    )
    by_id = inputs.roster.join(valid, on="citizen_key", suffix="_list")
    agrees = pl.col("person_key") == pl.col("person_key_list")
    exact = by_id.filter(agrees).select(rules.MATCH_COLUMNS)
    name_mismatch = by_id.filter(~agrees).select(rules.PARTIAL_COLUMNS)
    strangers = valid.join(inputs.roster.select("citizen_key"), on="citizen_key", how="anti")
    id_mismatch = (
        inputs.roster.join(valid.select("citizen_key").unique(), on="citizen_key", how="anti")
        .join(strangers.drop("citizen_key"), on="person_key")
        .select(rules.PARTIAL_COLUMNS)
    )
    listed = (
        pl.concat([exact, name_mismatch.select(rules.MATCH_COLUMNS)])
        .select("student_id", "category")
        .unique()
    )
    wanted = {
        "exact": exact,
        "name_mismatch": name_mismatch,
        "id_mismatch": id_mismatch,
        "listed": listed,
        "proposals": proposals_as_before(exact, PROGRAMMES, inputs.awards),
        "lost": inputs.awards.filter(pl.col("status") != rules.REJECTED)
        .join(
            pl.DataFrame(
                {"category": list(inputs.answered), "agency": list(inputs.answered.values())}
            ),
            on="category",
        )
        .join(listed, on=["student_id", "category"], how="anti")
        .select("award_id", "student_id", "category", "agency"),
        "reviews": pl.concat(
            [
                name_mismatch.with_columns(pl.lit("name_mismatch").alias("kind")),
                id_mismatch.with_columns(pl.lit("id_mismatch").alias("kind")),
            ]
        )
        .unique(subset=["student_id", "assertion_id"])
        .join(inputs.reviewed, on=["student_id", "assertion_id"], how="anti"),
    }
    found = {
        "exact": scan.matches.exact,
        "name_mismatch": scan.matches.name_mismatch,
        "id_mismatch": scan.matches.id_mismatch,
        "listed": scan.listed,
        "proposals": scan.proposals,
        "lost": scan.lost,
        "reviews": scan.reviews,
    }

    assert {name: rows(frame) for name, frame in found.items()} == {
        name: rows(frame) for name, frame in wanted.items()
    }
    # the county has every case: partial matches both ways, proposals, losses, queued items
    assert min(frame.height for frame in wanted.values()) > 0
    assert scan.served_first.equals(
        listed.filter(pl.col("category").is_in(["orphan", "tekun"]))
        .select(pl.lit("living_subsidy").alias("programme_code"), "student_id")
        .unique()
        .sort("programme_code", "student_id")
    )
    assert scan.proposals.height < scan.matches.exact.height  # awards held are not proposed anew
