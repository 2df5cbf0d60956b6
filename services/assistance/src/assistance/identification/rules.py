"""应助尽助 rules over polars DataFrames: matching, partial matches, validity, proposals, coverage.

Pure: no I/O; every function takes frames and returns frames, set-based (joins, never a loop per
student). Frames and their columns:

- roster: `student_id`, `citizen_key`, `person_key`, `school_code` (enrolled students of one
  county);
- entries: `entry_id`, `list_ref`, `agency`, `citizen_key`, `person_key`, `category`,
  `valid_from`, `valid_until` (null = open), `assertion_id` (the current category lists of the
  agencies);
- awards: `award_id`, `student_id`, `programme_code`, `category` (null for a school-recognised
  award without an agency category), `status` (the county's awards of the school year).

People are compared by keys, never by their citizen IDs and names (stored encrypted): the
`citizen_key` is the blind index of the ID (equal IDs, equal keys), the `person_key` the blind
index of `person_key(name, citizen_id)` — the name as compared (NFKC, no blanks, no middle
dots) and the ID's birth date — so equal keys are equal names of people born the same day.
`plain_keys` makes the same frames with the unkeyed strings themselves (what the keys are the
HMAC of): the rules give the same answers on either.

Definitions (README "应助尽助 identification"):
- a category is *valid on* a date when valid_from ≤ date ≤ valid_until (or no valid_until);
- *listed*: the student's citizen ID is on a current list with a category valid on `as_of`;
- *auto-identified*: listed, and the list's name agrees with the roster's (after normalising);
- *eligible*: listed, or confirmed by a reviewer, or holding an award of the school year that
  was not rejected (a school-recognised 家庭经济困难 pupil is eligible without a list);
- *awarded*: eligible and holding an award of the school year that was not rejected;
- coverage = auto-identified ÷ eligible (0 when nobody is eligible); gap = eligible − awarded;
  categories of care only (`categories.CARE_ONLY`: 农村留守儿童) make nobody listed or
  auto-identified for coverage — being left behind is no economic difficulty;
- *served first* under a programme: listed in one of its priority categories (seed 000 item 12).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

import polars as pl

ROSTER_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "student_id": pl.String,
    "citizen_key": pl.String,
    "person_key": pl.String,
    "school_code": pl.String,
}
ENTRY_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "entry_id": pl.Int64,
    "list_ref": pl.String,
    "agency": pl.String,
    "citizen_key": pl.String,
    "person_key": pl.String,
    "category": pl.String,
    "valid_from": pl.Date,
    "valid_until": pl.Date,
    "assertion_id": pl.String,
}
AWARD_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "award_id": pl.String,
    "student_id": pl.String,
    "programme_code": pl.String,
    "category": pl.String,
    "status": pl.String,
}
MATCH_COLUMNS = ["student_id", "school_code", "agency", "category", "list_ref", "assertion_id"]
PARTIAL_COLUMNS = [*MATCH_COLUMNS, "entry_id"]  # the list entry: what review items show
# polars' in-memory engine: a county's frames are small (tens of thousands of rows), and the
# streaming engine (polars' default since 2.0) costs ~1.5 × the CPU on them, per county
ENGINE: Final = "in-memory"
REJECTED = "rejected"  # the award status that does not count as awarded
# middle dots of minority names (阿卜杜·热合曼 is written with ·, •, ・ or .) and blanks
_NAME_NOISE = r"[\s·•・‧.．]"


@dataclass(frozen=True, slots=True)
class Programme:
    """A 免申即享 programme and the categories that make a student eligible for it."""

    code: str
    categories: frozenset[str]


@dataclass(frozen=True, slots=True)
class Matches:
    """The roster × lists join on one date (frames with `MATCH_COLUMNS` / `PARTIAL_COLUMNS`)."""

    exact: pl.DataFrame  # ID and name agree: auto-identified
    name_mismatch: pl.DataFrame  # the ID is listed under another name: review
    id_mismatch: pl.DataFrame  # same name and birth date, another ID: review


def name_key(column: str) -> pl.Expr:
    """A name as compared: NFKC (full-width → half-width), no blanks, no middle dots."""
    return pl.col(column).str.normalize("NFKC").str.replace_all(_NAME_NOISE, "")


def normalised_name(name: str) -> str:
    """`name_key` of one name, in Python (what a stored name's blind index is made of)."""
    return re.sub(_NAME_NOISE, "", unicodedata.normalize("NFKC", name))


def person_key(name: str, citizen_id: str) -> str:
    """The name as compared and the birth date in the ID (YYYYMMDD, characters 7–14): the
    string whose blind index is a roster row's or a list entry's `person_key`."""
    return f"{normalised_name(name)}\0{citizen_id[6:14]}"


def plain_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """A frame with `citizen_id` and `name` keyed by the unkeyed strings: `citizen_key` the ID,
    `person_key` what `person_key` makes (the stored keys are their blind indexes)."""
    return frame.with_columns(
        pl.col("citizen_id").alias("citizen_key"),
        pl.concat_str(
            [name_key("name"), pl.col("citizen_id").str.slice(6, 8)], separator="\0"
        ).alias("person_key"),
    ).drop("citizen_id", "name")


def _valid(on: date) -> pl.Expr:
    return (pl.col("valid_from") <= on) & (
        pl.col("valid_until").is_null() | (pl.col("valid_until") >= on)
    )


def valid_on(entries: pl.DataFrame, on: date) -> pl.DataFrame:
    """Entries whose category is valid on `on`: valid_from ≤ on ≤ valid_until (open if null)."""
    return entries.filter(_valid(on))


def match(roster: pl.DataFrame, entries: pl.DataFrame, *, on: date) -> Matches:
    """Join the roster with the entries valid on `on` by citizen key, then classify.

    A listed ID under another name is a `name_mismatch`; a list entry whose ID is on no roster
    row but whose name and birth date (its person key) equal those of a roster student who is
    on no list is an `id_mismatch`. Both go to review; neither is auto-identified. Partial
    matches name their list entry (`entry_id`): its ID and name are read for the review item.

    One lazy plan collected once, on the keys alone (nothing to decrypt or normalise).
    """
    exact, name_mismatch, id_mismatch = pl.collect_all(
        match_plans(roster, entries, on=on), engine=ENGINE
    )
    return Matches(exact=exact, name_mismatch=name_mismatch, id_mismatch=id_mismatch)


def match_plans(
    roster: pl.DataFrame, entries: pl.DataFrame, *, on: date
) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]:
    """`match` as lazy plans (exact, name mismatches, ID mismatches), to be collected together
    with what depends on them (`service.compute` collects a scan's frames at once)."""
    valid = entries.lazy().filter(_valid(on))
    people = roster.lazy()
    by_id = people.join(valid, on="citizen_key", how="inner", suffix="_list").with_columns(
        (pl.col("person_key") == pl.col("person_key_list")).alias("agrees")
    )
    exact = by_id.filter(pl.col("agrees")).select(MATCH_COLUMNS)
    name_mismatch = by_id.filter(~pl.col("agrees")).select(PARTIAL_COLUMNS)

    strangers = valid.join(people.select("citizen_key"), on="citizen_key", how="anti")
    id_mismatch = (
        people.join(valid.select("citizen_key").unique(), on="citizen_key", how="anti")
        .join(strangers.drop("citizen_key"), on="person_key", how="inner")
        .select(PARTIAL_COLUMNS)
    )
    return exact, name_mismatch, id_mismatch


def listed_categories(matches: Matches) -> pl.DataFrame:
    """(student_id, category) an agency confirms on the date by the student's own ID."""
    return listed_plan(matches.exact.lazy(), matches.name_mismatch.lazy()).collect(engine=ENGINE)


def listed_plan(exact: pl.LazyFrame, name_mismatch: pl.LazyFrame) -> pl.LazyFrame:
    """`listed_categories` of the matches' frames, lazily."""
    return (
        pl.concat([exact, name_mismatch.select(MATCH_COLUMNS)])
        .select("student_id", "category")
        .unique()
    )


def proposals(
    exact: pl.DataFrame,
    programmes: Sequence[Programme],
    existing: pl.DataFrame,
    *,
    category_order: Sequence[str],
) -> pl.DataFrame:
    """Awards to propose (免申即享): auto-identified students × the programmes their categories
    qualify for, minus a (student, programme) that already has an award of the year.

    The basis category is the first of the student's qualifying ones in `category_order`; the
    evidence is every assertion id and list ref behind that category.
    Columns: student_id, programme_code, category, evidence (list of strings); no set order.
    """
    return proposals_plan(
        exact.lazy(), programmes, existing.lazy(), category_order=category_order
    ).collect(engine=ENGINE)


PROPOSAL_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "student_id": pl.String,
    "programme_code": pl.String,
    "category": pl.String,
    "evidence": pl.List(pl.String),
}


def proposals_plan(
    exact: pl.LazyFrame,
    programmes: Sequence[Programme],
    existing: pl.LazyFrame,
    *,
    category_order: Sequence[str],
) -> pl.LazyFrame:
    """`proposals` lazily (no matches, or no programme: an empty plan)."""
    pairs = [(p.code, c) for p in programmes for c in sorted(p.categories)]
    if not pairs:
        return pl.LazyFrame(schema=PROPOSAL_SCHEMA)
    qualifying = pl.LazyFrame(
        {"programme_code": [p for p, _ in pairs], "category": [c for _, c in pairs]}
    )
    # every qualifying category gets a distinct rank: the given order, then the rest by code
    ordered = list(dict.fromkeys([*category_order, *sorted({c for _, c in pairs})]))
    rank = pl.LazyFrame(
        {"category": ordered, "rank": list(range(len(ordered)))},
        schema={"category": pl.String, "rank": pl.Int64},
    )
    candidates = (
        exact.join(qualifying, on="category", how="inner")
        .join(rank, on="category", how="inner")
        .join(
            existing.select("student_id", "programme_code").unique(),
            on=["student_id", "programme_code"],
            how="anti",
        )
    )
    keys = ["student_id", "programme_code", "category"]
    chosen = candidates.filter(pl.col("rank") == pl.col("rank").min().over(keys[:2]))
    # the evidence without a sort per list (slow on thousands of one-element lists): the rows'
    # assertion ids, then their list refs, each deduplicated and sorted once for all, gathered
    # per proposal in that order
    evidence = pl.concat(
        [
            chosen.select(*keys, pl.lit(part, pl.Int8).alias("part"), pl.col(column).alias("value"))
            for part, column in enumerate(("assertion_id", "list_ref"))
        ]
    ).unique()
    return evidence.sort("part", "value").group_by(keys).agg(pl.col("value").alias("evidence"))


def served_first(listed: pl.DataFrame, priorities: Mapping[str, Collection[str]]) -> pl.DataFrame:
    """(programme_code, student_id) of the students an agency lists, by their own ID on the date,
    in one of a programme's priority categories — whom the programme serves first when its
    places or funds are limited (seed 000 item 12: 孤儿、事实无人抚养儿童、农村留守儿童、困境儿童
    … 优先保障寄宿、交通、营养需求). `listed`: (student_id, category). Unique, sorted."""
    return served_first_plan(listed.lazy(), priorities).collect(engine=ENGINE)


def served_first_plan(
    listed: pl.LazyFrame, priorities: Mapping[str, Collection[str]]
) -> pl.LazyFrame:
    """`served_first` lazily."""
    pairs = [(code, c) for code, categories in priorities.items() for c in sorted(categories)]
    wanted = pl.LazyFrame(
        {"programme_code": [p for p, _ in pairs], "category": [c for _, c in pairs]},
        schema={"programme_code": pl.String, "category": pl.String},
    )
    return (
        listed.join(wanted, on="category", how="inner")
        .select("programme_code", "student_id")
        .unique()
        .sort("programme_code", "student_id")
    )


def lost_categories(
    awards: pl.DataFrame, listed: pl.DataFrame, answered: Mapping[str, str]
) -> pl.DataFrame:
    """Awards whose basis category an agency answers for but no longer confirms.

    `answered` maps each category a current list covers to its agency: a category nobody was
    asked about (no list) is never reported lost. Columns: award_id, student_id, category,
    agency.
    """
    return lost_plan(awards.lazy(), listed.lazy(), answered).collect(engine=ENGINE)


def lost_plan(
    awards: pl.LazyFrame, listed: pl.LazyFrame, answered: Mapping[str, str]
) -> pl.LazyFrame:
    """`lost_categories` lazily."""
    covered = pl.LazyFrame(
        {"category": list(answered), "agency": list(answered.values())},
        schema={"category": pl.String, "agency": pl.String},
    )
    return (
        awards.filter(pl.col("status") != REJECTED)
        .join(covered, on="category", how="inner")
        .join(listed, on=["student_id", "category"], how="anti")
        .select("award_id", "student_id", "category", "agency")
        .sort("student_id", "category")
    )


def coverage(
    roster: pl.DataFrame,
    *,
    listed: pl.DataFrame,
    auto: pl.DataFrame,
    confirmed: pl.DataFrame,
    awards: pl.DataFrame,
    care_only: Collection[str] = (),
) -> pl.DataFrame:
    """Per school: students, eligible, auto_identified, awarded, gap, coverage (see module doc).

    `listed`, `auto` and `confirmed` hold a `student_id` column (repeats allowed), `listed` and
    `auto` a `category` too: entries of a `care_only` category do not count; `awards` the
    school year's awards (their status decides).
    """
    if care_only:
        listed = listed.filter(~pl.col("category").is_in(list(care_only)))
        auto = auto.filter(~pl.col("category").is_in(list(care_only)))

    def marked(frame: pl.DataFrame, flag: str) -> pl.LazyFrame:
        return frame.lazy().select("student_id").unique().with_columns(pl.lit(True).alias(flag))

    flags = ("is_listed", "is_auto", "is_confirmed", "has_award")
    marks = (
        pl.concat(
            [
                marked(listed, "is_listed"),
                marked(auto, "is_auto"),
                marked(confirmed, "is_confirmed"),
                marked(awards.filter(pl.col("status") != REJECTED), "has_award"),
            ],
            how="diagonal",
        )
        .group_by("student_id")
        .agg(pl.col(flag).fill_null(False).any() for flag in flags)
        # only the roster's students count, each at their school
        .join(roster.lazy().select("student_id", "school_code"), on="student_id", how="inner")
    )
    eligible = pl.col("is_listed") | pl.col("is_confirmed") | pl.col("has_award")
    counts = marks.group_by("school_code").agg(
        eligible.sum().cast(pl.Int64).alias("eligible"),
        pl.col("is_auto").sum().cast(pl.Int64).alias("auto_identified"),
        (eligible & pl.col("has_award")).sum().cast(pl.Int64).alias("awarded"),
    )
    return (
        roster.lazy()
        .group_by("school_code")
        .agg(pl.len().cast(pl.Int64).alias("students"))
        .join(counts, on="school_code", how="left")
        .with_columns(pl.col("eligible", "auto_identified", "awarded").fill_null(0))
        .with_columns(
            (pl.col("eligible") - pl.col("awarded")).alias("gap"),
            ratio(pl.col("auto_identified"), pl.col("eligible")).alias("coverage"),
        )
        .sort("school_code")
        .collect(engine=ENGINE)
    )


def ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator ÷ denominator, 0 where the denominator is 0 (the contract's convention)."""
    return pl.when(denominator > 0).then(numerator / denominator).otherwise(0.0)


def totals(per_school: pl.DataFrame) -> dict[str, float | int]:
    """The county line: sums of the schools, coverage recomputed from the sums."""
    if per_school.is_empty():
        return {
            "students": 0,
            "eligible": 0,
            "auto_identified": 0,
            "awarded": 0,
            "gap": 0,
            "coverage": 0.0,
        }
    sums = per_school.select("students", "eligible", "auto_identified", "awarded", "gap").sum()
    row = {k: int(v) for k, v in sums.row(0, named=True).items()}
    eligible = row["eligible"]
    return {**row, "coverage": row["auto_identified"] / eligible if eligible else 0.0}
