"""Field classification (issue 20 item 2): public / internal / personal / sensitive, declared
once on each schema field (`name: Annotated[str, Sensitive]`, junheng_contracts.classification
says what each class holds and why) and read from there by

- the OpenAPI: `x-junheng-class` on every property of every component schema
  (`with_classes` stamps `internal` on the unmarked);
- the audit: `classes_of(model)` (the classes an answer carries) and `fields_of_class`;
- masking: `masked(answer)` shows every personal and sensitive value of an answer the way a
  reader without the PII scope sees it, by its kind (`mask_kind`), with no list kept by hand;
- log scrubbing: `is_personal_name` (junheng_kit.problems, junheng_kit.logs).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel

from junheng_contracts.classification import (
    CLASSES,
    DEFAULT,
    EXTENSION,
    Classified,
    DataClass,
    Internal,
    MaskKind,
    Personal,
    Public,
    Sensitive,
    stamp_default,
)
from junheng_kit.logs import (
    mask_address,
    mask_citizen_id,
    mask_coordinate,
    mask_name,
    mask_phone,
    mask_student_number,
)

__all__ = [
    "CLASSES",
    "DEFAULT",
    "EXTENSION",
    "Classified",
    "DataClass",
    "Internal",
    "MaskKind",
    "Personal",
    "Public",
    "Sensitive",
    "class_of",
    "classes_of",
    "fields_of_class",
    "is_personal_name",
    "mask_kind",
    "masked",
    "with_classes",
]

M = TypeVar("M", bound=BaseModel)
PROTECTED: frozenset[DataClass] = frozenset({"personal", "sensitive"})

# a field's masking kind by the end of its name, when its marker names none (first match wins)
KIND_BY_NAME: tuple[tuple[re.Pattern[str], MaskKind], ...] = (
    (re.compile(r"(citizen_id|id_number|permit_number)$"), "citizen_id"),
    (re.compile(r"student_number$"), "student_number"),
    (re.compile(r"(^|_)name$"), "name"),
    (re.compile(r"(phone|mobile)$"), "phone"),
    (re.compile(r"address$"), "address"),
    (re.compile(r"(longitude|latitude)$"), "coordinate"),
)
MASKS: dict[MaskKind, Callable[[Any], Any]] = {
    "name": mask_name,
    "citizen_id": mask_citizen_id,
    "student_number": mask_student_number,
    "phone": mask_phone,
    "address": mask_address,
    "coordinate": mask_coordinate,
    "withheld": lambda _: None,
    "shown": lambda value: value,
}

# names that hold a person's data wherever they occur (the architecture test, log scrubbing)
PERSONAL_NAME = re.compile(
    r"citizen_id|id_number|(^|_)(student|child|teacher|guardian|parent|person|list|family)_name$"
    r"|phone|mobile|address|birth|guardian|disabilit|hardship|household|income|student_number"
    r"|permit_number|hukou"
)


def is_personal_name(field: str) -> bool:
    """Whether a field's name (its last part, `child.citizen_id` → `citizen_id`) says it holds a
    person's data: such a field must be marked personal or sensitive, and its values never
    reach logs or problem details."""
    return bool(PERSONAL_NAME.search(field.rsplit(".", 1)[-1].lower()))


def _marker(model: type[BaseModel], field: str) -> Classified | None:
    info = model.model_fields[field]
    return next((m for m in reversed(info.metadata) if isinstance(m, Classified)), None)


def class_of(model: type[BaseModel], field: str) -> DataClass:
    """A field's class: its marker's, else `internal`."""
    marker = _marker(model, field)
    return marker.cls if marker is not None else DEFAULT


def mask_kind(model: type[BaseModel], field: str) -> MaskKind:
    """How a personal or sensitive field is masked: its marker's kind, else the kind its name
    says (`…citizen_id`, `…name`, `…phone`, `…address`, `…longitude`), else withheld (null)."""
    marker = _marker(model, field)
    if marker is not None and marker.mask is not None:
        return marker.mask
    return next((kind for pattern, kind in KIND_BY_NAME if pattern.search(field)), "withheld")


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The models an annotation holds (inside lists, optionals, unions, dicts)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def _walk(
    model: type[BaseModel], prefix: str, seen: frozenset[type[BaseModel]]
) -> Iterator[tuple[str, DataClass]]:
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        yield path, class_of(model, name)
        for inner in _models_in(info.annotation):
            if inner not in seen:
                yield from _walk(inner, f"{path}.", seen | {inner})


def classes_of(model: type[BaseModel]) -> frozenset[str]:
    """The classes a model's answer carries, its nested models' fields included."""
    return frozenset(cls for _, cls in _walk(model, "", frozenset({model})))


def fields_of_class(model: type[BaseModel], cls: DataClass) -> frozenset[str]:
    """The dotted paths (`child.citizen_id`) of a model's fields of one class, recursively."""
    return frozenset(path for path, found in _walk(model, "", frozenset({model})) if found == cls)


def _masked_value(value: Any, mask: Callable[[Any], Any] | None) -> Any:
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return masked(value)
    if isinstance(value, list | tuple):
        return type(value)(_masked_value(v, mask) for v in value)
    if isinstance(value, dict):
        return {k: _masked_value(v, mask) for k, v in value.items()}
    return value if mask is None else mask(value)


def masked(answer: M) -> M:
    """The answer as a reader without the PII scope sees it: every personal or sensitive value
    masked by its kind (a nested model's own fields decide for it), everything else as is."""
    update = {
        name: _masked_value(getattr(answer, name), mask) for name, mask in _plan(type(answer))
    }
    return answer.model_copy(update=update)


@cache
def _plan(model: type[BaseModel]) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    """Each field of a model with its mask (None: shown as is, or a nested model's fields)."""
    return tuple(
        (name, MASKS[mask_kind(model, name)] if class_of(model, name) in PROTECTED else None)
        for name in model.model_fields
    )


def with_classes(document: dict[str, Any]) -> dict[str, Any]:
    """`x-junheng-class` on every property of every component schema of an OpenAPI document:
    the unmarked get the default, `internal`."""
    for schema in document.get("components", {}).get("schemas", {}).values():
        if isinstance(schema, dict):
            stamp_default(schema)
    return document
