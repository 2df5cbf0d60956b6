import assistance.models  # noqa: F401  (registers every table on Base.metadata)
from assistance.db import Base
from junheng_kit.migrations import run_migrations

run_migrations(Base.metadata)
