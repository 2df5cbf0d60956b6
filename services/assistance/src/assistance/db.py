from junheng_kit.db import new_metadata
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Assistance's own tables; alembic sees only these and the kit's."""

    metadata = new_metadata()
