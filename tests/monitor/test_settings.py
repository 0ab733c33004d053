"""The monitor's settings load like every other backend setting ([monitor] table, HALL_MONITOR__...)."""

from __future__ import annotations

import pytest

from backend.monitor.logic import MIRRORED_KINDS
from backend.monitor.settings import MonitorSettings
from backend.settings import BackendSettings
from hallcore import settings as loader
from hallcore.errors import ConfigError


def test_defaults_file_and_environment(tmp_path):
    assert BackendSettings().monitor == MonitorSettings(offline_grace_s=60.0)
    assert MonitorSettings().mirrored_kinds == MIRRORED_KINDS
    config = tmp_path / "backend.toml"
    config.write_text('[monitor]\noffline_grace_s = 120\nmirrored_kinds = ["paper_out"]\n', encoding="utf-8")
    settings = loader.load(BackendSettings, config, environ={"HALL_MONITOR__SETTLE_S": "5"})
    assert settings.monitor == MonitorSettings(offline_grace_s=120.0, settle_s=5.0, mirrored_kinds=("paper_out",))
    with pytest.raises(ConfigError, match="offline_grace"):
        loader.load(BackendSettings, environ={}, overrides={"monitor": {"offline_grace": 1}})
