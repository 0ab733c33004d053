from __future__ import annotations

import pytest

from backend.announce.service import service_for

from .support import Clock, make_hall


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hall(tmp_path, clock):
    hall = make_hall(tmp_path, clock)
    yield hall
    hall.backend.stop()  # its on_stop hooks stop the timer threads


@pytest.fixture
def service(hall):
    return service_for(hall.backend.publisher)
