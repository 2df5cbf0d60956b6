from pathlib import Path

import pytest

from junheng_kit.system import service_dir as installed_service_dir


@pytest.fixture(scope="session")
def service_dir() -> Path:
    """Kit tests borrow enrollment's migrated schema: every service has the kit's tables."""
    return installed_service_dir("enrollment")
