"""Start one notes service (``--server-cmd``) over a fresh database of the MongoDB-wire
server in MONGODB_URI. The command gets PORT, MONGO_URI, MASTER_DB, JWT_SECRET and
BCRYPT_COST."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pymongo
import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--server-cmd", required=True, help="shell command serving notes on 127.0.0.1:$PORT")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def mongo() -> Iterator[pymongo.MongoClient[dict[str, Any]]]:
    uri = os.environ.get("MONGODB_URI") or os.environ.get("MONGO_URI")
    if not uri:
        pytest.fail("MONGODB_URI must point at a MongoDB-wire server (`make test` starts one)")
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)
    yield client
    client.close()


@pytest.fixture(scope="session")
def service(request: pytest.FixtureRequest, mongo: pymongo.MongoClient[dict[str, Any]],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    port = free_port()
    master_db = f"notes_{uuid.uuid4().hex[:10]}"
    uri = os.environ.get("MONGODB_URI") or os.environ.get("MONGO_URI")
    env = dict(os.environ, PORT=str(port), HOST="127.0.0.1", MONGO_URI=str(uri), MASTER_DB=master_db,
               JWT_SECRET="notes-service-secret-0123456789", BCRYPT_COST="4")
    log = tmp_path_factory.mktemp("notes") / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(request.config.getoption("--server-cmd"), shell=True, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, f"the service died:\n{log.read_text()[-4000:]}"
        try:
            httpx.get(f"{url}/notes", timeout=1)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                pytest.fail(f"not ready in 60 s:\n{log.read_text()[-4000:]}")
            time.sleep(0.1)
    try:
        yield url, mongo[master_db]
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
        mongo.drop_database(master_db)
