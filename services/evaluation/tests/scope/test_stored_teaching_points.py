"""教学点 and 特殊教育学校 in a county's stored resource data (API, CSV, XLSX), the county's
teaching-point cut-off and the national exclusion of special-education schools (domain.md §5.1)
applied to an assessment of that stored data, on both databases."""

import io
from typing import Any

import pytest
from httpx import AsyncClient
from openpyxl import load_workbook

from evaluation.resources.tables import CSV, XLSX

RESOURCES = "/v1/school-resources/150602/2025"
CUT_OFF = {"effective_from": "2025-09-01", "citation": "东胜区评估细则第二条", "min_pupils": 50}
HEADERS = [
    "学校标识码", "学校名称", "学段", "在校生数", "高于规定学历教师数", "县级及以上骨干教师数",
    "体育艺术专任教师数", "教学及辅助用房面积", "体育运动场馆面积", "教学仪器设备值",
    "网络多媒体教室数", "教学点",
]  # fmt: skip
P30, P50 = "2115060030", "2115060050"


def csv_body(rows: list[list[Any]], headers: list[str] = HEADERS) -> bytes:
    lines = [",".join(headers), *(",".join(str(c) for c in row) for row in rows)]
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


def county_rows(county: list[dict[str, Any]]) -> list[list[Any]]:
    """The conftest county as sheet rows (学段 in Chinese, 教学点 left blank), then two teaching
    points: P30 with 30 pupils, P50 with exactly 50 (4.5 m² of teaching rooms per pupil)."""
    level = {"primary": "小学", "junior": "初中"}
    rows = [[*(s[f] if f != "level" else level[s[f]] for f in s), ""] for s in county]
    rows.append([P30, "某嘎查教学点", "小学", 30, 1, 0, 0, 90, 200, 60000, 1, "是"])
    rows.append([P50, "某村教学点", "小学", 50, 3, 1, 1, 225, 400, 110000, 2, "是"])
    return rows


class TestStoredColumn:
    async def test_csv_marks_teaching_points_and_blank_or_absent_is_none(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        rows = county_rows(county)
        rows[1][-1] = "否"

        imported = await client.post(
            f"{RESOURCES}/imports", content=csv_body(rows), headers={**writer, "content-type": CSV}
        )
        listed = (await client.get(RESOURCES, headers=writer)).json()
        without = [row[:-1] for row in rows]
        again = await client.post(
            f"{RESOURCES}/imports",
            content=csv_body(without, HEADERS[:-1]),
            headers={**writer, "content-type": CSV},
        )
        relisted = (await client.get(RESOURCES, headers=writer)).json()

        assert imported.status_code == 201
        marked = {s["school_code"]: s["teaching_point"] for s in listed["schools"]}
        assert marked == {
            "2115060001": False, "2115060002": False, "2115060003": False,
            "3115060001": False, P30: True, P50: True,
        }  # fmt: skip
        assert again.status_code == 201
        assert not any(s["teaching_point"] for s in relisted["schools"])

    async def test_a_json_upload_takes_the_flag_and_defaults_it_to_false(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        schools = [{**county[2], "teaching_point": True}, *county[:2], county[3]]

        response = await client.put(RESOURCES, json={"schools": schools}, headers=writer)
        listed = (await client.get(RESOURCES, headers=writer)).json()

        assert response.status_code == 200
        assert [s["school_code"] for s in listed["schools"] if s["teaching_point"]] == [
            "2115060003"
        ]

    async def test_a_bad_teaching_point_cell_is_named_and_nothing_is_imported(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        rows = county_rows(county)
        rows[4][-1] = "也许"  # sheet row 6 (header is row 1)

        response = await client.post(
            f"{RESOURCES}/imports", content=csv_body(rows), headers={**writer, "content-type": CSV}
        )
        listed = await client.get(RESOURCES, headers=writer)

        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[6].teaching_point", "bool_parsing")
        ]
        assert listed.status_code == 404

    async def test_the_template_carries_the_column_and_imports_as_it_is(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        template = await client.get("/v1/school-resources/template.xlsx", headers=writer)
        sheet = load_workbook(io.BytesIO(template.content)).worksheets[0]

        imported = await client.post(
            f"{RESOURCES}/imports",
            content=template.content,
            headers={**writer, "content-type": XLSX},
        )
        listed = (await client.get(RESOURCES, headers=writer)).json()

        assert [c.value for c in sheet[1]] == [*HEADERS, "特殊教育学校"]
        assert [row[-2].value for row in sheet.iter_rows(min_row=2)] == ["否", "是"]
        assert [row[-1].value for row in sheet.iter_rows(min_row=2)] == ["否", "否"]
        assert imported.status_code == 201
        assert [(s["students"], s["teaching_point"]) for s in listed["schools"]] == [
            (1200, False),
            (36, True),
        ]


class TestStoredSpecialEducation:
    async def test_a_special_education_school_in_a_sheet_is_stored_and_never_assessed(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        """domain.md §5.1: special-education schools are not in the 资源配置 assessment; the
        column 特殊教育学校 (是/否, blank = 否) marks them, no county rule needed."""
        special = "2115060040"
        rows = [[*row, ""] for row in county_rows(county)]
        rows.append(
            [special, "东胜区特殊教育学校", "小学", 80, 12, 2, 3, 900, 1200, 3e5, 4, "", "是"]
        )

        imported = await client.post(
            f"{RESOURCES}/imports",
            content=csv_body(rows, [*HEADERS, "特殊教育学校"]),
            headers={**writer, "content-type": CSV},
        )
        listed = (await client.get(RESOURCES, headers=writer)).json()
        assessed = await client.post(
            "/v1/assessments", json={"county_code": "150602", "year": 2025}, headers=writer
        )

        assert imported.status_code == 201, imported.text
        assert [s["school_code"] for s in listed["schools"] if s["special_education"]] == [special]
        assert assessed.status_code == 201, assessed.text
        body = assessed.json()
        assert special not in {s["school_code"] for s in body["schools"]}
        assert {P30, P50} <= {s["school_code"] for s in body["schools"]}  # no county cut-off
        assert [(e["school_code"], e["rule"]) for e in body["excluded"]] == [
            (special, "special_education_school")
        ]


class TestCountyCutOff:
    async def test_a_marked_teaching_point_under_the_cut_off_is_left_out_of_the_assessment(
        self,
        client: AsyncClient,
        writer: dict[str, str],
        county: list[dict[str, Any]],
        section: Any,
    ) -> None:
        # stored: A, B, C, J of the conftest county, P30 (30 pupils) and P50 (50) marked 教学点;
        # the county's cut-off is 50, so P30 (30 < 50) is left out and P50 (not under 50) stays.
        # Primary teaching area per pupil: A 5.0 (1200), B 4.5 (800), C 4.0 (300), P50 4.5 (50)
        #   P = 2350, X̄ = (6000 + 3600 + 1200 + 225) / 2350 = 11025 / 2350 = 4.691489
        #   terms (P_i/P)(X_i − X̄)²: 0.048602 + 0.012483 + 0.061041 + 0.000780 = 0.122906
        #   S = 0.350580, CV = 0.350580 / 4.691489 = 0.074727
        await client.post(
            f"{RESOURCES}/imports",
            content=csv_body(county_rows(county)),
            headers={**writer, "content-type": CSV},
        )
        await client.put(
            "/v1/counties/150602/scope-rules/min_pupils_teaching_point",
            json=CUT_OFF,
            headers=writer,
        )

        response = await client.post(
            "/v1/assessments", json={"county_code": "150602", "year": 2025}, headers=writer
        )
        p50 = section(P50, "primary", 50, 3, 1, 1, 225, 400, 110000, 2)
        p50["name"] = "某村教学点"
        explicit = await client.post(
            "/v1/assessments",
            json={"county_code": "150602", "year": 2025, "schools": [*county, p50]},
            headers=writer,
        )

        assert response.status_code == 201
        body = response.json()
        assert [s["school_code"] for s in body["schools"]] == [
            "2115060001", "2115060002", "2115060003", P50, "3115060001"
        ]  # fmt: skip
        assert body["excluded"] == [
            {
                "school_code": P30,
                "level": "primary",
                "name": "某嘎查教学点",
                "students": 30,
                "rule": "min_pupils_teaching_point",
                "reason": "教学点 30 人 < 50 人（东胜区评估细则第二条）",
            }
        ]
        cv = body["cv"]["primary"]["teaching_area_per_student"]["value"]
        assert cv == pytest.approx(0.074727, abs=5e-7)
        # the hash is over the sections assessed: the same as sending them without P30
        assert body["inputs_sha256"] == explicit.json()["inputs_sha256"]

    async def test_without_the_county_rule_a_marked_teaching_point_is_assessed(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        await client.post(
            f"{RESOURCES}/imports",
            content=csv_body(county_rows(county)),
            headers={**writer, "content-type": CSV},
        )

        response = await client.post(
            "/v1/assessments", json={"county_code": "150602", "year": 2025}, headers=writer
        )

        body = response.json()
        assert response.status_code == 201
        assert P30 in {s["school_code"] for s in body["schools"]}
        assert "excluded" not in body
        assert "scope" not in body
