"""The server under a dying database, behind a proxy, and after a crash of its predecessor.

Each test here starts its own MongoDB-wire server (``secantusd-rs``, which must be on PATH:
``make test`` installs it) and its own instance of the server under test (``--server-cmd``)
over it, so that it can kill the database, or leave work half done before the start.
"""

from __future__ import annotations

import datetime
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pymongo
import pytest
from bson import ObjectId

from conftest import JWT_SECRET, PASSWORD, free_port
from servers import Process, healthy


class Database:
    """A secantusd-rs process on a fixed port and data directory, killable and restartable."""

    def __init__(self) -> None:
        if shutil.which("secantusd-rs") is None:
            pytest.fail("these tests start their own secantusd-rs, which must be on PATH (make test installs it)")
        self.dir = Path(tempfile.mkdtemp(prefix="tenantry-faults-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["secantusd-rs", "--host", "127.0.0.1", "--port", str(self.port), "--storage-path", str(self.dir / "data"),
             "--log-file-max", "16MB", "--cache-size", "256M", "--log-level", "WARNING"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("secantusd-rs did not start")
                time.sleep(0.05)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class Served(Process):
    """The server under test, over `db`, with extra environment."""

    def __init__(self, cmd: str, db: Database, master_db: str, log: Path, **extra: str) -> None:
        env = dict(MONGO_URI=db.uri, MASTER_DB=master_db, JWT_SECRET=JWT_SECRET, BCRYPT_COST="4",
                   DATABASE_TIMEOUT_SECONDS="2", **extra)
        super().__init__(cmd, log, env)
        self.client = httpx.Client(base_url=self.url, timeout=30)
        self.wait_ready(healthy)

    def close(self) -> None:
        self.client.close()
        self.stop()


@pytest.fixture
def db() -> Iterator[Database]:
    database = Database()
    yield database
    database.close()


@pytest.fixture
def serve(request: pytest.FixtureRequest, db: Database, tmp_path: Path) -> Iterator[Any]:
    started: list[Served] = []

    def start(**extra: str) -> Served:
        served = Served(request.config.getoption("--server-cmd"), db, "faults", tmp_path / f"server{len(started)}.log", **extra)
        started.append(served)
        return served

    yield start
    for served in started:
        served.close()


def create(client: httpx.Client, name: str, email: str) -> None:
    r = client.post("/org/create", json={"organization_name": name, "email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text


def test_an_unreachable_database_gets_fast_503s_and_the_server_comes_back(db: Database, serve: Any) -> None:
    served = serve()
    create(served.client, "Before The Fall", "fall@faults.io")
    # The test server loses the last ~0.2 s of acknowledged writes when killed, whatever
    # the write concern (MongoDB keeps them): let the create reach its disk first.
    time.sleep(0.6)
    db.kill()
    for path, params in [("/health", {}), ("/org/get", {"organization_name": "Before The Fall"})]:
        started = time.monotonic()
        r = served.client.get(path, params=params)
        took = time.monotonic() - started
        assert r.status_code == 503, (path, r.text)
        assert r.json()["code"] == "DATABASE"
        assert took < 5, f"{path} took {took:.1f} s with the database down"
        assert "127.0.0.1" not in r.text and "Topology" not in r.text
    db.start()
    deadline = time.monotonic() + 20
    while served.client.get("/health").status_code != 200:
        assert time.monotonic() < deadline, "the server did not come back without a restart"
        time.sleep(0.2)
    assert served.client.get("/org/get", params={"organization_name": "Before The Fall"}).status_code == 200
    create(served.client, "After The Fall", "after@faults.io")


def test_behind_a_trusted_proxy_one_client_cannot_lock_the_owner_out(serve: Any) -> None:
    served = serve(TRUSTED_PROXIES="127.0.0.1")
    create(served.client, "Proxied", "owner@faults.io")
    attacker = {"x-forwarded-for": "203.0.113.9"}
    for _ in range(10):
        r = served.client.post("/admin/login", json={"email": "owner@faults.io", "password": "guess"}, headers=attacker)
        assert r.status_code == 401
    r = served.client.post("/admin/login", json={"email": "owner@faults.io", "password": PASSWORD}, headers=attacker)
    assert r.status_code == 429, r.text
    owner = {"x-forwarded-for": "198.51.100.7"}
    r = served.client.post("/admin/login", json={"email": "owner@faults.io", "password": PASSWORD}, headers=owner)
    assert r.status_code == 200, r.text


def test_work_left_half_done_is_recovered_at_start(db: Database, serve: Any) -> None:
    mongo: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(db.uri)
    records = mongo["faults"]["organizations"]
    stale = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    abandoned = ObjectId()
    records.insert_one({
        "_id": abandoned,
        "organization_name": "Half Made",
        "collection_name": "org_half_made",
        "admin_email": "half@faults.io",
        "admin_id": ObjectId(),
        "created_at": stale,
        "updated_at": stale,
        "name_key": "half_made",
        "state": "creating",
        "op": {
            "id": ObjectId(), "owner": ObjectId(), "renewed_at": stale, "lease_ms": 30_000, "step": 0,
            "detail": {"kind": "create", "hashed_password": "x"},
        },
    })
    served = serve()
    assert records.find_one({"_id": abandoned}) is None, "the abandoned create was not undone at start"
    create(served.client, "Half Made", "half@faults.io")
    mongo.close()


def test_a_spoofed_forwarded_for_header_changes_nothing_without_a_trusted_proxy(serve: Any) -> None:
    served = serve()
    create(served.client, "Spoofed", "spoof@faults.io")
    for i in range(10):
        spoof = {"x-forwarded-for": f"203.0.113.{i}"}
        r = served.client.post("/admin/login", json={"email": "spoof@faults.io", "password": "guess"}, headers=spoof)
        assert r.status_code == 401
    r = served.client.post("/admin/login", json={"email": "spoof@faults.io", "password": PASSWORD},
                           headers={"x-forwarded-for": f"198.51.100.{uuid.uuid4().int % 250}"})
    assert r.status_code == 429, "a client dodged the throttle with a forged X-Forwarded-For header"
