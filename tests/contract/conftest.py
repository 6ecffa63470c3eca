"""Start one server of the HTTP contract for the whole session and hand tests a client.

The server is any command that serves the contract on 127.0.0.1:$PORT (``--server-cmd``;
default: the Rust example's debug binary). It receives PORT, MONGO_URI, MASTER_DB,
JWT_SECRET and BCRYPT_COST. A MongoDB-wire server must be given in MONGODB_URI (or
MONGO_URI): without one the suite fails, it never skips.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pymongo
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from servers import Process, free_port, healthy, mongo_uri  # noqa: E402

__all__ = ["free_port", "mongo_uri"]

ROOT = Path(__file__).resolve().parents[2]
JWT_SECRET = "contract-suite-secret-0123456789"
OPERATOR_TOKEN = "contract-operator-token-0123456789"
PASSWORD = "securepassword123"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--server-cmd",
        default=str(ROOT / "target" / "debug" / "tenantry-http"),
        help="shell command serving the contract on 127.0.0.1:$PORT",
    )


class Server:
    """The server of the session: its URL, its database, its process."""

    def __init__(self, process: Process, master_db: str):
        self.base_url = process.url
        self.master_db = master_db
        self.process = process

    def assert_alive(self) -> None:
        self.process.assert_alive()


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


def start_server(
    request: pytest.FixtureRequest,
    mongo: pymongo.MongoClient[dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
    **extra_env: str,
) -> Iterator[Server]:
    """A server of the command under test, on a database of its own, with `extra_env`."""
    master_db = f"contract_{uuid.uuid4().hex[:12]}"
    env = dict(
        MONGO_URI=mongo_uri(),
        MASTER_DB=master_db,
        JWT_SECRET=JWT_SECRET,
        BCRYPT_COST="4",
        OPERATOR_TOKEN=OPERATOR_TOKEN,
        **extra_env,
    )
    log = tmp_path_factory.mktemp("server") / "server.log"
    process = Process(request.config.getoption("--server-cmd"), log, env)
    process.wait_ready(healthy)
    yield Server(process, master_db)
    process.stop()
    # The databases its tenants had in the `database` layout (now, or before a move) go
    # with it.
    for org in mongo[master_db].organizations.find({}, {"_id": 1}):
        mongo.drop_database(f"tenant_{org['_id']}")
    mongo.drop_database(master_db)


@pytest.fixture(scope="session")
def server(
    request: pytest.FixtureRequest,
    mongo: pymongo.MongoClient[dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    yield from start_server(request, mongo, tmp_path_factory)


@pytest.fixture(scope="session")
def retaining_server(
    request: pytest.FixtureRequest,
    mongo: pymongo.MongoClient[dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    """The same server with deletes kept for an hour (DELETED_RETENTION_SECONDS)."""
    yield from start_server(request, mongo, tmp_path_factory, DELETED_RETENTION_SECONDS="3600")


#: The schema of the migrating server (TENANT_SCHEMA_FILE): an index every organization's
#: data has, and three declarative migrations.
SCHEMA = {
    "indexes": [{"collection": "data", "keys": {"sku": 1}, "options": {"unique": True}}],
    "migrations": [
        {"id": "001-rename", "rename_field": {"collection": "data", "from": "mail", "to": "email"}},
        {"id": "002-plan", "set_default": {"collection": "data", "field": "plan", "value": "free"}},
        {"id": "003-status", "update": {"collection": "data", "filter": {"status": "ACTIVE"},
                                        "update": {"$set": {"status": "active"}}}},
    ],
}


@pytest.fixture(scope="session")
def migrating_server(
    request: pytest.FixtureRequest,
    mongo: pymongo.MongoClient[dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    """The same server with a declared schema (TENANT_SCHEMA_FILE)."""
    path = tmp_path_factory.mktemp("schema") / "schema.json"
    path.write_text(json.dumps(SCHEMA))
    yield from start_server(request, mongo, tmp_path_factory, TENANT_SCHEMA_FILE=str(path))


@pytest.fixture
def migrating(migrating_server: Server) -> Iterator[httpx.Client]:
    """A client of the server with a declared schema."""
    with httpx.Client(base_url=migrating_server.base_url, timeout=60) as c:
        yield c
    migrating_server.assert_alive()


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        yield c
    server.assert_alive()


@pytest.fixture
def db(mongo: pymongo.MongoClient[dict[str, Any]], server: Server) -> Any:
    return mongo[server.master_db]


@pytest.fixture
def retaining(retaining_server: Server) -> Iterator[httpx.Client]:
    """A client of the server that keeps deleted organizations."""
    with httpx.Client(base_url=retaining_server.base_url, timeout=30) as c:
        yield c
    retaining_server.assert_alive()


def unique(prefix: str = "Org") -> str:
    """A fresh organization name (tests share one database)."""
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def email_for(name: str) -> str:
    return f"admin-{uuid.uuid4().hex[:10]}@{name.split()[-1].lower()}.example.com"
