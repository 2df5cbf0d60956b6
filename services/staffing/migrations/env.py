import staffing.models  # noqa: F401  (registers every table on Base.metadata)
from junheng_kit.migrations import run_migrations
from staffing.db import Base

run_migrations(Base.metadata)
