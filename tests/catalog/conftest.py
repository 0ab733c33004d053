"""Fixtures for the catalog tests: the sample, a database, a fake broker and a publisher."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backend.catalog import service, store
from backend.catalog.fileformat import validate_catalog
from backend.db import init_db, make_engine
from backend.publisher import Publisher
from protocol import Topics
from protocol.fakebus import FakeBroker, FakeBus

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample" / "catalog.yaml"
HALL = "test"


@pytest.fixture(scope="session")
def sample_bytes() -> bytes:
    return SAMPLE.read_bytes()


@pytest.fixture(scope="session")
def sample(sample_bytes):
    catalog, problems = validate_catalog(sample_bytes, "sample/catalog.yaml")
    assert problems == []
    return catalog


@pytest.fixture
def topics() -> Topics:
    return Topics(HALL)


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/hall.db")
    init_db(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def loaded_template(tmp_path_factory, sample) -> Path:
    """A database file with the sample imported once; each test gets a copy."""
    path = tmp_path_factory.mktemp("catalog-db") / "hall.db"
    engine = make_engine(f"sqlite:///{path}")
    init_db(engine)
    service.run(engine, None, lambda conn: service.apply_import(conn, sample, Topics(HALL)))
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


@pytest.fixture
def loaded(loaded_template, tmp_path):
    """A database holding the sample catalog (version 1)."""
    path = tmp_path / "loaded.db"
    shutil.copyfile(loaded_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def fake_broker() -> FakeBroker:
    return FakeBroker()


@pytest.fixture
def publisher(fake_broker, loaded):
    bus = FakeBus(fake_broker, HALL, client_id="backend").start()
    pub = Publisher(bus, loaded)
    sync = service.CatalogSync(loaded, pub, Topics(HALL))
    pub.add_provider(sync.provider)
    yield pub
    bus.stop()


def dump(engine) -> dict:
    with engine.connect() as conn:
        return store.dump(conn)
