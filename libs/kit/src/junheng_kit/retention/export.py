"""个人信息查阅、复制 (《个人信息保护法》第四十五条): everything one service holds about one
child, as one JSON document — each table's rows with every stored column (decrypted where the
ORM decrypts), by section. A service gathers its rows; this builds the answer."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import inspect

from junheng_kit.classification import Sensitive
from junheng_kit.identifiers import CitizenId

LEGAL_BASIS = (
    "《中华人民共和国个人信息保护法》第四十五条: 个人有权向个人信息处理者查阅、复制其个人信息"
)


class ChildExportAsk(BaseModel):
    """The child whose data is asked for; POST keeps the 公民身份号码 out of URLs and logs."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"citizen_id": "150602201903150018"}]}
    )

    citizen_id: Annotated[CitizenId, Sensitive]


class ChildExport(BaseModel):
    service: str
    student_key: str = Field(description="the child's pseudonymous key (HMAC of the citizen ID)")
    exported_at: datetime
    exported_by: str
    legal_basis: str
    sections: dict[str, list[dict[str, Any]]] = Field(
        description="per table, every row about the child with every stored column"
    )


def as_rows(objects: Iterable[Any]) -> list[dict[str, Any]]:
    """ORM objects as JSON-ready dicts of their mapped columns (a mapping: as it is)."""
    rows = []
    for obj in objects:
        if isinstance(obj, Mapping):
            rows.append(jsonable_encoder(dict(obj)))
            continue
        mapper = inspect(obj).mapper
        rows.append(jsonable_encoder({a.key: getattr(obj, a.key) for a in mapper.column_attrs}))
    return rows


def child_export(
    service: str,
    child_key: str,
    *,
    by: str,
    at: datetime,
    sections: Mapping[str, Sequence[Any]],
) -> ChildExport:
    return ChildExport(
        service=service,
        student_key=child_key,
        exported_at=at,
        exported_by=by,
        legal_basis=LEGAL_BASIS,
        sections={name: as_rows(objs) for name, objs in sections.items()},
    )
