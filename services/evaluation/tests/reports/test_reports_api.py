"""GET /v1/assessments/{id}/report.{html,pdf,xlsx}: the 4-section county, SQLite and PostgreSQL."""

import io
import warnings
from typing import Any

import pytest
from httpx import AsyncClient
from openpyxl import load_workbook
from pypdf import PdfReader

from junheng_kit.testing.plugin import TokenFactory, auth

COUNTY_CODE = "150602"


class TestHtml:
    async def test_shows_the_header_verdict_and_the_shortfalls(
        self, client: AsyncClient, assessment: dict[str, Any], reader: dict[str, str]
    ) -> None:
        response = await client.get(
            f"/v1/assessments/{assessment['id']}/report.html", headers=reader
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        assert assessment["inputs_sha256"] in html
        assert assessment["catalogue_version"] in html
        assert "2025—2026学年" in html
        assert "未达标" in html
        assert "2115060003" in html
        assert "需增加高于规定学历教师 1 人 / 教学及辅助用房 150 m²" in html
        assert html.count("data:image/svg+xml;base64,") == 14  # 7 indicators × 2 levels


class TestPdf:
    async def test_is_a_pdf_with_the_hash_on_every_page_in_an_embedded_cjk_font(
        self, client: AsyncClient, assessment: dict[str, Any], reader: dict[str, str]
    ) -> None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            response = await client.get(
                f"/v1/assessments/{assessment['id']}/report.pdf", headers=reader
            )
        # the charts' school names and captions drawn in a CJK font, not as boxes
        assert not [w for w in caught if "missing from font" in str(w.message)]
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"] == (
            'attachment; filename="assessment-150602-2025.pdf"'
        )
        assert response.content.startswith(b"%PDF")
        pdf = PdfReader(io.BytesIO(response.content))
        pages = [page.extract_text() for page in pdf.pages]
        assert all(assessment["inputs_sha256"] in text for text in pages)  # the footer
        assert "2115060003" in "".join(pages)
        fonts = set()
        for page in pdf.pages:
            for font in page["/Resources"]["/Font"].values():
                fonts.add(str(font.get_object()["/BaseFont"]))
        assert any(
            "notosanscjk" in name.lower().replace(" ", "").replace("-", "") for name in fonts
        ), fonts


class TestXlsx:
    async def test_has_the_supervisors_sheets_with_unrounded_values(
        self, client: AsyncClient, assessment: dict[str, Any], reader: dict[str, str]
    ) -> None:
        response = await client.get(
            f"/v1/assessments/{assessment['id']}/report.xlsx", headers=reader
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert response.headers["content-disposition"] == (
            'attachment; filename="assessment-150602-2025.xlsx"'
        )
        book = load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == ["说明", "学校指标", "差异系数", "差距"]
        about = {row[0]: row[1] for row in book["说明"].iter_rows(values_only=True)}
        assert about["输入 SHA-256"] == assessment["inputs_sha256"]
        assert about["资源配置结论"] == "未达标"
        rows = list(book["学校指标"].iter_rows(values_only=True))
        teachers = next(i for i, title in enumerate(rows[0]) if "高于规定学历教师" in str(title))
        school_c = next(row for row in rows if row[1] == "2115060003")
        assert school_c[teachers] == 4.0
        assert school_c[-1] == "否"
        gaps = [row for row in book["差距"].iter_rows(values_only=True) if row[1] == "2115060003"]
        assert [(row[3][:1], row[7], row[8]) for row in gaps] == [("1", 1, "人"), ("4", 150, "m²")]
        cvs = list(book["差异系数"].iter_rows(values_only=True))[1:]
        assert len(cvs) == 14


class TestJurisdiction:
    @pytest.mark.parametrize("kind", ["html", "pdf", "xlsx"])
    async def test_another_countys_assessment_is_not_found(
        self, client: AsyncClient, assessment: dict[str, Any], token: TokenFactory, kind: str
    ) -> None:
        tongyu = auth(token("evaluation:read", jurisdiction=("220822",)))
        response = await client.get(
            f"/v1/assessments/{assessment['id']}/report.{kind}", headers=tongyu
        )
        assert response.status_code == 404

    async def test_needs_the_read_scope(
        self, client: AsyncClient, assessment: dict[str, Any], token: TokenFactory
    ) -> None:
        response = await client.get(
            f"/v1/assessments/{assessment['id']}/report.html",
            headers=auth(token("enrollment:read")),
        )
        assert response.status_code == 403
