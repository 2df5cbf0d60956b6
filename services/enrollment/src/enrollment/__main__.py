from pathlib import Path

import enrollment.models  # noqa: F401 - every table, for `reencrypt`
from enrollment.app import create_app
from enrollment.db import Base
from enrollment.settings import EnrollmentSettings
from junheng_kit.cli import service_main

SERVICE_DIR = Path(__file__).resolve().parents[2]


def main() -> None:
    service_main(EnrollmentSettings, create_app, SERVICE_DIR, metadata=Base.metadata)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
