"""Every method of TenantManager against the real server: results, types, datetimes."""

from __future__ import annotations

import gc
import re
from datetime import datetime, timedelta, timezone

import pymongo
import pytest
from bson import ObjectId
from pymongo.database import Database

import tenantry
from tenantry import (
    AccessToken,
    Claims,
    RecoveryReport,
    Tenant,
    TenantManager,
    TenantNotFound,
    Unauthorized,
)

from conftest import JWT_SECRET, PASSWORD, Doc, connect, create, email_for, mongo_uri, unique

HEX_ID = re.compile(r"^[0-9a-f]{24}$")


def assert_utc_now(value: datetime, slack: timedelta = timedelta(seconds=30)) -> None:
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0), value
    assert abs(datetime.now(timezone.utc) - value) < slack, value


def test_package_exports_and_version() -> None:
    assert re.match(r"^\d+\.\d+\.\d+", tenantry.__version__)
    for name in tenantry.__all__:
        assert hasattr(tenantry, name), name


async def test_connect_reports_its_settings_and_core_defaults(master_db: str) -> None:
    # Only the required settings: the rest are the core's defaults.
    manager = await TenantManager.connect(
        mongo_uri=mongo_uri(), jwt_secret=JWT_SECRET, master_db=master_db
    )
    assert manager.master_db == master_db
    settings = manager.settings
    assert (settings["jwt_algorithm"], settings["jwt_expire_minutes"], settings["bcrypt_cost"]) == ("HS256", 1440, 12)
    assert settings["login_max_failures"] == 10
    assert settings["mongo_uri"] == mongo_uri() and "jwt_secret" not in settings
    assert repr(manager) == f"TenantManager(master_db='{master_db}')"

    tuned = await connect(
        master_db, jwt_algorithm="hs512", jwt_expire_minutes=5, bcrypt_cost=5, login_max_failures=0
    )
    tuned_settings = tuned.settings
    assert (tuned_settings["jwt_algorithm"], tuned_settings["jwt_expire_minutes"], tuned_settings["bcrypt_cost"]) == ("HS512", 5, 5)
    assert tuned_settings["login_max_failures"] == 0  # off


async def test_from_env_reads_the_core_variables(master_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = mongo_uri()
    monkeypatch.delenv("MONGODB_URI", raising=False)
    monkeypatch.setenv("MONGO_URI", uri)
    monkeypatch.setenv("MASTER_DB", master_db)
    monkeypatch.setenv("JWT_SECRET", JWT_SECRET)
    monkeypatch.setenv("JWT_ALGO", "HS384")
    monkeypatch.setenv("JWT_EXPIRE_MINUTES", "7")
    monkeypatch.setenv("BCRYPT_COST", "4")
    monkeypatch.setenv("LOGIN_MAX_FAILURES", "5")
    manager = await TenantManager.from_env()
    assert manager.master_db == master_db
    settings = manager.settings
    assert (settings["jwt_algorithm"], settings["jwt_expire_minutes"], settings["bcrypt_cost"]) == ("HS384", 7, 4)
    assert settings["login_max_failures"] == 5
    # Keyword overrides win over the environment.
    overridden = await TenantManager.from_env(bcrypt_cost=5, login_max_failures=0)
    assert (overridden.settings["bcrypt_cost"], overridden.settings["login_max_failures"]) == (5, 0)
    made = await create(manager)
    login = await manager.authenticate(made.email, made.password)
    assert login.expires_at - datetime.now(timezone.utc) < timedelta(minutes=7, seconds=5)


async def test_create_and_get(manager: TenantManager, db: Database[Doc]) -> None:
    name = unique("Acme Corp")
    email = email_for(name)
    tenant = await manager.create_tenant(name, email, PASSWORD)
    assert isinstance(tenant, Tenant)
    assert tenant.name == name
    assert tenant.admin_email == email
    assert tenant.collection_name == "org_" + name.lower().replace(" ", "_")
    assert tenant.database == manager.master_db
    assert tenant.namespace == f"{manager.master_db}.{tenant.collection_name}"
    assert HEX_ID.match(tenant.id) and HEX_ID.match(tenant.admin_id)
    assert_utc_now(tenant.created_at)
    assert tenant.updated_at == tenant.created_at
    assert tenant.collection_name in db.list_collection_names()
    record = db.organizations.find_one({"_id": ObjectId(tenant.id)})
    assert record is not None and record["organization_name"] == name

    found = await manager.get_tenant(name)
    assert found == tenant
    # Any spelling with the same normalized key finds it.
    assert await manager.get_tenant(name.upper().replace(" ", "-")) == tenant
    assert name in repr(found) and tenant.collection_name in repr(found)


async def test_authenticate_verify_and_decode(manager: TenantManager) -> None:
    made = await create(manager)
    login = await manager.authenticate(made.email.upper(), made.password)
    assert isinstance(login, AccessToken)
    assert login.token_type == "bearer"
    assert login.access_token.count(".") == 2
    assert login.tenant_name == made.tenant.name
    assert login.tenant_id == made.tenant.id
    assert login.admin_id == made.tenant.admin_id
    assert_utc_now(login.expires_at - timedelta(minutes=manager.settings["jwt_expire_minutes"]))
    assert login.access_token not in repr(login) and "***" in repr(login)

    claims = await manager.verify_token(login.access_token)
    assert isinstance(claims, Claims)
    assert (claims.admin_id, claims.tenant_id) == (login.admin_id, login.tenant_id)
    assert claims.tenant_name == made.tenant.name
    assert claims.token_version == 0
    assert_utc_now(claims.issued_at)
    assert claims.expires_at == login.expires_at
    assert login.access_token not in repr(claims)

    assert claims.collection_name == made.tenant.collection_name
    decoded = manager.decode_token(login.access_token)  # synchronous: no database
    # Without the database: no placement, and no role (verify_token reads the member's).
    placement = {"collection_name": None, "database": None, "layout": None, "cluster": None, "role": None}
    assert decoded.to_dict() == {**claims.to_dict(), **placement}
    with pytest.raises(TypeError):
        Claims()  # only a checked token makes claims


async def test_update_email_and_password(manager: TenantManager) -> None:
    made = await create(manager)
    token = (await manager.authenticate(made.email, made.password)).access_token
    claims = await manager.verify_token(token)
    new_email = email_for("new one")

    # The same password is not a change: the token stays good.
    same = await manager.update_tenant(claims, email=new_email, password=made.password)
    assert same.admin_email == new_email
    assert same.updated_at > made.tenant.updated_at
    assert same.created_at == made.tenant.created_at
    await manager.verify_token(token)

    updated = await manager.update_tenant(claims, password="a-brand-new-password")
    assert updated.admin_email == new_email
    # A new password revokes earlier tokens, though they still decode.
    with pytest.raises(Unauthorized):
        await manager.verify_token(token)
    assert manager.decode_token(token).tenant_id == made.tenant.id
    login = await manager.authenticate(new_email, "a-brand-new-password")
    assert (await manager.verify_token(login.access_token)).token_version == 1


async def test_rename_moves_the_data_and_keeps_tokens(manager: TenantManager, db: Database[Doc]) -> None:
    made = await create(manager)
    login = await manager.authenticate(made.email, made.password)
    claims = await manager.verify_token(login.access_token)
    old = made.tenant.collection_name
    docs = [{"_id": ObjectId(), "n": i} for i in range(100)]
    db[old].insert_many(docs)

    new_name = unique("Renamed")
    renamed = await manager.rename_tenant(claims, new_name)
    assert renamed.name == new_name
    assert renamed.id == made.tenant.id
    assert renamed.collection_name == "org_" + new_name.lower().replace(" ", "_")
    assert list(db[renamed.collection_name].find().sort("n", 1)) == docs
    # The old name holds an empty tombstone, refusing writes, until swept.
    assert db[old].count_documents({}) == 0
    assert db.tenant_tombstones.find_one({"_id": old}) is not None
    with pytest.raises(TenantNotFound):
        await manager.get_tenant(made.tenant.name)

    # The token carries stable ids: it still verifies, with the current name.
    after = await manager.verify_token(login.access_token)
    assert after.tenant_name == new_name
    assert await manager.tenant_collection_name(after) == renamed.collection_name

    back = unique("Back")
    again = await manager.update_tenant(after, new_name=back)
    assert again.name == back
    assert db[again.collection_name].count_documents({}) == len(docs)


async def test_delete(manager: TenantManager, db: Database[Doc]) -> None:
    made = await create(manager)
    login = await manager.authenticate(made.email, made.password)
    claims = await manager.verify_token(login.access_token)
    deleting = manager.delete_tenant(claims)
    await deleting
    assert deleting.result() is None
    with pytest.raises(TenantNotFound):
        await manager.get_tenant(made.tenant.name)
    assert made.tenant.collection_name not in db.list_collection_names()
    with pytest.raises(Unauthorized):
        await manager.verify_token(login.access_token)
    # The name and the email are free again.
    await manager.create_tenant(made.tenant.name, made.email, PASSWORD)


async def test_tenant_collection_for_the_applications_own_driver(
    manager: TenantManager, db: Database[Doc]
) -> None:
    made = await create(manager)
    claims = await manager.verify_token((await manager.authenticate(made.email, made.password)).access_token)
    name = await manager.tenant_collection_name(claims)
    assert name == made.tenant.collection_name == claims.collection_name
    # One call, on the application's own driver, no round trip.
    client: pymongo.MongoClient[Doc] = pymongo.MongoClient(manager.settings["mongo_uri"])
    orders = manager.collection(claims, client)
    assert orders.full_name == made.tenant.namespace
    orders.insert_one({"order": 1})
    assert db[made.tenant.collection_name].count_documents({"order": 1}) == 1
    async_client: pymongo.AsyncMongoClient[Doc] = pymongo.AsyncMongoClient(manager.settings["mongo_uri"])
    assert await manager.collection(claims, async_client).count_documents({}) == 1
    await async_client.close()
    client.close()
    with pytest.raises(ValueError, match="verify_token"):
        manager.collection(manager.decode_token((await manager.authenticate(made.email, made.password)).access_token), client)


async def test_recover_reports(manager: TenantManager, db: Database[Doc]) -> None:
    await create(manager)
    report = await manager.recover()
    assert isinstance(report, RecoveryReport)
    assert (report.completed, report.rolled_back, report.not_adopted, report.orphan_collections) == (0, 0, [], [])
    db.create_collection("org_left_behind")
    report = await manager.recover()
    assert report.orphan_collections == ["org_left_behind"]
    assert "org_left_behind" in repr(report)
    assert report == await manager.recover()


async def test_a_dropped_manager_releases_cleanly(master_db: str) -> None:
    manager = await connect(master_db)
    made = await create(manager)
    del manager
    gc.collect()
    other = await connect(master_db)
    assert (await other.get_tenant(made.tenant.name)).id == made.tenant.id
