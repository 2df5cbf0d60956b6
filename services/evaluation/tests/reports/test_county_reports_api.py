"""County verdict, trend and roll-up reports as HTML, PDF and XLSX, on SQLite and PostgreSQL."""

import io
from typing import Any

from httpx import AsyncClient
from openpyxl import load_workbook
from pypdf import PdfReader

from junheng_kit.testing.plugin import TokenFactory, auth

VERDICT = "/v1/counties/150602/years/2025/verdict/report"
TRENDS = "/v1/counties/150602/trends/report"
ROLLUP = "/v1/rollups/report"


def embedded_fonts(pdf: PdfReader) -> set[str]:
    return {
        str(font.get_object()["/BaseFont"])
        for page in pdf.pages
        for font in page["/Resources"]["/Font"].values()
    }


class TestVerdictReport:
    async def test_html_lists_every_failing_item_and_the_schools_shortfall(
        self, client: AsyncClient, assessment: dict[str, Any], writer: dict[str, str]
    ) -> None:
        rotation = {
            "measured": {"eligible_teachers": 100, "rotated_teachers": 8, "backbone_rotated": 2},
            "evidence": [{"title": "轮岗名单", "reference": "东教发〔2025〕12号"}],
            "reviewer": "李审核",
        }
        await client.put(
            "/v1/counties/150602/years/2025/items/rotation_share", json=rotation, headers=writer
        )

        response = await client.get(f"{VERDICT}.html", headers=writer)

        assert response.status_code == 200
        html = response.text
        assert "资料不全，无法认定" in html  # recognition, eligibility … not stored yet
        assert assessment["inputs_sha256"] in html
        assert assessment["catalogue_version"] in html
        # rotation: 10 % of 100 eligible = 10, 8 rotated → 2 teachers missing
        assert "rotation_share.rotated_share" in html
        assert "2 人" in html
        # school C: 1 teacher above the required degree, 150 m² of teaching rooms
        assert "2115060003 学校03" in html
        assert "1 人" in html
        assert "150 m²" in html

    async def test_pdf_embeds_noto_cjk_and_prints_the_hash_on_every_page(
        self, client: AsyncClient, assessment: dict[str, Any], writer: dict[str, str]
    ) -> None:
        response = await client.get(f"{VERDICT}.pdf", headers=writer)

        assert response.status_code == 200
        assert response.headers["content-disposition"] == (
            'attachment; filename="verdict-150602-2025.pdf"'
        )
        pdf = PdfReader(io.BytesIO(response.content))
        assert all(assessment["inputs_sha256"] in page.extract_text() for page in pdf.pages)
        assert any("notosanscjk" in f.lower().replace("-", "") for f in embedded_fonts(pdf))

    async def test_xlsx_holds_the_parts_items_and_gaps_as_numbers(
        self, client: AsyncClient, assessment: dict[str, Any], writer: dict[str, str]
    ) -> None:
        response = await client.get(f"{VERDICT}.xlsx", headers=writer)

        book = load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == ["说明", "四部分", "未达标项目", "学校差距"]
        about = {row[0]: row[1] for row in book["说明"].iter_rows(values_only=True)}
        assert about["输入 SHA-256"] == assessment["inputs_sha256"]
        assert about["评估编号"] == assessment["id"]
        assert "社会认可度" in about["尚未录入"]
        assert "recognition" not in about["尚未录入"]
        parts = {row[0]: row[1] for row in book["四部分"].iter_rows(values_only=True)}
        assert parts["资源配置"] == "未达标"
        assert parts["社会认可度"] == "未录入"
        gaps = [row for row in book["学校差距"].iter_rows(values_only=True)][1:]
        assert [(r[0], r[3], r[7], r[8], r[9]) for r in gaps] == [
            (
                "2115060003",
                "高于规定学历教师数（每百名学生）",
                1,
                "人",
                "senior_degree_teachers_per_100",
            ),
            ("2115060003", "生均教学及辅助用房面积", 150, "m²", "teaching_area_per_student"),
        ]  # the title a supervisor reads, the key a program reads

    async def test_another_countys_verdict_report_is_forbidden(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        tongyu = auth(token("evaluation:read", jurisdiction=("220822",)))

        response = await client.get(f"{VERDICT}.pdf", headers=tongyu)

        assert response.status_code == 403


class TestTrendReport:
    async def test_carries_each_years_hash_and_county_means(
        self,
        client: AsyncClient,
        assessment: dict[str, Any],
        county: list[dict[str, Any]],
        writer: dict[str, str],
    ) -> None:
        earlier = await client.post(
            "/v1/assessments",
            json={"county_code": "150602", "year": 2024, "schools": county},
            headers=writer,
        )

        html = (await client.get(f"{TRENDS}.html", headers=writer)).text
        book = load_workbook(
            io.BytesIO((await client.get(f"{TRENDS}.xlsx", headers=writer)).content)
        )

        assert earlier.json()["inputs_sha256"] in html
        assert assessment["inputs_sha256"] in html
        assert html.count("data:image/svg+xml;base64,") == 14  # 7 indicators × 2 levels
        rows = list(book["趋势"].iter_rows(values_only=True))[1:]
        assert len(rows) == 28  # 2 years × 2 levels × 7 indicators
        # primary teaching area: 10800 m² ÷ 2300 pupils in both years, threshold 4.5
        area = [r for r in rows if r[1] == "小学" and r[2].startswith("4.")]
        assert [(r[0], round(r[4], 6), r[5]) for r in area] == [
            (2024, 4.695652, 4.5),
            (2025, 4.695652, 4.5),
        ]
        about = [row[1] for row in book["说明"].iter_rows(values_only=True)]
        assert any(assessment["inputs_sha256"] in str(value) for value in about)

    async def test_pdf_embeds_noto_cjk(
        self, client: AsyncClient, assessment: dict[str, Any], writer: dict[str, str]
    ) -> None:
        response = await client.get(f"{TRENDS}.pdf", headers=writer)

        pdf = PdfReader(io.BytesIO(response.content))
        assert any("notosanscjk" in f.lower().replace("-", "") for f in embedded_fonts(pdf))
        assert "2025—2026" in pdf.pages[0].extract_text()


class TestRollupReport:
    async def test_lists_each_county_with_its_hash_and_catalogue(
        self,
        client: AsyncClient,
        assessment: dict[str, Any],
        county: list[dict[str, Any]],
        token: TokenFactory,
    ) -> None:
        ordos = auth(token("evaluation:read", "evaluation:write", jurisdiction=("1506",)))
        other = [
            {**s, "school_code": s["school_code"][:4] + "03" + s["school_code"][6:]} for s in county
        ]
        await client.post(
            "/v1/assessments",
            json={"county_code": "150603", "year": 2025, "schools": other},
            headers=ordos,
        )

        response = await client.get(
            f"{ROLLUP}.xlsx", params={"region_code": "1506", "year": 2025}, headers=ordos
        )
        html = (
            await client.get(
                f"{ROLLUP}.html", params={"region_code": "1506", "year": 2025}, headers=ordos
            )
        ).text

        assert response.headers["content-disposition"] == (
            'attachment; filename="rollup-1506-2025.xlsx"'
        )
        rows = list(load_workbook(io.BytesIO(response.content))["各县"].iter_rows(values_only=True))
        assert [(r[0], r[1], r[2]) for r in rows[1:]] == [("150602", "否", 1), ("150603", "否", 1)]
        assert rows[1][10] == assessment["inputs_sha256"]
        assert assessment["inputs_sha256"] in html
        assert assessment["catalogue_version"] in html

    async def test_a_region_outside_the_jurisdiction_is_forbidden(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.get(
            f"{ROLLUP}.pdf", params={"region_code": "22", "year": 2025}, headers=writer
        )

        assert response.status_code == 403


async def test_stored_text_with_control_characters_still_gives_an_xlsx(
    client: AsyncClient, assessment: dict[str, Any], writer: dict[str, str]
) -> None:
    """Found by fuzzing: a vertical tab in stored text made every verdict XLSX a 500 (a
    spreadsheet cell cannot hold C0 control characters); they are left out of the cell."""
    rotation = {
        "measured": {"eligible_teachers": 100, "rotated_teachers": 8, "backbone_rotated": 2},
        "evidence": [{"title": "轮岗\x0b名单", "reference": "东教发\x01〔2025〕12号"}],
        "reviewer": "李\x0b审核",
    }
    stored = await client.put(
        "/v1/counties/150602/years/2025/items/rotation_share", json=rotation, headers=writer
    )
    assert stored.status_code in (200, 201), stored.text
    veto = {"kind": "admission_by_exam", "evidence": "学校\x0b安全 \x1f通报"}
    stored = await client.put(
        "/v1/counties/150602/years/2025/eligibility",
        json={"basic_balance_recognised_year": 2020, "vetoes": [veto]},
        headers=writer,
    )
    assert stored.status_code in (200, 201), stored.text

    response = await client.get(f"{VERDICT}.xlsx", headers=writer)

    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    cells = [
        str(c)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
        if c is not None
    ]
    assert not any(ch in c for c in cells for ch in "\x0b\x01\x1f")
    assert any("学校安全 通报" in c for c in cells)  # the text itself is kept
