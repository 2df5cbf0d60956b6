from pathlib import Path

from junheng_kit.cli import service_main
from staffing.app import create_app
from staffing.db import Base
from staffing.settings import StaffingSettings

SERVICE_DIR = Path(__file__).resolve().parents[2]


def main() -> None:
    service_main(
        StaffingSettings,
        create_app,  # type: ignore[arg-type]
        SERVICE_DIR,
        metadata=Base.metadata,
    )


if __name__ == "__main__":
    main()
