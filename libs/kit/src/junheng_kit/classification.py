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
    PERSONAL_KEY,
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
    "mask_of",
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
PERSONAL_NAME = PERSONAL_KEY

# schemas whose plain `name` is a person's
PERSON_SCHEMA = re.compile(
    r"child|guardian|student|teacher|parent|person|(?<!zone)lookup|subject", re.I
)


def is_personal_name(field: str, schema: str = "") -> bool:
    """Whether a field's name (its last part, `child.citizen_id` → `citizen_id`) says it holds a
    person's data: such a field must be marked personal or sensitive, and its values never
    reach logs or problem details. A plain `name` is a person's in a schema named after one
    (`ChildRead`, `TeacherRead`) or under such a field (`child.name`)."""
    parts = field.lower().split(".")
    last, context = parts[-1], ".".join([schema, *parts[:-1]])
    if last == "name" and PERSON_SCHEMA.search(context):
        return True
    return bool(PERSONAL_NAME.search(last))


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


Mask = Callable[[Any], Any]
WITHHELD = "withheld"


def _masked_value(value: Any, mask: Mask | None) -> Any:
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return masked(value)
    if isinstance(value, list | tuple):
        return type(value)(_masked_value(v, mask) for v in value)
    return value if mask is None else mask(value)


def masked(answer: M) -> M:
    """The answer as a reader without the PII scope sees it: every personal or sensitive value
    masked by its kind, a nested model's values by its own fields' classes, everything else as
    is. A withheld field is null as a whole (a list of categories, a dict of evidence)."""
    update: dict[str, Any] = {}
    for name, action in _plan(type(answer)):
        value = getattr(answer, name)
        update[name] = None if isinstance(action, str) else _masked_value(value, action)
    return answer.model_copy(update=update)


@cache
def _plan(model: type[BaseModel]) -> tuple[tuple[str, Mask | str | None], ...]:
    """Each field of a model with what masking does to it: None (shown as is, or a nested
    model's fields decide), a mask for each value, or WITHHELD (null as a whole: the kind named
    so on the marker, or inferred for a field that holds no model)."""
    plan: list[tuple[str, Mask | str | None]] = []
    for name, info in model.model_fields.items():
        if class_of(model, name) not in PROTECTED:
            plan.append((name, None))
            continue
        kind = mask_kind(model, name)
        marker = _marker(model, name)
        holds_models = any(True for _ in _models_in(info.annotation))
        if kind == WITHHELD and (not holds_models or (marker and marker.mask == WITHHELD)):
            plan.append((name, WITHHELD))
        else:
            plan.append((name, MASKS[kind]))
    return tuple(plan)


def mask_of(model: type[BaseModel], path: str) -> Mask | None:
    """How masking shows the value at a dotted path of a model (`household.hukou.address`), for
    data that travels outside the model (a sheet's columns): None when shown as is or when the
    path ends at a nested model."""
    *heads, last = path.split(".")
    for head in heads:
        model = next(_models_in(model.model_fields[head].annotation))
    if any(True for _ in _models_in(model.model_fields[last].annotation)):
        return None
    action = dict(_plan(model))[last]
    return MASKS["withheld"] if isinstance(action, str) else action


def with_classes(document: dict[str, Any]) -> dict[str, Any]:
    """`x-junheng-class` on every property of every component schema of an OpenAPI document:
    the unmarked get the default, `internal`."""
    for schema in document.get("components", {}).get("schemas", {}).values():
        if isinstance(schema, dict):
            stamp_default(schema)
    return document
