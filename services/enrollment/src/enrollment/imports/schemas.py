from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

ExportFormat = Literal["xlsx", "csv"]
SheetKind = Literal["schools", "zone-school-lists", "applications"]


class SheetImportRead(BaseModel):
    id: UUID
    kind: str = Field(description="schools | zone_school_lists | applications")
    county_code: str | None
    content_sha256: str = Field(description="SHA-256 of the uploaded file")
    media_type: str
    rows: int
    created: int = Field(description="records registered / submitted")
    updated: int = Field(description="records (or zones) changed")
    unchanged: int = Field(description="rows equal to what was stored: nothing written")
    detail: dict[str, Any]
    imported_by: str
    imported_at: datetime
    replayed: bool = Field(
        False, description="the same file was imported before: this is that import, nothing new"
    )
