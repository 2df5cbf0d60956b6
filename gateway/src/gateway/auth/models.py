from datetime import datetime

from sqlalchemy import JSON, Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.timeutil import utcnow


class Client(Base):
    """An API client (another bureau's system, a mobile-app backend, an integrator)."""

    __tablename__ = "client"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(255))  # argon2id, PHC string
    scopes: Mapped[list[str]] = mapped_column(JSON)  # ["enrollment:read", …]
    jurisdiction: Mapped[list[str]] = mapped_column(JSON)  # GB/T 2260 prefixes: ["150602"]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
