"""The demo roster: invented but well-formed pupils, the same every time, ages fitting grades."""

import json
from datetime import date
from pathlib import Path

from junheng_devtools.demo_roster import pupils, roster_csv, write_agency_candidates

from junheng_kit.identifiers import check_citizen_id, citizen_id_birth_date, citizen_id_gender

DEMO = Path(__file__).resolve().parents[2] / "demo" / "150602-dongsheng-schools.json"


def demo_pupils() -> list:  # type: ignore[type-arg]
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    return pupils(data["county_code"], data["schools"], per_grade=2)


def test_ids_are_valid_unique_and_agree_with_birth_date_and_gender() -> None:
    roster = demo_pupils()
    assert len({p.citizen_id for p in roster}) == len(roster)
    for p in roster:
        assert check_citizen_id(p.citizen_id) == p.citizen_id
        assert p.citizen_id.startswith("150602")
        assert citizen_id_birth_date(p.citizen_id) == p.birth_date
        assert citizen_id_gender(p.citizen_id) == p.gender


def test_every_compulsory_section_is_filled_and_ages_fit_the_grade() -> None:
    roster = demo_pupils()
    # 6 primary-only (6 grades), 3 junior-only (3), 2 nine-year (9), 1 complete secondary (3)
    assert len(roster) == 2 * (6 * 6 + 3 * 3 + 2 * 9 + 1 * 3)
    nine_year = {(p.level, p.grade) for p in roster if p.school_code == "3115060004"}
    assert nine_year == {("primary", g) for g in range(1, 7)} | {("junior", g) for g in (7, 8, 9)}
    for p in roster:
        # grade 1 in autumn 2026: born 2019-09-01 … 2020-08-31; a grade higher, a year earlier
        assert date(2026 - p.grade - 6, 9, 1) <= p.birth_date <= date(2026 - p.grade - 5, 8, 31)


def test_the_same_schools_give_the_same_pupils(tmp_path: Path) -> None:
    assert demo_pupils() == demo_pupils()
    body = roster_csv(demo_pupils()).decode("utf-8-sig").splitlines()
    assert body[0] == "姓名,身份证件号,性别,出生日期,学校标识码,学段,年级,是否寄宿生"
    write_agency_candidates(demo_pupils(), tmp_path / "candidates.csv")
    lines = (tmp_path / "candidates.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "citizen_id,name"
    assert len(lines) == len(demo_pupils()) + 1


def test_loader_waits_only_while_the_school_copy_is_behind() -> None:
    from httpx import Response
    from junheng_devtools.demo import registry_copy_behind

    def refusal(*rules: str, status: int = 422) -> Response:
        errors = [{"field": f"rows[{n}].x", "rule": r, "message": "m"} for n, r in enumerate(rules)]
        return Response(status, json={"status": status, "errors": errors})

    assert registry_copy_behind(refusal("school_registered", "school_registered"))
    # any other rule is a real error in the roster: no point waiting
    assert not registry_copy_behind(refusal("school_registered", "citizen_id_check_digit"))
    assert not registry_copy_behind(refusal())
    assert not registry_copy_behind(refusal("school_registered", status=403))
    assert not registry_copy_behind(Response(422, text="not json"))
