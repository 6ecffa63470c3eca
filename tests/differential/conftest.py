"""Start the three example servers (Rust, FastAPI, Express), each over its own fresh
database of the MongoDB-wire server in MONGODB_URI, for the differential test.

Commands can be given with ``--rust-cmd``, ``--fastapi-cmd`` and ``--express-cmd``; the
defaults are the builds `make test` makes. Each receives PORT, MONGO_URI, MASTER_DB,
JWT_SECRET and BCRYPT_COST, as the contract suite gives them.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pymongo
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from servers import Process, healthy, mongo_uri  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
JWT_SECRET = "differential-suite-secret-0123456789"
PASSWORD = "securepassword123"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--rust-cmd", default=str(ROOT / "target" / "debug" / "tenantry-http"))
    parser.addoption("--fastapi-cmd", default=f"cd '{ROOT / 'examples' / 'fastapi'}' && exec '{sys.executable}' app.py")
    parser.addoption("--express-cmd", default=f"exec node '{ROOT / 'examples' / 'express' / 'server.js'}'")


@dataclass
class Servers:
    processes: dict[str, Process] = field(default_factory=dict)

    @property
    def urls(self) -> dict[str, str]:
        return {name: p.url for name, p in self.processes.items()}

    def assert_alive(self) -> None:
        for process in self.processes.values():
            process.assert_alive()


@pytest.fixture(scope="session")
def servers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    uri = mongo_uri()
    mongo: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)
    found = Servers()
    databases = []
    try:
        for name in ("rust", "fastapi", "express"):
            master_db = f"differential_{name}_{uuid.uuid4().hex[:8]}"
            databases.append(master_db)
            env = dict(MONGO_URI=uri, MASTER_DB=master_db, JWT_SECRET=JWT_SECRET, BCRYPT_COST="4")
            log = tmp_path_factory.mktemp(name) / "server.log"
            found.processes[name] = Process(request.config.getoption(f"--{name}-cmd"), log, env)
        for process in found.processes.values():
            process.wait_ready(healthy)
        yield found
    finally:
        for process in found.processes.values():
            process.stop()
        for db in databases:
            mongo.drop_database(db)
        mongo.close()
