"""公民身份号码 (GB 11643-1999 MOD 11-2): the worked example and vectors of domain.md §1.1."""

from datetime import date

import pytest
from pydantic import TypeAdapter, ValidationError

from junheng_kit.identifiers import (
    CitizenId,
    ScopeCode,
    check_citizen_id,
    check_scope_code,
    citizen_id_birth_date,
    citizen_id_check_character,
    citizen_id_gender,
    scopes_covering,
)


class TestCheckCharacter:
    def test_worked_example_of_tongyu_sums_to_228_and_checks_to_4(self) -> None:
        # products 14 18 0 40 16 8 4 0 6 9 0 72 30 5 0 0 6 = 228; 228 mod 11 = 8 → "4"
        assert citizen_id_check_character("22082220130831003") == "4"

    @pytest.mark.parametrize(
        ("body", "check"),
        [
            ("34052419800101001", "X"),
            ("37010119010203997", "3"),
            ("12345678901234567", "7"),
            ("22082220130901004", "1"),  # R = 0
        ],
    )
    def test_domain_vectors(self, body: str, check: str) -> None:
        assert citizen_id_check_character(body) == check

    def test_whole_id_sum_with_the_check_weighted_1_is_1_mod_11(self) -> None:
        for full in ("220822201308310034", "34052419800101001X", "220822201309010041"):
            digits = [10 if c == "X" else int(c) for c in full]
            weights = [2 ** (i - 1) % 11 for i in range(18, 0, -1)]
            assert sum(d * w for d, w in zip(digits, weights, strict=True)) % 11 == 1

    def test_a_body_that_is_not_17_digits_is_refused(self) -> None:
        with pytest.raises(ValueError, match="citizen_id_format"):
            citizen_id_check_character("2208222013083100")


class TestCheckCitizenId:
    def test_a_valid_id_passes_unchanged(self) -> None:
        assert check_citizen_id("220822201308310034") == "220822201308310034"

    def test_a_lower_case_x_is_normalised(self) -> None:
        assert check_citizen_id("34052419800101001x") == "34052419800101001X"

    def test_a_wrong_check_character_is_refused(self) -> None:
        with pytest.raises(ValueError, match="citizen_id_check_digit"):
            check_citizen_id("220822201308310035")

    def test_fifteen_digit_ids_are_refused(self) -> None:
        with pytest.raises(ValueError, match="citizen_id_format"):
            check_citizen_id("220822130831003")

    def test_an_impossible_birth_date_is_refused(self) -> None:
        body = "22082220130231003"  # 2013-02-31
        with pytest.raises(ValueError, match="citizen_id_birth_date"):
            check_citizen_id(body + citizen_id_check_character(body))

    def test_the_annotated_type_reports_the_rule(self) -> None:
        with pytest.raises(ValidationError, match="citizen_id_check_digit"):
            TypeAdapter(CitizenId).validate_python("220822201308310035")


class TestDerivedFields:
    def test_birth_date_comes_from_positions_7_to_14(self) -> None:
        assert citizen_id_birth_date("220822201308310034") == date(2013, 8, 31)

    def test_odd_position_17_is_male(self) -> None:
        assert citizen_id_gender("220822201308310034") == "male"

    def test_even_position_17_is_female(self) -> None:
        assert citizen_id_gender("220822201309010041") == "female"


def test_the_column_wise_gender_matches_the_one_value_function() -> None:
    import polars as pl

    from junheng_kit.identifiers import citizen_id_gender, citizen_id_gender_expr

    ids = ["11010519491231002X", "440524188001010014", "150602201903150012"]
    frame = pl.DataFrame({"citizen_id": ids})
    column = frame.select(citizen_id_gender_expr().alias("gender"))["gender"].to_list()
    assert column == [citizen_id_gender(value) for value in ids] == ["female", "male", "male"]


class TestScopeCode:
    """The prefix a policy value applies in: province, prefecture or county (domain.md §0)."""

    @pytest.mark.parametrize("code", ["15", "1506", "150602"])
    def test_a_province_prefecture_or_county_prefix_passes(self, code: str) -> None:
        assert TypeAdapter(ScopeCode).validate_python(code) == code

    @pytest.mark.parametrize("code", ["", "1", "150", "15060", "1506021", "15x602"])
    def test_other_lengths_and_characters_are_refused(self, code: str) -> None:
        with pytest.raises(ValueError, match="scope_code_format"):
            check_scope_code(code)

    def test_an_unknown_province_is_refused(self) -> None:
        with pytest.raises(ValueError, match="scope_code_province"):
            check_scope_code("99")

    def test_a_county_is_covered_by_its_province_prefecture_and_itself(self) -> None:
        assert scopes_covering("150602") == ("15", "1506", "150602")
