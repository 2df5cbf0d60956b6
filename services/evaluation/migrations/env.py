import evaluation.models  # noqa: F401  (registers every table on Base.metadata)
from evaluation.db import Base
from junheng_kit.migrations import run_migrations

run_migrations(Base.metadata)
