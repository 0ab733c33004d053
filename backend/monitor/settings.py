"""Settings of the device monitor: ``[monitor]`` in the backend's TOML, ``HALL_MONITOR__...`` variables."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MonitorSettings:
    offline_grace_s: float = 60.0   # a device offline this long raises device_offline (a restart does not)
    settle_s: float = 15.0          # after connecting, time for retained device state to arrive before
    #                                 alerts remembered from the last run are cleared as stale
    mirrored_kinds: tuple[str, ...] = ("paper_out", "paper_near_end", "bar_not_answering", "printer_offline")
