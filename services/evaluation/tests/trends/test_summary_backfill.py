"""Migration e0004 backfills `assessment.summary` for rows stored before it (SQLite file)."""

import json
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from evaluation.assessment import rules
from evaluation.assessment.catalogue import catalogue_in_force
from evaluation.assessment.schemas import SchoolSectionIn
from evaluation.assessment.service import canonical_inputs, result_document
from evaluation.trends.rules import summary_from_documents
from junheng_kit.migrations import service_dir, upgrade

SECTIONS = [
    SchoolSectionIn(
        school_code="2115060001", name="甲", level="primary", students=1200,
        teachers_above_required_degree=60, backbone_teachers=14, pe_arts_teachers=12,
        teaching_auxiliary_area_m2=6000, sports_venue_area_m2=9600,
        equipment_value_yuan=2_600_000, multimedia_classrooms=30,
    ),
    SchoolSectionIn(
        school_code="2115060003", name="丙", level="primary", students=300,
        teachers_above_required_degree=12, backbone_teachers=3, pe_arts_teachers=3,
        teaching_auxiliary_area_m2=1200, sports_venue_area_m2=2400,
        equipment_value_yuan=660_000, multimedia_classrooms=7,
    ),
]  # fmt: skip


def test_rows_stored_before_e0004_get_their_summary(tmp_path: Path) -> None:
    path = tmp_path / "evaluation.sqlite3"
    upgrade(service_dir("evaluation"), f"sqlite+aiosqlite:///{path}", "e0003")
    catalogue = catalogue_in_force(date(2025, 9, 1))
    outcome = rules.assess(
        [rules.SectionInput(**s.model_dump(exclude={"name"})) for s in SECTIONS], catalogue
    )
    inputs = canonical_inputs("150602", 2025, SECTIONS).decode()
    result = result_document("x", "150602", 2025, outcome, "0" * 64, catalogue.version)
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO assessment (id, county_code, year, catalogue_version, inputs_sha256,"
                " resource_allocation_passed, inputs, result, requested_by, created_at) VALUES"
                " ('0190a0a0a0a0a0a0a0a0a0a0a0a0a0a0', '150602', 2025, :version, :sha, 0,"
                " :inputs, :result, 'test', '2025-10-01 00:00:00.000000')"
            ),
            {
                "version": catalogue.version,
                "sha": "0" * 64,
                "inputs": inputs,
                "result": json.dumps(result),
            },
        )

    upgrade(service_dir("evaluation"), f"sqlite+aiosqlite:///{path}")

    with engine.connect() as connection:
        stored = json.loads(connection.scalar(sa.text("SELECT summary FROM assessment")))
    engine.dispose()
    assert stored == summary_from_documents(json.loads(inputs), result, catalogue)
    assert stored["failing_schools"] == 1
    assert (
        stored["levels"]["primary"]["indicators"]["teaching_area_per_student"]["county_mean"]
        == 7200 / 1500
    )
