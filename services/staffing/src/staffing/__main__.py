from pathlib import Path
from typing import cast

from sqlalchemy import Table

from junheng_kit.cli import service_main
from staffing.app import create_app
from staffing.settings import StaffingSettings
from staffing.teachers.models import ENCRYPTED_COLUMNS, Teacher

SERVICE_DIR = Path(__file__).resolve().parents[2]


def main() -> None:
    service_main(
        StaffingSettings,
        create_app,  # type: ignore[arg-type]
        SERVICE_DIR,
        encrypted=[(cast(Table, Teacher.__table__), ENCRYPTED_COLUMNS)],
    )


if __name__ == "__main__":
    main()
