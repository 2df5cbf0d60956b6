from pathlib import Path

from assistance.app import create_app
from assistance.settings import AssistanceSettings
from junheng_kit.cli import service_main

SERVICE_DIR = Path(__file__).resolve().parents[2]


def main() -> None:
    service_main(AssistanceSettings, create_app, SERVICE_DIR)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
