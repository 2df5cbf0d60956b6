from junheng_kit.school_directory import SchoolEntryColumns
from staffing.db import Base


class School(SchoolEntryColumns, Base):
    """Local copy of enrollment's school registry, kept from its events."""
