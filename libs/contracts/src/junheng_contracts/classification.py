"""The class of every field in the contracts (issue 20 item 2): one declaration on the field,
read by the OpenAPI (`x-junheng-class`), the event schemas, masking, the audit and log scrubbing.

- `public`: published facts — school names and codes, statistics, policy values;
- `internal`: ids, states, timestamps, everything operational (the default of an unmarked field);
- `personal`: a person's identifying data (个人信息保护法 Art. 4: information relating to an
  identified or identifiable natural person) — an adult's name, citizen ID, phone, address,
  guardian data, and pseudonymous keys (去标识化 data stays personal data, Art. 4, Art. 73);
- `sensitive`: 敏感个人信息 (个人信息保护法 Art. 28) — "不满十四周岁未成年人的个人信息" makes a
  CHILD's identifying fields sensitive, as are 特定身份 and 医疗健康 data: disability, hardship
  and low-income status (特困/低保), health, religion, a child's home address and coordinates.

A field is marked with `Annotated`: `name: Annotated[str, Sensitive]`. A marker may name how the
value is masked for a reader without the PII scope (`Sensitive("citizen_id")`); unnamed, the kind
follows from the field's name (junheng_kit.classification.mask_kind). This module needs only
pydantic, so the event contracts carry it too; services import it from
`junheng_kit.classification`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

DataClass = Literal["public", "internal", "personal", "sensitive"]
CLASSES: tuple[DataClass, ...] = ("public", "internal", "personal", "sensitive")
EXTENSION = "x-junheng-class"
DEFAULT: DataClass = "internal"
# how a personal value is shown to a reader without the PII scope
MaskKind = Literal[
    "name", "citizen_id", "student_number", "phone", "address", "coordinate", "withheld", "shown"
]


@dataclass(frozen=True, slots=True)
class Classified:
    """A field's class (and, for personal data, how it is masked); pydantic keeps it in the
    field's metadata and writes it into the JSON schema as `x-junheng-class`."""

    cls: DataClass
    mask: MaskKind | None = None

    def __call__(self, mask: MaskKind) -> Classified:
        """The same class with the masking kind named: `Sensitive("citizen_id")`."""
        return Classified(self.cls, mask)

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = dict(handler(core_schema))
        schema[EXTENSION] = self.cls
        return schema


Public = Classified("public")
Internal = Classified("internal")
Personal = Classified("personal")
Sensitive = Classified("sensitive")


def stamp_default(schema: dict[str, Any], *_: Any) -> None:
    """Every property of an object schema without a class gets the default (`internal`): used as
    a model's `json_schema_extra` (the event payloads) and by the OpenAPI post-processing."""
    for sub in schema.get("properties", {}).values():
        if isinstance(sub, dict):
            sub.setdefault(EXTENSION, DEFAULT)
