from datetime import datetime

from sqlalchemy import JSON, Boolean, PrimaryKeyConstraint, String, false
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base
from junheng_kit.db import UtcDateTime
from junheng_kit.i18n import t
from junheng_kit.integrity import on_violation
from junheng_kit.problems import FieldError
from junheng_kit.timeutil import utcnow

CLIENT_ID_UNIQUE = FieldError(
    "client_id",
    "client_id_unique",
    t("一个客户端 ID 只对应一个客户端", "a client id names one client"),
)


class Client(Base):
    """An API client (another bureau's system, a mobile-app backend, an integrator)."""

    __tablename__ = "client"
    __table_args__ = (
        # registered by a concurrent registration after this one's check: the check's answer
        PrimaryKeyConstraint(
            "client_id",
            info=on_violation(CLIENT_ID_UNIQUE, detail=t("客户端已存在", "the client exists")),
        ),
    )

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(255))  # argon2id, PHC string
    scopes: Mapped[list[str]] = mapped_column(JSON)  # ["enrollment:read", …]
    jurisdiction: Mapped[list[str]] = mapped_column(JSON)  # GB/T 2260 prefixes: ["150602"]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # why the client reads personal data, unless a call says otherwise (X-Purpose): put in its
    # tokens as the `purpose` claim and recorded in the audit trails (junheng_kit.audit)
    purpose: Mapped[str | None] = mapped_column(String(200))
    # its tokens say `purpose_required: true`: every audited call must declare X-Purpose (403
    # without it, junheng_kit.audit.http), the registered purpose notwithstanding
    purpose_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # after `rotate-secret --grace-seconds N`: the replaced secret's hash, accepted beside the
    # new one until `previous_secret_until` (an integrator rolls without downtime)
    previous_secret_hash: Mapped[str | None] = mapped_column(String(255))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
