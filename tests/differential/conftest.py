"""Start the three example servers (Rust, FastAPI, Express), each over its own fresh
database of the MongoDB-wire server in MONGODB_URI, for the differential test.

Commands can be given with ``--rust-cmd``, ``--fastapi-cmd`` and ``--express-cmd``; the
defaults are the builds `make test` makes. Each receives PORT, MONGO_URI, MASTER_DB,
JWT_SECRET and BCRYPT_COST, as the contract suite gives them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pymongo
import pytest

ROOT = Path(__file__).resolve().parents[2]
JWT_SECRET = "differential-suite-secret-0123456789"
PASSWORD = "securepassword123"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--rust-cmd", default=str(ROOT / "target" / "debug" / "tenantry-http"))
    parser.addoption("--fastapi-cmd", default=f"cd '{ROOT / 'examples' / 'fastapi'}' && exec '{sys.executable}' app.py")
    parser.addoption("--express-cmd", default=f"exec node '{ROOT / 'examples' / 'express' / 'server.js'}'")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Servers:
    urls: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    def assert_alive(self) -> None:
        for name, process in self.processes.items():
            assert process.poll() is None, f"{name} died; log:\n{self.logs[name].read_text()[-4000:]}"


@pytest.fixture(scope="session")
def servers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    uri = os.environ.get("MONGODB_URI") or os.environ.get("MONGO_URI")
    if not uri:
        pytest.fail("MONGODB_URI must point at a MongoDB-wire server (`make test` starts one)")
    mongo: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)
    found = Servers()
    databases = []
    try:
        for name in ("rust", "fastapi", "express"):
            port = free_port()
            master_db = f"differential_{name}_{uuid.uuid4().hex[:8]}"
            databases.append(master_db)
            env = dict(os.environ, PORT=str(port), HOST="127.0.0.1", MONGO_URI=uri, MASTER_DB=master_db,
                       JWT_SECRET=JWT_SECRET, BCRYPT_COST="4")
            log = tmp_path_factory.mktemp(name) / "server.log"
            with open(log, "wb") as out:
                found.processes[name] = subprocess.Popen(
                    request.config.getoption(f"--{name}-cmd"), shell=True, env=env, stdout=out,
                    stderr=subprocess.STDOUT, start_new_session=True,
                )
            found.logs[name] = log
            found.urls[name] = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        for name, url in found.urls.items():
            while True:
                found.assert_alive()
                try:
                    if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"{name} not ready in 60 s; log:\n{found.logs[name].read_text()[-4000:]}")
                time.sleep(0.1)
        yield found
    finally:
        for process in found.processes.values():
            try:
                os.killpg(process.pid, 15)
                process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, 9)
        for db in databases:
            mongo.drop_database(db)
        mongo.close()
