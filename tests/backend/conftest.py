from __future__ import annotations

import pytest

from backend.settings import BackendSettings


@pytest.fixture
def settings(tmp_path) -> BackendSettings:
    return BackendSettings(hall="test", data_dir=str(tmp_path))
