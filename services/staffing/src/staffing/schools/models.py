from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from junheng_kit.school_directory import SchoolEntryColumns
from staffing.db import Base


class School(SchoolEntryColumns, Base):
    """Local copy of enrollment's school registry, kept from its events, with the school's
    城乡分类代码: where the registry has one, its area decides whether the school is rural
    (rural service years, rotation), not the bureau's hand-set flag (`school_rurality`)."""

    urban_rural_code: Mapped[str | None] = mapped_column(String(3), default=None)
