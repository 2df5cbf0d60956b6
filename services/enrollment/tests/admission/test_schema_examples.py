"""The documented request examples are valid requests: integrators copy them, and the security
suite (tests/security) seeds a county with them."""

from typing import Any

import pytest
from pydantic import BaseModel

from enrollment.admission.schemas import ApplicationCreate

EXAMPLES: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (model, example)
    for model in (ApplicationCreate,)
    for example in model.model_config["json_schema_extra"]["examples"]  # type: ignore[index]
]


@pytest.mark.parametrize(("model", "example"), EXAMPLES)
def test_the_example_passes_the_schema_including_the_citizen_id_check_digit(
    model: type[BaseModel], example: dict[str, Any]
) -> None:
    """The ApplicationCreate example once carried an ID failing GB 11643 MOD 11-2 (…0012)."""
    assert model.model_validate(example).model_dump(mode="json")["child"]["citizen_id"] == (
        "150602201903150018"
    )
