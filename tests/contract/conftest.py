"""Start one server of the HTTP contract for the whole session and hand tests a client.

The server is any command that serves the contract on 127.0.0.1:$PORT (``--server-cmd``;
default: the Rust example's debug binary). It receives PORT, MONGO_URI, MASTER_DB,
JWT_SECRET and BCRYPT_COST. A MongoDB-wire server must be given in MONGODB_URI (or
MONGO_URI): without one the suite fails, it never skips.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pymongo
import pytest

ROOT = Path(__file__).resolve().parents[2]
JWT_SECRET = "contract-suite-secret-0123456789"
PASSWORD = "securepassword123"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--server-cmd",
        default=str(ROOT / "target" / "debug" / "tenantry-http"),
        help="shell command serving the contract on 127.0.0.1:$PORT",
    )


def mongo_uri() -> str:
    uri = os.environ.get("MONGODB_URI") or os.environ.get("MONGO_URI")
    if not uri:
        pytest.fail("MONGODB_URI must point at a MongoDB-wire server (`make test` starts one)")
    return uri


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, base_url: str, master_db: str, process: subprocess.Popen[bytes], log: Path):
        self.base_url = base_url
        self.master_db = master_db
        self.process = process
        self.log = log

    def assert_alive(self) -> None:
        assert self.process.poll() is None, f"server died; log:\n{self.log.read_text()[-4000:]}"


@pytest.fixture(scope="session")
def mongo() -> Iterator[pymongo.MongoClient[dict[str, Any]]]:
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        mongo_uri(), serverSelectionTimeoutMS=5000
    )
    try:
        client.admin.command("ping")
    except Exception as e:  # noqa: BLE001 - any failure here means no server
        pytest.fail(f"MongoDB server at {mongo_uri()} does not answer: {e}")
    yield client
    client.close()


@pytest.fixture(scope="session")
def server(
    request: pytest.FixtureRequest,
    mongo: pymongo.MongoClient[dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    port = free_port()
    master_db = f"contract_{uuid.uuid4().hex[:12]}"
    env = dict(os.environ)
    env.update(
        PORT=str(port),
        HOST="127.0.0.1",
        MONGO_URI=mongo_uri(),
        MASTER_DB=master_db,
        JWT_SECRET=JWT_SECRET,
        BCRYPT_COST="4",
    )
    log = tmp_path_factory.mktemp("server") / "server.log"
    cmd = request.config.getoption("--server-cmd")
    with open(log, "wb") as out:
        process = subprocess.Popen(
            cmd, shell=True, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}"
    srv = Server(base_url, master_db, process, log)
    deadline = time.monotonic() + 60
    while True:
        srv.assert_alive()
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"server `{cmd}` not ready in 60 s; log:\n{log.read_text()[-4000:]}")
        time.sleep(0.1)
    yield srv
    os.killpg(process.pid, 15)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
    mongo.drop_database(master_db)


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        yield c
    server.assert_alive()


@pytest.fixture
def db(mongo: pymongo.MongoClient[dict[str, Any]], server: Server) -> Any:
    return mongo[server.master_db]


def unique(prefix: str = "Org") -> str:
    """A fresh organization name (tests share one database)."""
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def email_for(name: str) -> str:
    return f"admin-{uuid.uuid4().hex[:10]}@{name.split()[-1].lower()}.example.com"
