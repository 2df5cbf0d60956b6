"""National codes of a school (issue 19; domain.md §1.2, §1.3): the tables, code-or-label input,
the 统计用区划代码 shape and the consistency of a registry entry."""

import pytest
from pydantic import BaseModel, ValidationError

from junheng_kit.problems import FieldError
from junheng_kit.school_codes import (
    SCHOOL_TYPES,
    URBAN_RURAL_CLASSES,
    OwnershipCode,
    SchoolTypeCode,
    StatisticalDivisionCode,
    UrbanRuralCode,
    is_nine_year_school,
    registry_errors,
    school_type_label,
    type_level_errors,
    urban_rural_area,
    urban_rural_label,
)


class Entry(BaseModel):
    school_type: SchoolTypeCode | None = None
    urban_rural_code: UrbanRuralCode | None = None
    division_code: StatisticalDivisionCode | None = None
    ownership: OwnershipCode | None = None


def rules_of(exc: ValidationError) -> list[tuple[str, str]]:
    return [
        (str(e["loc"][0]), str(e["ctx"]["error"]).split(":")[0])
        for e in exc.errors()
        if e["type"] == "value_error"
    ]


class TestTables:
    def test_the_seven_urban_rural_classes_of_the_2008_rules_and_their_areas(self) -> None:
        """统计上划分城乡的规定 (国函〔2008〕60号): 1xx 城镇 (11x 城区, 12x 镇区), 2xx 乡村."""
        assert [(c.code, c.label, c.area) for c in URBAN_RURAL_CLASSES] == [
            ("111", "主城区", "urban"),
            ("112", "城乡结合区", "urban"),
            ("121", "镇中心区", "county_town"),
            ("122", "镇乡结合区", "county_town"),
            ("123", "特殊区域", "county_town"),
            ("210", "乡中心区", "rural"),
            ("220", "村庄", "rural"),
        ]

    def test_school_types_are_the_compulsory_education_codes_only(self) -> None:
        assert [t.code for t in SCHOOL_TYPES] == [
            "211", "218", "219", "311", "312", "319", "341", "345",
            "511", "512", "513", "514", "519",
        ]  # fmt: skip
        # the first two digits are the 学校标识码 category (domain.md §1.3)
        assert {t.code[:2] for t in SCHOOL_TYPES} == {"21", "31", "34", "51"}

    def test_labels_and_areas_of_codes(self) -> None:
        assert school_type_label("312") == "九年一贯制学校"
        assert school_type_label("342") is None  # 高级中学: not compulsory education
        assert urban_rural_label("220") == "村庄"
        assert urban_rural_area("122") == "county_town"
        assert urban_rural_area(None) is None


class TestCodeOrLabel:
    def test_a_code_or_its_chinese_label_is_stored_as_the_code(self) -> None:
        by_label = Entry(school_type="九年一贯制学校", urban_rural_code="村庄", ownership="民办")
        by_code = Entry(school_type="312", urban_rural_code="220", ownership="private")
        assert by_label == by_code
        assert (by_code.school_type, by_code.urban_rural_code, by_code.ownership) == (
            "312",
            "220",
            "private",
        )

    @pytest.mark.parametrize(
        ("field", "value", "rule"),
        [
            ("school_type", "342", "school_type_known"),  # 高级中学
            ("school_type", "小学校", "school_type_known"),
            ("urban_rural_code", "110", "urban_rural_code_known"),  # a group, not a class
            ("urban_rural_code", "城市", "urban_rural_code_known"),
            ("ownership", "民办公助", "ownership_known"),
            ("division_code", "15060210000", "division_code_format"),
            ("division_code", "15060210000１", "division_code_format"),
            ("division_code", "990602100001", "division_code_province"),
        ],
    )
    def test_an_unknown_value_names_its_rule(self, field: str, value: str, rule: str) -> None:
        with pytest.raises(ValidationError) as caught:
            Entry.model_validate({field: value})
        assert rules_of(caught.value) == [(field, rule)]


class TestTypeAgainstLevels:
    @pytest.mark.parametrize(
        ("school_type", "levels"),
        [
            ("211", ["primary"]),
            ("218", ["primary"]),
            ("311", ["junior"]),
            ("312", ["nine_year"]),
            ("312", ["primary", "junior"]),
            ("341", ["complete_secondary"]),
            ("341", ["junior"]),
            ("345", ["nine_year", "complete_secondary"]),
            ("513", ["primary"]),
            ("514", ["nine_year"]),
        ],
    )
    def test_agreeing_entries_pass(self, school_type: str, levels: list[str]) -> None:
        assert type_level_errors(school_type, levels) == []

    def test_a_primary_school_has_no_junior_level(self) -> None:
        assert type_level_errors("211", ["primary", "junior"]) == [
            "小学 (211) 不设初中学段 / a 小学 (211) has no level junior"
        ]

    def test_a_nine_year_school_has_both_sections(self) -> None:
        assert type_level_errors("312", ["primary"]) == [
            "九年一贯制学校 (312) 应有初中学段 / a 九年一贯制学校 (312) has a junior section"
        ]

    def test_a_combined_form_belongs_to_its_type(self) -> None:
        # a 初级中学 listed as 完全中学: the sections fit, the form does not
        assert type_level_errors("311", ["complete_secondary"]) == [
            "初级中学 (311) 不设完全中学学段 / a 初级中学 (311) has no level complete_secondary"
        ]


class TestRegistryErrors:
    def test_the_division_code_lies_under_the_county(self) -> None:
        assert (
            registry_errors(
                school_type="211",
                levels=["primary"],
                county_code="150602",
                division_code="150602100001",
            )
            == []
        )
        assert [
            (e.field, e.rule)
            for e in registry_errors(
                school_type=None,
                levels=["primary"],
                county_code="150602",
                division_code="220822100001",
                prefix="rows[2].",
            )
        ] == [("rows[2].division_code", "division_code_in_county")]

    def test_each_contradiction_is_one_field_error(self) -> None:
        errors = registry_errors(
            school_type="211",
            levels=["junior"],
            county_code="150602",
            division_code="150603001001",
        )
        assert [(e.field, e.rule) for e in errors] == [
            ("school_type", "school_type_levels"),
            ("division_code", "division_code_in_county"),
        ]
        assert isinstance(errors[0], FieldError)
        assert errors[0].message == (
            "小学 (211) 不设初中学段 / a 小学 (211) has no level junior; "
            "小学 (211) 应有小学学段 / a 小学 (211) has a primary section"
        )


class TestNineYearSchool:
    @pytest.mark.parametrize(
        ("levels", "school_type", "expected"),
        [
            (["nine_year"], None, True),  # by its registry level
            (["primary", "junior"], "312", True),  # by its 办学类型
            (["nine_year"], "312", True),
            (["primary"], None, False),
            (["primary"], "211", False),
            (["junior"], "311", False),
            (["primary", "junior"], None, False),  # two sections, no 九年一贯制 on record
            (["primary", "junior", "complete_secondary"], "345", False),
            (["nine_year", "complete_secondary"], "345", True),
        ],
    )
    def test_the_level_or_the_type_makes_a_nine_year_school(
        self, levels: list[str], school_type: str | None, expected: bool
    ) -> None:
        assert is_nine_year_school(levels, school_type) is expected
