from pathlib import Path

from enrollment.app import create_app
from enrollment.settings import EnrollmentSettings
from junheng_kit.cli import service_main

SERVICE_DIR = Path(__file__).resolve().parents[2]


def main() -> None:
    service_main(EnrollmentSettings, create_app, SERVICE_DIR)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
