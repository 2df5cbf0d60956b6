from sqlalchemy.orm import DeclarativeBase

from junheng_kit.db import new_metadata


class Base(DeclarativeBase):
    """Evaluation's own tables; alembic sees only these and the kit's."""

    metadata = new_metadata()
