"""全国学籍号: the G, J and L forms of domain.md §1.4, with hand-computed check characters."""

import pytest
from pydantic import TypeAdapter, ValidationError

from junheng_kit.identifiers import (
    StudentNumber,
    check_citizen_id,
    check_student_number,
    citizen_id_check_character,
    student_key,
    student_number_citizen_id,
    student_number_key,
)
from junheng_kit.logs import mask_student_number

KEY = b"test-pseudonym-key"


class TestGForm:
    def test_g_and_the_worked_citizen_id_of_domain_1_1_passes(self) -> None:
        """domain.md §1.1: body 22082220130831003, sum 228, 228 mod 11 = 8 → check 4."""
        assert check_student_number("G220822201308310034") == "G220822201308310034"

    def test_lower_case_letters_are_normalised(self) -> None:
        assert check_student_number(" g34052419800101001x ") == "G34052419800101001X"

    def test_a_wrong_check_character_names_the_rule(self) -> None:
        with pytest.raises(ValueError, match="student_number_check_character"):
            check_student_number("G220822201308310035")

    def test_an_impossible_birth_date_names_the_rule(self) -> None:
        body = "22082220130231003"  # 2013-02-31
        with pytest.raises(ValueError, match="student_number_birth_date"):
            check_student_number("G" + body + citizen_id_check_character(body))

    @pytest.mark.parametrize(
        "citizen_id",
        ["220822201308310034", "220822201308310035", "34052419800101001X", "220822201302310039"],
    )
    def test_the_body_passes_exactly_when_check_citizen_id_passes(self, citizen_id: str) -> None:
        try:
            check_citizen_id(citizen_id)
            valid = True
        except ValueError:
            valid = False
        try:
            check_student_number("G" + citizen_id)
            assert valid
        except ValueError:
            assert not valid

    def test_the_citizen_id_it_carries(self) -> None:
        assert student_number_citizen_id("G220822201308310034") == "220822201308310034"


class TestJForm:
    def test_the_hand_computed_example_of_the_docstring(self) -> None:
        """Body 15060220190315001 (东胜区, born 2019-03-15, sequence 001): products
        7 45 0 30 0 8 4 0 6 27 0 27 10 25 0 0 2 = 191; 191 mod 11 = 4 → check character 8."""
        assert citizen_id_check_character("15060220190315001") == "8"
        assert check_student_number("J150602201903150018") == "J150602201903150018"

    def test_an_x_check_character_is_the_citizen_id_rule_too(self) -> None:
        # domain.md §1.1 vector: 34052419800101001 → X
        assert check_student_number("j34052419800101001x") == "J34052419800101001X"

    def test_a_wrong_check_character_names_the_rule(self) -> None:
        with pytest.raises(ValueError, match="student_number_check_character"):
            check_student_number("J150602201903150019")

    def test_it_carries_no_citizen_id(self) -> None:
        assert student_number_citizen_id("J150602201903150018") is None


class TestLForm:
    def test_four_random_digits_and_no_check_character(self) -> None:
        # the last digit is not a check character: any digit passes
        for last in "0123456789":
            assert check_student_number(f"L15060220190315482{last}")

    def test_an_x_is_not_a_random_digit(self) -> None:
        with pytest.raises(ValueError, match="student_number_format"):
            check_student_number("L15060220190315482X")

    def test_the_birth_date_is_checked(self) -> None:
        with pytest.raises(ValueError, match="student_number_birth_date"):
            check_student_number("L150602201902304821")  # 2019-02-30

    def test_it_carries_no_citizen_id(self) -> None:
        assert student_number_citizen_id("L150602201903154821") is None


@pytest.mark.parametrize(
    "value",
    [
        "220822201308310034",  # a citizen ID without its prefix
        "X220822201308310034",  # an unknown prefix
        "G22082220130831003",  # 18 characters
        "G2208222013083100344",  # 20 characters
        "GL20822201308310034",
        "1101011234567890123456",  # a 16-digit-style provincial number and more
        "G２２０８２２201308310034",  # full-width digits
        "",
    ],
)
def test_other_shapes_are_refused_as_format(value: str) -> None:
    with pytest.raises(ValueError, match="student_number_format"):
        check_student_number(value)


def test_the_annotated_type_reports_the_rule() -> None:
    adapter = TypeAdapter(StudentNumber)
    assert adapter.validate_python("g220822201308310034") == "G220822201308310034"
    with pytest.raises(ValidationError, match="student_number_check_character"):
        adapter.validate_python("G220822201308310035")


def test_the_event_key_is_keyed_and_differs_from_the_citizen_id_key() -> None:
    number = "G220822201308310034"
    assert student_number_key(KEY, number) == student_number_key(KEY, number)
    assert len(student_number_key(KEY, number)) == 32
    assert student_number_key(KEY, number) != student_number_key(b"another-key", number)
    assert student_number_key(KEY, number) != student_key(KEY, "220822201308310034")


def test_masking_keeps_the_prefix_region_and_last_four() -> None:
    assert mask_student_number("G220822201308310034") == "G220822********0034"
    assert mask_student_number("L150602201903154821") == "L150602********4821"
    assert mask_student_number("") == ""
