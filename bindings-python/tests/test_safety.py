"""Data safety through the binding: operations cancelled at random points by asyncio
(``wait_for`` timing out) still run to their end or to a clean undo, writes through a
collection name given out before a rename are refused rather than lost, and errors show
nothing of the database's internals."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from pymongo.database import Database
from pymongo.errors import WriteError

from tenantry import DatabaseError, RecoveryReport, TenantManager, TenantNotFound

from conftest import JWT_SECRET, PASSWORD, Doc, connect, mongo_uri


async def settled(db: Database[Doc]) -> None:
    """Until no operation is in flight and no key is garbage, twice in a row."""
    quiet = 0
    for _ in range(300):
        busy = db.organizations.count_documents({"op": {"$exists": True}})
        keys = db.tenant_keys.count_documents({})
        expected = 2 * db.organizations.count_documents({}) + db.admin_users.count_documents({})
        quiet = quiet + 1 if busy == 0 and keys == expected else 0
        if quiet == 2:
            return
        await asyncio.sleep(0.1)
    pytest.fail("operations still in flight after 30 s")


def assert_consistent(db: Database[Doc]) -> None:
    """Every record active with its collection; every other tenant-named collection a
    registered, empty tombstone."""
    records = list(db.organizations.find())
    tombstones = {t["_id"] for t in db.tenant_tombstones.find()}
    collections = set(db.list_collection_names())
    for r in records:
        assert r["state"] == "active" and "op" not in r, r
        assert r["collection_name"] in collections, r
    owned = {r["collection_name"] for r in records}
    for name in collections:
        if name.startswith("org_") and name not in owned:
            assert name in tombstones and db[name].count_documents({}) == 0, name
    assert db.admin_users.count_documents({}) == len(records)


async def test_operations_cancelled_at_random_points_complete(manager: TenantManager, db: Database[Doc]) -> None:
    rng = random.Random(10)
    email = "cancelled@safety.io"
    name = "Cancelled 0"
    await manager.create_tenant(name, email, PASSWORD)
    db["org_cancelled_0"].insert_many([{"_id": i} for i in range(20)])
    cancelled = 0
    for round in range(1, 25):
        claims = await manager.verify_token((await manager.authenticate(email, PASSWORD)).access_token)
        target = f"Cancelled {round}"
        op: Any
        if round % 4 == 0:
            op = manager.delete_tenant(claims)
        elif round % 4 == 1 and round > 1:
            op = manager.create_tenant(target, f"other{round}@safety.io", PASSWORD)
        else:
            op = manager.rename_tenant(claims, target)
        try:
            await asyncio.wait_for(op, timeout=rng.uniform(0, 0.01))
        except asyncio.TimeoutError:
            cancelled += 1
        await settled(db)
        assert_consistent(db)
        try:
            tenant = await manager.get_tenant(target)
            if tenant.admin_email == email:
                name = target
        except TenantNotFound:
            pass
        try:
            await manager.get_tenant(name)
        except TenantNotFound:
            # Deleted: bring it back for the next rounds.
            await manager.create_tenant(target, email, PASSWORD)
            name = target
    assert cancelled > 5, cancelled


async def test_a_write_through_a_stale_name_is_refused_not_lost(manager: TenantManager, db: Database[Doc]) -> None:
    await manager.create_tenant("Stale Name", "stale@safety.io", PASSWORD)
    claims = await manager.verify_token((await manager.authenticate("stale@safety.io", PASSWORD)).access_token)
    old = await manager.tenant_collection_name(claims)
    db[old].insert_one({"_id": 1})
    await manager.rename_tenant(claims, "Fresh Name")
    with pytest.raises(WriteError) as refused:
        db[old].insert_one({"_id": 2})
    assert refused.value.code == 121
    new = await manager.tenant_collection_name(claims)
    assert new != old
    db[new].insert_one({"_id": 2})
    assert sorted(d["_id"] for d in db[new].find()) == [1, 2]
    assert db[old].count_documents({}) == 0


async def test_database_errors_show_no_internals() -> None:
    with pytest.raises(DatabaseError) as caught:
        await TenantManager.connect(
            mongo_uri="mongodb://127.0.0.1:9/?directConnection=true&serverSelectionTimeoutMS=500",
            jwt_secret=JWT_SECRET,
        )
    shown = str(caught.value) + repr(caught.value)
    for leak in ["127.0.0.1", "Topology", "directConnection", "localhost"]:
        assert leak not in shown, shown
    assert caught.value.code == "DATABASE"


async def test_recovery_reports_each_failure(manager: TenantManager, db: Database[Doc]) -> None:
    made = await manager.create_tenant("Broken Journal", "broken@safety.io", PASSWORD)
    db.organizations.update_one({"name_key": "broken_journal"}, {"$set": {"state": "updating", "op": {"x": 1}}})
    report = await manager.recover()
    assert isinstance(report, RecoveryReport)
    assert [(f.tenant_id, f.code) for f in report.failed] == [(made.id, "INTERNAL")]
    assert report.swept_keys == 0 and report.swept_tombstones == 0
    assert "failed=1" in repr(report)


async def test_client_address_believes_forwarded_for_only_from_trusted_proxies(
    master_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = await connect(master_db)
    assert plain.client_address("10.0.0.5", "203.0.113.9") == "10.0.0.5"
    assert plain.client_address("::ffff:10.0.0.5") == "10.0.0.5"
    with pytest.raises(ValueError):
        plain.client_address("not-an-address")
    monkeypatch.setenv("MONGO_URI", mongo_uri())
    monkeypatch.setenv("JWT_SECRET", JWT_SECRET)
    monkeypatch.setenv("MASTER_DB", master_db)
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8")
    behind = await TenantManager.from_env()
    assert behind.client_address("10.0.0.5", "203.0.113.9, 10.0.0.7") == "203.0.113.9"
    assert behind.client_address("192.0.2.1", "203.0.113.9") == "192.0.2.1"
