from assistance.db import Base
from junheng_kit.school_directory import SchoolEntryColumns


class School(SchoolEntryColumns, Base):
    """Local copy of enrollment's school registry, kept from its events."""
