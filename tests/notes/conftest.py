"""Start one notes service (``--server-cmd``) over a fresh database of the MongoDB-wire
server in MONGODB_URI. The command gets PORT, MONGO_URI, MASTER_DB, JWT_SECRET and
BCRYPT_COST."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from servers import Process, answers, mongo_uri  # noqa: E402


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--server-cmd", required=True, help="shell command serving notes on 127.0.0.1:$PORT")


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[tuple[str, Any]]:
    uri = mongo_uri()
    mongo: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)
    master_db = f"notes_{uuid.uuid4().hex[:10]}"
    env = dict(MONGO_URI=uri, MASTER_DB=master_db, JWT_SECRET="notes-service-secret-0123456789", BCRYPT_COST="4")
    process = Process(request.config.getoption("--server-cmd"), tmp_path_factory.mktemp("notes") / "server.log", env)
    try:
        process.wait_ready(answers, path="/notes")
        yield process.url, mongo[master_db]
    finally:
        process.stop()
        mongo.drop_database(master_db)
        mongo.close()
