"""Fixtures of the binding's tests: a real MongoDB-wire server, one fresh master database
per test (dropped afterwards), and a manager on it with cheap bcrypt.

The server comes from MONGODB_URI (or MONGO_URI). Without one the run stops with an error:
these tests never skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pymongo
import pytest
from pymongo.database import Database

from tenantry import TenantManager, Tenant

JWT_SECRET = "binding-test-secret-0123456789"
PASSWORD = "correct horse battery"
#: bcrypt cost for everything but the responsiveness test: the minimum, for speed.
FAST_COST = 4

Doc = dict[str, Any]


def mongo_uri() -> str:
    uri = os.environ.get("MONGODB_URI") or os.environ.get("MONGO_URI")
    if not uri:
        raise pytest.UsageError(
            "MONGODB_URI must point at a MongoDB-wire server "
            "(scripts/mongo.sh start DIR prints the URI of a fresh one)"
        )
    return uri


def pytest_configure(config: pytest.Config) -> None:
    mongo_uri()


def unique(prefix: str = "Org") -> str:
    """A fresh organization name."""
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def email_for(name: str) -> str:
    return f"admin-{uuid.uuid4().hex[:10]}@{name.split()[-1].lower()}.example"


@dataclass
class Created:
    """A tenant made by a test, with its admin's credentials."""

    tenant: Tenant
    email: str
    password: str


async def create(manager: TenantManager, name: str | None = None) -> Created:
    name = name or unique()
    email = email_for(name)
    tenant = await manager.create_tenant(name, email, PASSWORD)
    return Created(tenant, email, PASSWORD)


@pytest.fixture(scope="session")
def mongo() -> Iterator[pymongo.MongoClient[Doc]]:
    client: pymongo.MongoClient[Doc] = pymongo.MongoClient(mongo_uri(), serverSelectionTimeoutMS=5000)
    client.admin.command("ping")
    yield client
    client.close()


@pytest.fixture
def master_db(mongo: pymongo.MongoClient[Doc]) -> Iterator[str]:
    name = f"tpy_{uuid.uuid4().hex[:12]}"
    yield name
    mongo.drop_database(name)


@pytest.fixture
def db(mongo: pymongo.MongoClient[Doc], master_db: str) -> Database[Doc]:
    return mongo[master_db]


async def connect(master_db: str, **settings: Any) -> TenantManager:
    settings.setdefault("bcrypt_cost", FAST_COST)
    return await TenantManager.connect(
        mongo_uri=mongo_uri(), jwt_secret=JWT_SECRET, master_db=master_db, **settings
    )


@pytest.fixture
async def manager(master_db: str) -> AsyncIterator[TenantManager]:
    yield await connect(master_db)
