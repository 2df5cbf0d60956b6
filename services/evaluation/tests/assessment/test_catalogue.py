"""The indicator catalogue against domain.md §5.2 / §5.3, and the purity of the rule modules."""

import ast
import inspect
from dataclasses import fields, replace
from datetime import date
from decimal import Decimal
from types import ModuleType

import pytest

from evaluation.assessment import catalogue as catalogue_module
from evaluation.assessment import rules as rules_module
from evaluation.assessment.catalogue import (
    CATALOGUES,
    INDICATOR_KEYS,
    NATIONAL_2017,
    Level,
    catalogue_by_version,
    catalogue_in_force,
)
from evaluation.assessment.rules import SectionInput

# domain.md §5.2: (key, level, threshold, 85% floor), all 14 rows as written there
TABLE_5_2: list[tuple[str, Level, str, str]] = [
    ("senior_degree_teachers_per_100", "primary", "4.2", "3.57"),
    ("senior_degree_teachers_per_100", "junior", "5.3", "4.505"),
    ("backbone_teachers_per_100", "primary", "1", "0.85"),
    ("backbone_teachers_per_100", "junior", "1", "0.85"),
    ("pe_arts_teachers_per_100", "primary", "0.9", "0.765"),
    ("pe_arts_teachers_per_100", "junior", "0.9", "0.765"),
    ("teaching_area_per_student", "primary", "4.5", "3.825"),
    ("teaching_area_per_student", "junior", "5.8", "4.93"),
    ("sports_area_per_student", "primary", "7.5", "6.375"),
    ("sports_area_per_student", "junior", "10.2", "8.67"),
    ("equipment_value_per_student", "primary", "2000", "1700"),
    ("equipment_value_per_student", "junior", "2500", "2125"),
    ("multimedia_classrooms_per_100", "primary", "2.3", "1.955"),
    ("multimedia_classrooms_per_100", "junior", "2.4", "2.04"),
]


class TestNational2017Thresholds:
    @pytest.mark.parametrize(("key", "level", "threshold", "floor"), TABLE_5_2)
    def test_threshold_is_as_in_the_table(
        self, key: str, level: Level, threshold: str, floor: str
    ) -> None:
        assert NATIONAL_2017.indicator(key).thresholds[level] == Decimal(threshold)

    @pytest.mark.parametrize(("key", "level", "threshold", "floor"), TABLE_5_2)
    def test_floor_is_85_percent_of_the_threshold_exactly(
        self, key: str, level: Level, threshold: str, floor: str
    ) -> None:
        computed = NATIONAL_2017.floor(key, level)

        assert computed == Decimal(floor)
        assert str(computed) == floor

    def test_floor_is_exact_where_floats_are_not(self) -> None:
        assert 4.5 * 0.85 != 3.825

        assert NATIONAL_2017.floor("teaching_area_per_student", "primary") == Decimal("3.825")

    def test_holds_the_per_school_rule_cv_limits_and_recognition(self) -> None:
        assert (NATIONAL_2017.min_met, len(NATIONAL_2017.indicators)) == (6, 7)
        assert NATIONAL_2017.floor_ratio == Decimal("0.85")
        assert dict(NATIONAL_2017.cv_limits) == {
            "primary": Decimal("0.50"),
            "junior": Decimal("0.45"),
        }
        assert NATIONAL_2017.recognition_threshold == Decimal("0.85")

    def test_cites_教督_2017_6(self) -> None:
        assert "教督〔2017〕6号" in NATIONAL_2017.source
        assert NATIONAL_2017.version == "教督〔2017〕6号/2017-04-26"
        assert (NATIONAL_2017.effective_from, NATIONAL_2017.effective_to) == (
            date(2017, 4, 26),
            None,
        )


class TestIndicatorSpecs:
    def test_keys_are_the_indicator_keys_in_order(self) -> None:
        assert tuple(spec.key for spec in NATIONAL_2017.indicators) == INDICATOR_KEYS

    def test_are_numbered_1_to_7(self) -> None:
        assert [spec.number for spec in NATIONAL_2017.indicators] == [1, 2, 3, 4, 5, 6, 7]

    def test_divide_section_input_fields(self) -> None:
        assert [spec.input_field for spec in NATIONAL_2017.indicators] == [
            "teachers_above_required_degree",
            "backbone_teachers",
            "pe_arts_teachers",
            "teaching_auxiliary_area_m2",
            "sports_venue_area_m2",
            "equipment_value_yuan",
            "multimedia_classrooms",
        ]
        section_fields = {field.name for field in fields(SectionInput)}
        assert {spec.input_field for spec in NATIONAL_2017.indicators} <= section_fields

    def test_state_per_students_units_and_shortfall_units(self) -> None:
        assert [
            (spec.per_students, spec.unit, spec.shortfall_unit) for spec in NATIONAL_2017.indicators
        ] == [
            (100, "人/百生", "teachers"),
            (100, "人/百生", "teachers"),
            (100, "人/百生", "teachers"),
            (1, "m²/生", "m2"),
            (1, "m²/生", "m2"),
            (1, "元/生", "yuan"),
            (100, "间/百生", "classrooms"),
        ]

    def test_name_the_first_indicator_in_chinese(self) -> None:
        assert NATIONAL_2017.indicator("senior_degree_teachers_per_100").name_zh == (
            "高于规定学历教师数（每百名学生）"
        )

    def test_an_unknown_key_is_a_key_error(self) -> None:
        with pytest.raises(KeyError, match="books_per_student"):
            NATIONAL_2017.indicator("books_per_student")


class TestCatalogueInForce:
    def test_the_2017_catalogue_governs_2025(self) -> None:
        assert catalogue_in_force(date(2025, 9, 1)) is NATIONAL_2017

    def test_the_2017_catalogue_is_in_force_on_its_issue_date(self) -> None:
        assert catalogue_in_force(date(2017, 4, 26)) is NATIONAL_2017

    def test_no_catalogue_is_in_force_before_2017_04_26(self) -> None:
        with pytest.raises(LookupError, match="2017-04-25"):
            catalogue_in_force(date(2017, 4, 25))

    def test_a_successor_takes_over_on_its_first_day_and_effective_to_is_exclusive(
        self,
    ) -> None:
        old = replace(NATIONAL_2017, effective_to=date(2030, 9, 1))
        new = replace(
            NATIONAL_2017, version="successor/2030-09-01", effective_from=date(2030, 9, 1)
        )

        assert catalogue_in_force(date(2030, 8, 31), [old, new]) is old
        assert catalogue_in_force(date(2030, 9, 1), [old, new]) is new

    def test_the_national_catalogues_are_listed(self) -> None:
        assert CATALOGUES == (NATIONAL_2017,)


class TestCatalogueByVersion:
    def test_finds_the_stored_version(self) -> None:
        assert catalogue_by_version("教督〔2017〕6号/2017-04-26") is NATIONAL_2017

    def test_an_unknown_version_is_a_lookup_error(self) -> None:
        with pytest.raises(LookupError, match="教督〔2012〕3号"):
            catalogue_by_version("教督〔2012〕3号")


def imported_top_level_packages(module: ModuleType) -> set[str]:
    tree = ast.parse(inspect.getsource(module))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


class TestRuleModulesArePure:
    @pytest.mark.parametrize("module", [rules_module, catalogue_module], ids=["rules", "catalogue"])
    def test_import_no_database_web_http_or_bus_library(self, module: ModuleType) -> None:
        imported = imported_top_level_packages(module)

        assert imported & {"sqlalchemy", "fastapi", "httpx", "nats", "starlette"} == set()
        assert "numpy" in imported or module is catalogue_module
