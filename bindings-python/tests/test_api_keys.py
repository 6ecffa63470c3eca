"""Tenant API keys through the binding: ``create_api_key`` shows the key once (not in its
``repr``, not in the database: only a digest is stored), ``api_keys`` lists it without it;
``verify_api_key`` (and ``verify_credential``, for keys and tokens alike) gives ``Claims``
with the key's ``api_key_id`` and ``scopes`` (``has_scope``), which reach the tenant's data
and never manage the tenant (``Forbidden``); revocation, expiry, forgery and suspension
refuse a key; bad input is ``InvalidInput`` naming its field; and the FastAPI glue reads
the bodies and admits credentials by scope."""

from __future__ import annotations

import json
import pickle
import re
from collections.abc import Awaitable
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

import httpx
import pymongo
import pytest
from bson import ObjectId
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pymongo.database import Database

import tenantry.fastapi as glue
from tenantry import (
    ApiKey,
    ApiKeyInfo,
    Claims,
    Conflict,
    Forbidden,
    InvalidInput,
    TenantManager,
    TenantSuspended,
    Unauthorized,
)

from tenantry._native import _http_validation_response

from conftest import PASSWORD, Created, Doc, create, mongo_uri

HEX_ID = re.compile(r"[0-9a-f]{24}")
#: Module level: FastAPI resolves a route's annotations by name.
OrdersReader = Annotated[Claims, Depends(glue.require_scope("orders:read"))]
OrdersWriter = Annotated[Claims, Depends(glue.require_scope("orders:read", "orders:write"))]


async def new_key(request: Request) -> dict[str, Any]:
    """The keyword arguments of `create_api_key` a request's body gives."""
    return glue.new_api_key(await request.body())


NewKey = Annotated[dict[str, Any], Depends(new_key)]


def near(when: datetime, seconds: float = 0, slack: float = 30) -> bool:
    """Whether `when` is about `seconds` from now."""
    expected = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return abs((when - expected).total_seconds()) < slack


def secret_of(key: ApiKey) -> str:
    return key.key.rsplit("_", 1)[1]


async def admin_claims(manager: TenantManager, made: Created) -> Claims:
    return await manager.verify_token((await manager.authenticate(made.email, made.password)).access_token)


async def setup(manager: TenantManager, scopes: list[str] | None = None) -> tuple[Created, Claims, ApiKey]:
    """A tenant, its admin's claims, and a key made by the admin."""
    made = await create(manager)
    admin = await admin_claims(manager, made)
    key = await manager.create_api_key(admin, "ci", scopes or ["orders:read"])
    return made, admin, key


async def test_a_key_is_shown_once_stored_as_a_digest_and_listed_without_it(manager: TenantManager, db: Database[Doc]) -> None:
    made = await create(manager)
    admin = await admin_claims(manager, made)
    key = await manager.create_api_key(admin, "  billing sync ", ["orders:write", "orders:read", "orders:read"])
    assert isinstance(key, ApiKey) and isinstance(key.info, ApiKeyInfo)
    info = key.info
    assert HEX_ID.fullmatch(info.id) and info.prefix == f"tnk_{info.id}"
    assert key.key.startswith(f"{info.prefix}_") and len(secret_of(key)) >= 32
    assert info.name == "billing sync", "trimmed"
    assert info.scopes == ["orders:read", "orders:write"], "sorted, without repeats"
    assert info.created_by == admin.admin_id == made.tenant.admin_id
    assert info.created_at.tzinfo == timezone.utc and near(info.created_at)
    assert info.expires_at is None and info.last_used_at is None

    # The key is in the answer, and nowhere else: not in a repr, not in the database.
    secret = secret_of(key)
    for text in (repr(key), str(key), repr(info), repr(await manager.api_keys(admin))):
        assert secret not in text and key.key not in text
    assert repr(key).startswith(f"ApiKey(key='{info.prefix}_***', info=ApiKeyInfo(")
    (stored,) = list(db.tenant_api_keys.find())
    assert secret not in repr(stored) and key.key not in repr(stored)
    assert (stored["_id"], stored["tenant"], stored["scopes"]) == (ObjectId(info.id), ObjectId(made.tenant.id), info.scopes)
    assert stored["hash"] != secret and set(stored) >= {"tenant", "name", "scopes", "hash", "created_by", "created_at"}
    # A credential: comparable, neither hashable nor picklable.
    with pytest.raises(TypeError):
        hash(key)
    with pytest.raises(TypeError):
        pickle.dumps(key)
    assert key == key and key.to_dict() == {"key": key.key, "info": info.to_dict()}

    # Listed without it; the listing's entries are hashable plain data.
    listed = await manager.api_keys(admin)
    assert listed == [info] and all(isinstance(k, ApiKeyInfo) for k in listed)
    assert {info: 1}[listed[0]] == 1
    assert info.to_dict() == {
        "id": info.id,
        "prefix": info.prefix,
        "name": "billing sync",
        "scopes": ["orders:read", "orders:write"],
        "created_by": info.created_by,
        "created_at": info.created_at,
        "expires_at": None,
        "last_used_at": None,
    }
    with pytest.raises(TypeError):
        pickle.dumps(info)
    # Oldest first; another tenant's keys are not listed.
    second = await manager.create_api_key(admin, "second", ["x"])
    other = await create(manager)
    await manager.create_api_key(await admin_claims(manager, other), "theirs", ["x"])
    assert [k.id for k in await manager.api_keys(admin)] == [info.id, second.info.id]


async def test_a_key_verifies_into_claims_with_its_id_and_scopes(manager: TenantManager) -> None:
    made, admin, key = await setup(manager, ["orders:read", "orders:write"])
    claims = await manager.verify_api_key(key.key)
    assert isinstance(claims, Claims)
    assert claims.api_key_id == key.info.id
    assert claims.scopes == ["orders:read", "orders:write"]
    assert claims.has_scope("orders:write") and not claims.has_scope("orders") and not claims.has_scope("")
    assert (claims.tenant_id, claims.tenant_name, claims.admin_id) == (made.tenant.id, made.tenant.name, made.tenant.admin_id)
    assert claims.collection_name == made.tenant.collection_name and claims.cluster == made.tenant.cluster
    assert claims.expires_at.year == 9999, "a key without an expiry never expires"
    as_dict = claims.to_dict()
    assert (as_dict["api_key_id"], as_dict["scopes"]) == (key.info.id, ["orders:read", "orders:write"])
    assert key.info.id in repr(claims) and secret_of(key) not in repr(claims)
    with pytest.raises(TypeError, match="credential"):
        pickle.dumps(claims)

    # An admin's token: no key, no scopes, every scope.
    assert (admin.api_key_id, admin.scopes) == (None, None)
    assert admin.has_scope("anything") and admin.has_scope("orders:read")
    assert admin.to_dict()["api_key_id"] is None and admin.to_dict()["scopes"] is None
    assert "api_key_id" not in repr(admin)

    # One entry point for both kinds.
    assert await manager.verify_credential(key.key) == claims
    token = (await manager.authenticate(made.email, PASSWORD)).access_token
    assert await manager.verify_credential(token) == await manager.verify_token(token)
    # A key is no token, and a token no key.
    with pytest.raises(Unauthorized):
        await manager.verify_token(key.key)
    with pytest.raises(Unauthorized):
        await manager.verify_api_key(token)

    # Its last use is recorded (to the minute).
    (listed,) = await manager.api_keys(admin)
    assert listed.last_used_at is not None and listed.last_used_at.tzinfo == timezone.utc and near(listed.last_used_at, slack=61)


async def test_a_key_reaches_its_tenants_data_and_never_manages_the_tenant(manager: TenantManager, db: Database[Doc]) -> None:
    made, admin, key = await setup(manager)
    claims = await manager.verify_api_key(key.key)
    client: pymongo.MongoClient[Doc] = pymongo.MongoClient(mongo_uri())
    try:
        manager.collection(claims, client).insert_one({"by": "key"})
        assert client[made.tenant.database][made.tenant.collection_name].count_documents({"by": "key"}) == 1
        assert manager.collection(claims, client).full_name == manager.collection(admin, client).full_name
    finally:
        client.close()
    assert await manager.tenant_collection_name(claims) == made.tenant.collection_name

    before = list(db.organizations.find())
    managing: list[Awaitable[object]] = [
        manager.rename_tenant(claims, "Taken Over"),
        manager.update_tenant(claims, email="thief@evil.example"),
        manager.update_tenant(claims, password="stolen-password-1"),
        manager.delete_tenant(claims),
        manager.create_api_key(claims, "more", ["orders:read"]),
        manager.api_keys(claims),
        manager.revoke_api_key(claims, key.info.id),
        manager.sessions(claims),
        manager.end_all_sessions(claims),
    ]
    for call in managing:
        with pytest.raises(Forbidden) as caught:
            await call
        assert caught.value.code == "FORBIDDEN" and isinstance(caught.value, PermissionError)
    assert list(db.organizations.find()) == before, "nothing changed"
    assert [k.id for k in await manager.api_keys(admin)] == [key.info.id]
    await manager.verify_api_key(key.key)


async def test_revocation_is_the_tenants_own(manager: TenantManager) -> None:
    made, admin, key = await setup(manager)
    other, other_admin, theirs = await setup(manager)
    claims = await manager.verify_api_key(key.key)

    # Another tenant's admin revokes nothing.
    assert await manager.revoke_api_key(other_admin, key.info.id) is False
    await manager.verify_api_key(key.key)
    assert await manager.revoke_api_key(admin, key.info.id) is True
    assert await manager.revoke_api_key(admin, key.info.id) is False, "once"
    assert await manager.revoke_api_key(admin, "0" * 24) is False
    with pytest.raises(Unauthorized) as caught:
        await manager.verify_api_key(key.key)
    assert caught.value.code == "UNAUTHORIZED"
    with pytest.raises(Unauthorized):
        await manager.verify_credential(key.key)
    # Claims verified before the revocation stop reaching the data (where it is checked).
    with pytest.raises(Unauthorized):
        await manager.tenant_collection_name(claims)
    assert await manager.api_keys(admin) == []
    # The bystander's key is untouched.
    await manager.verify_api_key(theirs.key)
    assert [k.id for k in await manager.api_keys(other_admin)] == [theirs.info.id]


@pytest.mark.parametrize("bad", ["", "not-an-id", "0" * 23, "g" * 24, "0" * 25, "tnk_" + "0" * 24])
async def test_a_bad_key_id_is_invalid_input(manager: TenantManager, bad: str) -> None:
    made, admin, key = await setup(manager)
    revoking = manager.revoke_api_key(admin, bad)  # refused when awaited, as every error
    with pytest.raises(InvalidInput) as caught:
        await revoking
    assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", "key_id")
    assert await manager.api_keys(admin) == [key.info]


async def test_forged_and_malformed_keys_are_unauthorized(manager: TenantManager) -> None:
    made, admin, key = await setup(manager)
    other, _, theirs = await setup(manager)
    prefix, secret = key.key.rsplit("_", 1)
    forged = [
        f"{prefix}_{'0' * len(secret)}",  # the right id, another secret
        f"{theirs.info.prefix}_{secret}",  # another key's id, this secret
        f" {key.key}",
        f"{key.key} ",
        f"{key.key}\n",
        f"\t{key.key}",
        key.key[:-1],
        f"{key.key}0",
        key.key.upper(),
        "tnk_",
        "tnk_zz_zz",
        f"tnk_{key.info.id}",
        f"tnk_{key.info.id}_",
        "",
    ]
    for bad in forged:
        with pytest.raises(Unauthorized) as caught:
            await manager.verify_api_key(bad)
        assert caught.value.code == "UNAUTHORIZED", bad
        if bad.startswith("tnk_"):
            with pytest.raises(Unauthorized):
                await manager.verify_credential(bad)
    assert (await manager.verify_api_key(key.key)).api_key_id == key.info.id


async def test_expiry(manager: TenantManager, db: Database[Doc]) -> None:
    made = await create(manager)
    admin = await admin_claims(manager, made)
    # A past expiry, and a naive datetime (no instant), are refused, when awaited.
    for at in (datetime.now(timezone.utc) - timedelta(seconds=1), datetime.now() + timedelta(hours=1)):
        creating = manager.create_api_key(admin, "late", ["x"], at)
        with pytest.raises(InvalidInput) as caught:
            await creating
        assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", "expires_at")
    assert await manager.api_keys(admin) == []

    # Any time zone names its instant; kept to the millisecond, aware UTC.
    soon = datetime.now(timezone(timedelta(hours=5, minutes=30))) + timedelta(hours=1)
    key = await manager.create_api_key(admin, "soon", ["x"], expires_at=soon)
    assert key.info.expires_at is not None and key.info.expires_at.tzinfo == timezone.utc
    assert abs((key.info.expires_at - soon).total_seconds()) < 0.001
    claims = await manager.verify_api_key(key.key)
    assert abs((claims.expires_at - soon).total_seconds()) < 0.001

    # Past its expiry (set in the database): refused, and the claims of before too.
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    done = db.tenant_api_keys.update_one({"_id": ObjectId(key.info.id)}, {"$set": {"expires_at": past}})
    assert done.modified_count == 1
    with pytest.raises(Unauthorized):
        await manager.verify_api_key(key.key)
    with pytest.raises(Unauthorized):
        await manager.tenant_collection_name(claims)
    # Expired keys are still listed, until revoked.
    assert [k.id for k in await manager.api_keys(admin)] == [key.info.id]
    assert await manager.revoke_api_key(admin, key.info.id) is True


async def test_suspension_refuses_keys_and_a_delete_takes_the_tenants_keys(manager: TenantManager, db: Database[Doc]) -> None:
    gone, gone_admin, gone_key = await setup(manager)
    stays, _, stays_key = await setup(manager)
    claims = await manager.verify_api_key(gone_key.key)

    await manager.suspend_tenant(gone.tenant.name, reason="unpaid invoice")
    for verify in (manager.verify_api_key, manager.verify_credential):
        with pytest.raises(TenantSuspended) as caught:
            await verify(gone_key.key)
        assert caught.value.code == "TENANT_SUSPENDED" and isinstance(caught.value, PermissionError)
    with pytest.raises(TenantSuspended):
        await manager.tenant_collection_name(claims)
    await manager.verify_api_key(stays_key.key)
    await manager.resume_tenant(gone.tenant.name)
    assert (await manager.verify_api_key(gone_key.key)).api_key_id == gone_key.info.id

    await manager.delete_tenant(gone_admin)
    with pytest.raises(Unauthorized):
        await manager.verify_api_key(gone_key.key)
    assert [str(k["_id"]) for k in db.tenant_api_keys.find()] == [stays_key.info.id], "only the deleted tenant's keys went"
    await manager.verify_api_key(stays_key.key)


async def test_bad_input_names_its_field_and_writes_nothing(manager: TenantManager, db: Database[Doc]) -> None:
    made = await create(manager)
    admin = await admin_claims(manager, made)
    # A key's name is the core's `api_key_name` (a tenant's is `name`); HTTP shows it as `name`.
    cases: list[tuple[str, list[str], str]] = [
        ("", ["x"], "api_key_name"),
        ("   ", ["x"], "api_key_name"),
        ("a" * 101, ["x"], "api_key_name"),
        ("bell\x07", ["x"], "api_key_name"),
        ("ok", [], "scopes"),
        ("ok", [""], "scopes"),
        ("ok", ["has space"], "scopes"),
        ("ok", ["a" * 65], "scopes"),
        ("ok", ["ü"], "scopes"),
        ("ok", [f"s{i}" for i in range(33)], "scopes"),
    ]
    for name, scopes, field in cases:
        with pytest.raises(InvalidInput) as caught:
            await manager.create_api_key(admin, name, scopes)
        assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", field), (name, scopes)
        assert isinstance(caught.value, ValueError) and caught.value.reason
        shown = json.loads(bytes(glue.error_response(caught.value).body))
        assert shown["errors"][0]["field"] == ("name" if field == "api_key_name" else field)
    assert db.tenant_api_keys.count_documents({}) == 0
    # Any sequence of strings is scopes; a string is not.
    key = await manager.create_api_key(admin, "tuple", ("b", "a"))
    assert key.info.scopes == ["a", "b"]
    with pytest.raises(TypeError):
        manager.create_api_key(admin, "str", "orders:read")  # a str is a Sequence[str] to mypy
    with pytest.raises(TypeError):
        manager.create_api_key(admin, "n", [1])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        manager.create_api_key(admin, "t", ["x"], "2030-01-01T00:00:00Z")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        manager.api_keys(key.key)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        manager.verify_api_key(None)  # type: ignore[arg-type]


async def test_a_tenant_holds_at_most_a_hundred_live_keys(manager: TenantManager) -> None:
    made = await create(manager)
    admin = await admin_claims(manager, made)
    keys = [await manager.create_api_key(admin, f"k{i}", ["x"]) for i in range(100)]
    with pytest.raises(Conflict) as caught:
        await manager.create_api_key(admin, "one too many", ["x"])
    assert caught.value.code == "CONFLICT"
    # Revoked keys do not count.
    assert await manager.revoke_api_key(admin, keys[0].info.id)
    await manager.create_api_key(admin, "room again", ["x"])


async def test_the_glue_answers_with_the_cores_bodies(manager: TenantManager) -> None:
    made, admin, key = await setup(manager, ["orders:read", "orders:write"])
    created = glue.created_api_key_body(key)
    assert created == {**glue.api_key_body(key.info), "key": key.key}
    listed = glue.api_key_body(key.info)
    assert set(listed) == {"id", "prefix", "name", "scopes", "created_by", "created_at", "expires_at", "last_used_at"}
    assert (listed["id"], listed["prefix"], listed["name"]) == (key.info.id, key.info.prefix, "ci")
    assert (listed["scopes"], listed["created_by"]) == (["orders:read", "orders:write"], made.tenant.admin_id)
    assert listed["created_at"].endswith("Z") and listed["expires_at"] is None and listed["last_used_at"] is None
    assert glue.api_keys_body([key.info, key.info]) == {"api_keys": [listed, listed]}
    assert glue.api_keys_body([]) == {"api_keys": []}

    claims = await manager.verify_api_key(key.key)
    whoami = glue.claims_body(claims)
    assert whoami == {
        "admin_id": made.tenant.admin_id,
        "organization_id": made.tenant.id,
        "organization_name": made.tenant.name,
        "api_key_id": key.info.id,
        "scopes": ["orders:read", "orders:write"],
        "role": None,
        "expires_at": whoami["expires_at"],
    }
    assert whoami["expires_at"].startswith("9999-")
    token = glue.claims_body(admin)
    assert (token["api_key_id"], token["scopes"]) == (None, None) and token["expires_at"].endswith("Z")
    assert token["role"] == "owner", "the first admin"


def problems(body: bytes) -> list[tuple[str, str]]:
    """The (field, kind) of every problem the glue finds in a `POST /admin/api-keys` body."""
    with pytest.raises(RequestValidationError) as caught:
        glue.new_api_key(body)
    errors = caught.value.errors()
    assert all(e["loc"][0] == "body" and e["msg"] for e in errors)
    return [(e["loc"][1], e["type"]) for e in errors]


def test_the_glue_reads_new_key_bodies_as_the_core_does() -> None:
    assert glue.new_api_key(b'{"name": "ci", "scopes": ["a", "b"]}') == {"name": "ci", "scopes": ["a", "b"], "expires_at": None}
    assert glue.new_api_key(b'{"name": " ci ", "scopes": [], "expires_at": null, "other": 1}') == {
        "name": " ci ",
        "scopes": [],
        "expires_at": None,
    }, "what the core judges later is left to it"
    read = glue.new_api_key(b'{"name": "ci", "scopes": ["a"], "expires_at": "2030-01-02T03:04:05.678+02:00"}')
    assert read["expires_at"] == datetime(2030, 1, 2, 1, 4, 5, 678000, tzinfo=timezone.utc)
    assert read["expires_at"].tzinfo == timezone.utc

    assert problems(b"{}") == [("name", "missing"), ("scopes", "missing")]
    assert problems(b'{"name": 1, "scopes": "a", "expires_at": "soon"}') == [
        ("name", "type_error"),
        ("scopes", "type_error"),
        ("expires_at", "value_error"),
    ]
    assert problems(b'{"name": "x", "scopes": [1]}') == [("scopes", "type_error")]
    assert problems(b'{"name": "x", "scopes": ["a"], "expires_at": 5}') == [("expires_at", "type_error")]
    assert problems(b"[]") == [("body", "type_error")]
    assert problems(b"{") == [("body", "json_invalid")]
    assert problems(b"") == [("body", "json_invalid")]
    assert problems(b"\xff") == [("body", "json_invalid")]
    assert problems(b"[" * 1000 + b"]" * 1000) == [("body", "json_invalid")]


def bearer(credential: str) -> dict[str, str]:
    return {"authorization": f"Bearer {credential}"}


def app_of(manager: TenantManager) -> FastAPI:
    app = FastAPI()
    app.state.tenants = manager
    glue.install(app)

    @app.get("/whoami")
    async def whoami(claims: glue.VerifiedCredential) -> dict[str, Any]:
        return glue.claims_body(claims)

    @app.get("/token-only")
    async def token_only(claims: glue.VerifiedClaims) -> dict[str, str]:
        return {"tenant": claims.tenant_name}

    @app.get("/orders")
    async def orders(claims: OrdersReader) -> dict[str, Any]:
        return {"tenant": claims.tenant_id, "key": claims.api_key_id}

    @app.post("/orders")
    async def add_order(claims: OrdersWriter) -> dict[str, Any]:
        return {"written": True}

    @app.post("/keys", status_code=201)
    async def make_key(token: Annotated[str, Depends(glue.bearer_token)], body: NewKey, tenants: glue.Tenants) -> dict[str, Any]:
        claims = await tenants.verify_credential(token)
        return glue.created_api_key_body(await tenants.create_api_key(claims, **body))

    return app


async def test_the_glue_admits_credentials_by_scope(manager: TenantManager) -> None:
    made, admin, reader = await setup(manager, ["orders:read"])
    writer = await manager.create_api_key(admin, "writer", ["orders:read", "orders:write"])
    token = (await manager.authenticate(made.email, PASSWORD)).access_token

    transport = httpx.ASGITransport(app=app_of(manager))
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        # Either kind of credential says who it speaks for.
        me = await client.get("/whoami", headers=bearer(reader.key))
        assert me.status_code == 200 and (me.json()["api_key_id"], me.json()["scopes"]) == (reader.info.id, ["orders:read"])
        me = await client.get("/whoami", headers=bearer(token))
        assert me.status_code == 200 and me.json()["api_key_id"] is None and me.json()["organization_id"] == made.tenant.id
        # VerifiedClaims stays a token's: a key there is refused.
        refused = await client.get("/token-only", headers=bearer(reader.key))
        assert (refused.status_code, refused.json()["code"]) == (401, "UNAUTHORIZED")
        assert (await client.get("/token-only", headers=bearer(token))).json() == {"tenant": made.tenant.name}

        # Scopes: a key with them passes, one without is 403 FORBIDDEN; a token has them all.
        assert (await client.get("/orders", headers=bearer(reader.key))).json() == {"tenant": made.tenant.id, "key": reader.info.id}
        assert (await client.get("/orders", headers=bearer(token))).json() == {"tenant": made.tenant.id, "key": None}
        lacking = await client.post("/orders", headers=bearer(reader.key))
        assert (lacking.status_code, lacking.json()) == (403, {"detail": "Not authorized to act on this organization", "code": "FORBIDDEN"})
        assert (await client.post("/orders", headers=bearer(writer.key))).json() == {"written": True}
        assert (await client.post("/orders", headers=bearer(token))).json() == {"written": True}

        # No credential, or a bad one: 401 with the Bearer challenge.
        for headers in ({}, bearer(f"{reader.key}x"), bearer("tnk_nope"), bearer("nope")):
            r = await client.get("/orders", headers=headers)
            assert (r.status_code, r.json()["code"], r.headers["www-authenticate"]) == (401, "UNAUTHORIZED", "Bearer"), headers
        # A revoked key, and a suspended tenant's.
        await manager.suspend_tenant(made.tenant.name)
        suspended = await client.get("/whoami", headers=bearer(writer.key))
        assert (suspended.status_code, suspended.json()["code"]) == (403, "TENANT_SUSPENDED")
        await manager.resume_tenant(made.tenant.name)
        assert await manager.revoke_api_key(admin, writer.info.id)
        assert (await client.post("/orders", headers=bearer(writer.key))).status_code == 401

        # The body of a new key, read by the core; the core's own checks answered from the table.
        made_key = await client.post("/keys", headers=bearer(token), json={"name": "app", "scopes": ["a"]})
        assert made_key.status_code == 201 and made_key.json()["key"].startswith(made_key.json()["prefix"] + "_")
        bad = await client.post("/keys", headers=bearer(token), json={"name": 1, "scopes": "a"})
        # Exactly the core's validation response of the core's problems (as the Rust server's).
        status, _, body = _http_validation_response([
            ("name", "invalid type: integer `1`, expected a string", "type_error"),
            ("scopes", 'invalid type: string "a", expected a sequence of strings', "type_error"),
        ])
        assert (bad.status_code, bad.json()) == (status, json.loads(body)) and status == 400
        assert [e["type"] for e in bad.json()["errors"]] == ["type_error", "type_error"]
        empty = await client.post("/keys", headers=bearer(token), json={"name": "x", "scopes": []})
        assert (empty.status_code, empty.json()["errors"][0]["field"]) == (400, "scopes")
        unnamed = await client.post("/keys", headers=bearer(token), json={"name": " ", "scopes": ["a"]})
        assert (unnamed.status_code, unnamed.json()["message"]) == (400, "name: must be 1 to 100 characters, without control characters")
        by_key = await client.post("/keys", headers=bearer(reader.key), json={"name": "x", "scopes": ["a"]})
        assert (by_key.status_code, by_key.json()["code"]) == (403, "FORBIDDEN")


def test_require_scope_needs_a_scope() -> None:
    with pytest.raises(TypeError):
        glue.require_scope()  # type: ignore[call-arg]


async def test_405_names_every_method_of_the_path(manager: TenantManager) -> None:
    app = FastAPI()
    app.state.tenants = manager
    glue.install(app)

    @app.api_route("/things", methods=["GET", "HEAD"])
    async def things() -> dict[str, str]:
        return {}

    @app.post("/things")
    async def add_thing() -> dict[str, str]:
        return {}

    @app.delete("/things/{thing_id}")
    async def drop_thing(thing_id: str) -> dict[str, str]:
        return {}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        for method in ("PUT", "PATCH", "DELETE"):
            r = await client.request(method, "/things")
            assert (r.status_code, r.headers["allow"]) == (405, "GET, HEAD, POST"), method
            assert r.json() == {"detail": "Method Not Allowed", "code": "METHOD_NOT_ALLOWED"}
        r = await client.get("/things/1")
        assert (r.status_code, r.headers["allow"]) == (405, "DELETE")
