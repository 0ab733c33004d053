from __future__ import annotations

import pytest

from backend.monitor.service import monitor_for
from tests.announce.support import Clock, make_hall


def stop_hall(hall) -> None:
    hall.backend.stop()  # its on_stop hooks stop the timer threads


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hall(tmp_path, clock):
    hall = make_hall(tmp_path, clock)
    yield hall
    stop_hall(hall)


@pytest.fixture
def monitor(hall):
    return monitor_for(hall.backend.publisher)
