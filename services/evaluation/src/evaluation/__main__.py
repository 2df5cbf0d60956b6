from pathlib import Path

from evaluation.app import create_app
from evaluation.settings import EvaluationSettings
from junheng_kit.cli import service_main

SERVICE_DIR = Path(__file__).resolve().parents[2]


def main() -> None:
    service_main(EvaluationSettings, create_app, SERVICE_DIR)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
