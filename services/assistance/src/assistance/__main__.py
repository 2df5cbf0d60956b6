from pathlib import Path

from assistance.agencies.repository import reindex_assertions
from assistance.app import create_app
from assistance.db import Base
from assistance.identification.repository import reencrypt_snapshots
from assistance.settings import AssistanceSettings
from junheng_kit.cli import service_main

SERVICE_DIR = Path(__file__).resolve().parents[2]


def main() -> None:
    service_main(
        AssistanceSettings,
        create_app,  # type: ignore[arg-type]
        SERVICE_DIR,
        metadata=Base.metadata,
        reencrypt_also={
            "roster_snapshot": reencrypt_snapshots,
            "agency_assertion.citizen_id_index": reindex_assertions,
        },
    )


if __name__ == "__main__":
    main()
