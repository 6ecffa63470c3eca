"""Suspension and the password hashing scheme, through the binding: ``suspend_tenant``
refuses a tenant's logins with the right password, its earlier tokens and the operations
they authorize with ``TenantSuspended`` (a wrong password stays ``InvalidCredentials``),
leaves its data, its record and the other tenants alone, and ``resume_tenant`` brings every
credential back; reasons are checked and kept (``suspended_at``, ``suspended_reason``, the
audit log, the HTTP body); an unknown name is ``TenantNotFound``. With ``password_hash``
set to ``argon2id`` new hashes are argon2id's, and they log in."""

from __future__ import annotations

import asyncio
import pickle
import time
from datetime import datetime, timedelta, timezone

import httpx
import pymongo
import pytest
from bson import ObjectId
from fastapi import FastAPI
from pymongo.database import Database

import tenantry.fastapi as glue
from tenantry import (
    Claims,
    ConfigError,
    InvalidCredentials,
    InvalidInput,
    TenantManager,
    TenantNotFound,
    TenantSuspended,
    Unauthorized,
)

from conftest import PASSWORD, Doc, connect, create, unique


async def login(manager: TenantManager, email: str, password: str = PASSWORD) -> str:
    return (await manager.authenticate(email, password)).access_token


async def until_refused(manager: TenantManager, token: str) -> TenantSuspended:
    """The error `verify_token` raises once the suspension has reached this manager's cache
    (its change stream: at once, or within a few milliseconds)."""
    deadline = time.monotonic() + 5
    while True:
        try:
            await manager.verify_token(token)
        except TenantSuspended as refused:
            return refused
        assert time.monotonic() < deadline, "a suspended tenant's token still verifies after 5 s"
        await asyncio.sleep(0.02)


async def until_accepted(manager: TenantManager, token: str) -> Claims:
    """The claims of `token` once the resume has reached this manager's cache."""
    deadline = time.monotonic() + 5
    while True:
        try:
            return await manager.verify_token(token)
        except TenantSuspended:
            assert time.monotonic() < deadline, "a resumed tenant's token is still refused after 5 s"
            await asyncio.sleep(0.02)


async def test_a_suspended_tenant_refuses_its_credentials_until_resumed(
    manager: TenantManager, db: Database[Doc], mongo: pymongo.MongoClient[Doc]
) -> None:
    made, other = await create(manager), await create(manager)
    tenant = made.tenant
    assert (tenant.suspended_at, tenant.suspended_reason) == (None, None)
    db[tenant.collection_name].insert_many([{"n": i} for i in range(5)])
    token = await login(manager, made.email)
    claims = await manager.verify_token(token)  # cached now, as a busy server would have it
    other_token = await login(manager, other.email)

    suspended = await manager.suspend_tenant(tenant.name.upper(), reason="unpaid invoice")
    assert (suspended.id, suspended.name, suspended.state) == (tenant.id, tenant.name, "active")
    assert suspended.suspended_reason == "unpaid invoice"
    assert suspended.suspended_at is not None and suspended.suspended_at.tzinfo == timezone.utc
    assert abs(suspended.suspended_at - datetime.now(timezone.utc)) < timedelta(minutes=1)

    # The earlier token: refused, with the code, as a PermissionError.
    refused = await until_refused(manager, token)
    assert refused.code == "TENANT_SUSPENDED" and isinstance(refused, PermissionError)
    assert tenant.name in str(refused) and refused.reason == "the tenant is suspended"
    # The right password: refused with the code; a wrong one (or an unknown email) says
    # nothing of the suspension.
    with pytest.raises(TenantSuspended) as caught:
        await manager.authenticate(made.email, PASSWORD)
    assert caught.value.code == "TENANT_SUSPENDED"
    for email, password in [(made.email, "not-the-password"), ("nobody@nowhere.example", PASSWORD)]:
        with pytest.raises(InvalidCredentials):
            await manager.authenticate(email, password)
    # Claims checked before the suspension change nothing.
    with pytest.raises((TenantSuspended, Unauthorized)):
        await manager.update_tenant(claims, new_name=unique("Escaped"))
    with pytest.raises(TenantSuspended):
        await manager.delete_tenant(claims)
    # The signature alone still checks (no database): a suspension is not a bad token.
    assert manager.decode_token(token).tenant_id == tenant.id

    # Its record, name and data are untouched; administration calls still reach it; the
    # other tenant is not affected.
    got = await manager.get_tenant(tenant.name)
    assert got == suspended and got.name == tenant.name and got.admin_email == made.email
    assert db[tenant.collection_name].count_documents({}) == 5
    assert (await manager.admin_collection(tenant.name, mongo)).count_documents({}) == 5
    assert (await manager.verify_token(other_token)).tenant_id == other.tenant.id
    assert (await manager.authenticate(other.email, PASSWORD)).tenant_id == other.tenant.id
    assert (await manager.get_tenant(other.tenant.name)).suspended_at is None

    # The new fields are plain data like the others.
    assert pickle.loads(pickle.dumps(suspended)) == suspended != tenant
    as_dict = suspended.to_dict()
    assert (as_dict["suspended_at"], as_dict["suspended_reason"]) == (suspended.suspended_at, "unpaid invoice")
    assert "suspended_at=" in repr(suspended) and "suspended_at" not in repr(tenant)
    listed = [t for t in await manager.list_tenants() if t.id == tenant.id]
    assert listed == [suspended]
    body = glue.tenant_body(suspended)
    assert body["suspended_reason"] == "unpaid invoice" and body["suspended_at"].endswith("Z")
    assert datetime.fromisoformat(body["suspended_at"]) == suspended.suspended_at.replace(
        microsecond=suspended.suspended_at.microsecond // 1000 * 1000
    )

    # Resumed: every credential works again, the earlier token and claims too.
    resumed = await manager.resume_tenant(tenant.name.lower())
    assert (resumed.id, resumed.suspended_at, resumed.suspended_reason) == (tenant.id, None, None)
    assert glue.tenant_body(resumed)["suspended_at"] is None and glue.tenant_body(resumed)["suspended_reason"] is None
    assert (await until_accepted(manager, token)).tenant_id == tenant.id
    assert await manager.get_tenant(tenant.name) == resumed
    assert (await manager.authenticate(made.email, PASSWORD)).tenant_id == tenant.id
    renamed = await manager.update_tenant(claims, new_name=unique("Back"))
    assert renamed.id == tenant.id
    assert db[renamed.collection_name].count_documents({}) == 5
    # Resuming a tenant that is not suspended changes nothing.
    assert await manager.resume_tenant(renamed.name) == await manager.get_tenant(renamed.name)
    await manager.aclose()


async def test_suspend_and_resume_are_audited_and_a_second_suspension_keeps_its_reason(manager: TenantManager) -> None:
    made = await create(manager)
    tenant = made.tenant
    first = await manager.suspend_tenant(tenant.name, reason="unpaid invoice")
    with pytest.raises(TenantSuspended):
        await manager.authenticate(made.email, PASSWORD)
    again = await manager.suspend_tenant(tenant.name)
    assert again.suspended_reason is None and again.suspended_at is not None
    assert first.suspended_at is not None and again.suspended_at >= first.suspended_at
    worded = await manager.suspend_tenant(tenant.name, reason="x" * 500)  # the longest reason
    assert worded.suspended_reason == "x" * 500
    await manager.resume_tenant(tenant.name)
    await manager.resume_tenant(tenant.name)  # not suspended: not audited

    log = (await manager.audit_log(tenant.id)).entries
    events = [(e.actor, e.op, e.outcome) for e in log if e.op != "create"]
    admin = f"admin:{tenant.admin_id}"
    assert events == [
        ("operator", "suspend", "ok"),
        (admin, "login", "TENANT_SUSPENDED"),
        ("operator", "suspend", "ok"),
        ("operator", "suspend", "ok"),
        ("operator", "resume", "ok"),
    ], events
    reasons = [e.detail.get("reason") for e in log if e.op == "suspend"]
    assert reasons == ["unpaid invoice", None, "x" * 500]
    assert (await manager.verify_audit(tenant.id)).intact


@pytest.mark.parametrize(
    "reason",
    ["x" * 501, "two\nlines", "a\rreturn", "a\ttab", "nul\0byte"],
    ids=["501-chars", "newline", "carriage-return", "tab", "nul"],
)
async def test_a_bad_reason_is_invalid_input_and_suspends_nothing(manager: TenantManager, reason: str) -> None:
    made = await create(manager)
    with pytest.raises(InvalidInput) as caught:
        await manager.suspend_tenant(made.tenant.name, reason=reason)
    assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", "reason")
    assert (await manager.get_tenant(made.tenant.name)).suspended_at is None
    assert (await manager.authenticate(made.email, PASSWORD)).tenant_id == made.tenant.id


async def test_an_unknown_or_deleted_tenant_is_not_found(master_db: str) -> None:
    manager = await connect(master_db, deleted_retention_seconds=3600)
    with pytest.raises(TenantNotFound) as caught:
        await manager.suspend_tenant(unique("Ghost"), reason="gone")
    assert caught.value.code == "TENANT_NOT_FOUND"
    with pytest.raises(TenantNotFound):
        await manager.resume_tenant(unique("Ghost"))
    with pytest.raises(InvalidInput) as bad_name:
        await manager.suspend_tenant("pay$day")
    assert bad_name.value.field == "name"
    # A softly deleted tenant is hidden from both.
    made = await create(manager)
    await manager.delete_tenant(await manager.verify_token(await login(manager, made.email)))
    with pytest.raises(TenantNotFound):
        await manager.suspend_tenant(made.tenant.name)
    with pytest.raises(TenantNotFound):
        await manager.resume_tenant(made.tenant.name)
    restored = await manager.restore_tenant(made.tenant.name)
    assert restored.suspended_at is None
    await manager.aclose()


async def test_the_wrong_argument_types_are_type_errors(manager: TenantManager) -> None:
    with pytest.raises(TypeError):
        manager.suspend_tenant(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        manager.suspend_tenant("Acme", reason=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        manager.resume_tenant(None)  # type: ignore[arg-type]


async def test_a_suspended_tenants_token_is_answered_403_by_the_glue(manager: TenantManager) -> None:
    made = await create(manager)
    token = await login(manager, made.email)
    app = FastAPI()
    app.state.tenants = manager
    glue.install(app)

    @app.get("/me")
    async def me(claims: glue.VerifiedClaims) -> dict[str, str]:
        return {"tenant": claims.tenant_name}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        headers = {"authorization": f"Bearer {token}"}
        assert (await client.get("/me", headers=headers)).json() == {"tenant": made.tenant.name}
        await manager.suspend_tenant(made.tenant.name)
        await until_refused(manager, token)
        refused = await client.get("/me", headers=headers)
        assert refused.status_code == 403
        assert refused.json() == {"detail": "Organization suspended", "code": "TENANT_SUSPENDED"}
        await manager.resume_tenant(made.tenant.name)
        await until_accepted(manager, token)
        assert (await client.get("/me", headers=headers)).status_code == 200


async def test_argon2id_hashes_new_passwords_and_they_log_in(master_db: str, db: Database[Doc]) -> None:
    manager = await connect(master_db, password_hash="argon2id")
    assert manager.settings["password_hash"] == "argon2id"
    made = await create(manager)
    stored = db.admin_users.find_one({"_id": ObjectId(made.tenant.admin_id)})
    assert stored is not None and stored["hashed_password"].startswith("$argon2id$"), stored
    assert (await manager.authenticate(made.email, PASSWORD)).tenant_id == made.tenant.id
    with pytest.raises(InvalidCredentials):
        await manager.authenticate(made.email, "not-the-password")
    # A password change is hashed the same way.
    claims = await manager.verify_token(await login(manager, made.email))
    await manager.update_tenant(claims, password="another-password-1")
    changed = db.admin_users.find_one({"_id": ObjectId(made.tenant.admin_id)})
    assert changed is not None and changed["hashed_password"].startswith("$argon2id$")
    assert changed["hashed_password"] != stored["hashed_password"]
    await login(manager, made.email, "another-password-1")
    await manager.aclose()


async def test_a_bcrypt_hash_is_replaced_by_argon2id_at_the_next_login(master_db: str, db: Database[Doc]) -> None:
    before = await connect(master_db)
    assert before.settings["password_hash"] == "bcrypt"  # the default
    made = await create(before)
    admin = {"_id": ObjectId(made.tenant.admin_id)}
    bcrypt_hash = (db.admin_users.find_one(admin) or {})["hashed_password"]
    assert bcrypt_hash.startswith("$2")
    await before.aclose()

    after = await connect(master_db, password_hash="argon2id")
    with pytest.raises(InvalidCredentials):
        await after.authenticate(made.email, "not-the-password")
    assert (db.admin_users.find_one(admin) or {})["hashed_password"] == bcrypt_hash, "a failed login changes nothing"
    await login(after, made.email)
    assert (db.admin_users.find_one(admin) or {})["hashed_password"].startswith("$argon2id$")
    await login(after, made.email)
    await after.aclose()


@pytest.mark.parametrize("scheme", ["scrypt", "", "md5"])
async def test_an_unknown_scheme_is_a_config_error(master_db: str, scheme: str) -> None:
    with pytest.raises(ConfigError) as caught:
        await connect(master_db, password_hash=scheme)
    assert caught.value.code == "CONFIG" and "password_hash" in str(caught.value)
