from __future__ import annotations

import pytest

from backend.announce.service import service_for
from backend.monitor.service import monitor_for
from tests.announce.support import Clock, make_hall


def stop_hall(hall) -> None:
    for part in (service_for(hall.backend.publisher), monitor_for(hall.backend.publisher)):
        if part is not None:
            part.ticker.stop()
    hall.backend.stop()


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
