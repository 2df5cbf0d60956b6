from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from evaluation.assessment.schemas import SchoolSectionIn


class ResourcesPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schools: list[SchoolSectionIn] = Field(min_length=1, max_length=20_000)


class ResourceSetRead(BaseModel):
    """A county's resource data for one school year, and where it came from."""

    county_code: str
    year: int
    source: Literal["api", "csv", "xlsx"]
    sections: int
    content_sha256: str
    imported_by: str
    imported_at: datetime
    schools: list[SchoolSectionIn] | None = Field(
        None, description="the sections (GET only; omitted in import answers)"
    )
