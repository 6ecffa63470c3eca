"""The binding as Python users expect it: settings as keyword arguments checked by the core
(the stub's list is the core's), ``async with`` and ``aclose()`` that really close, results
that are plain data, and mirrors that match the core field for field."""

from __future__ import annotations

import ast
import asyncio
import pickle
from pathlib import Path
from typing import Any

import pymongo
import pytest
from pymongo.database import Database

import tenantry
from tenantry import (
    AccessToken,
    Claims,
    ConfigError,
    ManagerClosed,
    RecoveryFailure,
    RecoveryReport,
    Tenant,
    TenantManager,
)
from tenantry.settings import Settings
from tenantry._native import _core_fields, _settings_fields

from conftest import JWT_SECRET, PASSWORD, Doc, connect, create, mongo_uri

STUB = Path(tenantry.__file__).with_name("_native.pyi")


def stub_settings_parameter(method: str) -> str:
    """The annotation of ``**settings`` of ``TenantManager.<method>`` in the stub."""
    tree = ast.parse(STUB.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "TenantManager":
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == method:
                    assert not item.args.kwonlyargs and item.args.kwarg is not None
                    return ast.unparse(item.args.kwarg.annotation) if item.args.kwarg.annotation else ""
    raise AssertionError(f"no TenantManager.{method} in the stub")


def test_the_settings_type_lists_exactly_the_core_settings() -> None:
    fields = [name for name, _env in _settings_fields()]
    assert list(Settings.__annotations__) == fields
    assert Settings.__optional_keys__ == frozenset(fields)
    # Both ways in take exactly those keywords.
    assert stub_settings_parameter("connect") == "Unpack[Settings]"
    assert stub_settings_parameter("from_env") == "Unpack[Settings]"
    envs = dict(_settings_fields())
    assert envs["mongo_uri"] == "MONGO_URI" and envs["jwt_algorithm"] == "JWT_ALGO"


@pytest.mark.parametrize(
    "bad",
    [
        {"no_such_setting": 1},
        {"bcrypt_cost": -1},
        {"bcrypt_cost": 2**70},
        {"bcrypt_cost": 3},
        {"jwt_expire_minutes": "soon"},
        {"jwt_expire_minutes": 1.5},
        {"operation_lease_seconds": 1},
        {"write_concern": "sometimes"},
        {"trusted_proxies": ["not-an-address"]},
        {"jwt_issuer": 42},
        {"database_timeout_seconds": object()},
    ],
)
async def test_bad_settings_are_config_errors(master_db: str, bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as caught:
        await connect(master_db, **bad)
    assert caught.value.code == "CONFIG"
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) and JWT_SECRET not in str(caught.value)
    assert next(iter(bad)) in str(caught.value), "the message names the setting"


async def test_settings_are_the_resolved_ones(master_db: str) -> None:
    manager = await connect(master_db, trusted_proxies="10.0.0.0/8, 192.0.2.1", write_concern="journaled")
    settings = manager.settings
    assert settings["trusted_proxies"] == ["10.0.0.0/8", "192.0.2.1"]
    assert settings["write_concern"] == "journaled"
    assert settings["database_timeout_seconds"] == 5
    assert set(settings) <= {name for name, _ in _settings_fields()}
    await manager.aclose()


def server_connections() -> int:
    client: pymongo.MongoClient[Doc] = pymongo.MongoClient(mongo_uri())
    try:
        return int(client.admin.command("serverStatus")["connections"]["current"])
    finally:
        client.close()


async def test_async_with_closes_and_releases_the_connections(master_db: str) -> None:
    before = server_connections()
    managers = [await connect(master_db) for _ in range(4)]
    for manager in managers:
        made = await create(manager)
        await asyncio.gather(*(manager.get_tenant(made.tenant.name) for _ in range(20)))
    during = server_connections()
    for manager in managers:
        async with manager:
            pass
        assert manager.closed
    # Every pool closed: the server is back to where it was, give or take the test's own
    # pymongo clients opening their monitoring connections meanwhile (a pool left open
    # would leave about seven per manager).
    for _ in range(50):
        if server_connections() <= before + 4:
            break
        await asyncio.sleep(0.1)
    after = server_connections()
    assert after <= before + 4 < during - 20, (before, during, after)
    with pytest.raises(ManagerClosed) as caught:
        await managers[0].get_tenant("anything")
    assert isinstance(caught.value, RuntimeError)
    await managers[0].aclose()  # idempotent


async def test_close_waits_for_running_operations(master_db: str, db: Database[Doc]) -> None:
    manager = await connect(master_db, bcrypt_cost=10)
    creating = asyncio.ensure_future(manager.create_tenant("Closing Time", "close@n.io", PASSWORD))
    # Once the create has begun writing, close: it must finish, not be cut off.
    while db.organizations.count_documents({}) == 0:
        await asyncio.sleep(0.001)
    await manager.aclose()
    await creating
    assert db.organizations.count_documents({"state": "active"}) == 1
    assert db.organizations.count_documents({"op": {"$exists": True}}) == 0


async def test_results_are_plain_data(manager: TenantManager) -> None:
    made = await create(manager)
    tenant = made.tenant
    login = await manager.authenticate(made.email, made.password)
    claims = await manager.verify_token(login.access_token)
    report = await manager.recover()
    for value in (tenant, login, report):
        assert pickle.loads(pickle.dumps(value)) == value
        assert hash(pickle.loads(pickle.dumps(value))) == hash(value)
    assert {tenant: 1}[await manager.get_tenant(tenant.name)] == 1
    assert hash(claims) == hash(await manager.verify_token(login.access_token))
    with pytest.raises(TypeError, match="credential"):
        pickle.dumps(claims)
    assert tenant.to_dict()["name"] == tenant.name
    assert claims.to_dict()["tenant_id"] == tenant.id
    assert report.to_dict()["failed"] == []


@pytest.mark.parametrize(
    ("cls", "kind"),
    [(Tenant, "Tenant"), (Claims, "Claims"), (AccessToken, "AccessToken"), (RecoveryReport, "RecoveryReport"), (RecoveryFailure, "RecoveryFailure")],
)
def test_each_class_mirrors_its_core_type_field_for_field(cls: type, kind: str) -> None:
    properties = [name for name, value in vars(cls).items() if isinstance(value, property) or type(value).__name__ == "getset_descriptor"]
    derived = {"namespace"}  # computed from other fields
    assert sorted(set(properties) - derived) == sorted(_core_fields(kind)), kind
