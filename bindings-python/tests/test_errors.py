"""Every exception class: raised by the real operations where the server can provoke it,
with its stable ``code`` and its extra attributes; the conversion of the rest."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from bson import ObjectId
from pymongo.database import Database

import tenantry
from tenantry import TenantManager, exceptions
from tenantry._native import _error_codes, _raise_sample_error, _sample_panic

from conftest import JWT_SECRET, PASSWORD, Doc, connect, create, email_for, mongo_uri, unique

CODES = {cls: code for code, cls in exceptions.BY_CODE.items()}

#: The builtin each kind is also a case of.
BUILTINS: dict[str, type[Exception]] = {
    "TENANT_NOT_FOUND": LookupError,
    "TENANT_ALREADY_EXISTS": ValueError,
    "INVALID_INPUT": ValueError,
    "INVALID_CREDENTIALS": PermissionError,
    "UNAUTHORIZED": PermissionError,
    "FORBIDDEN": PermissionError,
    "CONFLICT": RuntimeError,
    "TOO_MANY_ATTEMPTS": PermissionError,
    "CONFIG": ValueError,
    "CLOSED": RuntimeError,
    "DATABASE": ConnectionError,
    "INTERNAL": RuntimeError,
    "TENANT_SUSPENDED": PermissionError,
    "LAST_OWNER": ValueError,
}


def test_exceptions_module_exports_the_hierarchy() -> None:
    assert set(exceptions.__all__) == {"TenantryError", "BY_CODE", *(cls.__name__ for cls in CODES)}
    for cls, code in CODES.items():
        assert issubclass(cls, exceptions.TenantryError)
        assert issubclass(cls, BUILTINS[code]), (cls, BUILTINS[code])
        assert cls.__module__ == "tenantry.exceptions"
        assert cls.code == code  # a class attribute too
        assert getattr(tenantry, cls.__name__) is cls


def test_every_core_code_has_a_class_and_a_builtin() -> None:
    assert sorted(_error_codes()) == sorted(CODES.values()) == sorted(BUILTINS)


def test_each_error_carries_exactly_the_core_details() -> None:
    for code in _error_codes():
        with pytest.raises(exceptions.TenantryError) as caught:
            _raise_sample_error(code)
        details = {k: v for k, v in vars(caught.value).items()}
        assert set(details) == {"code", "field", "reason", "retry_after"}, details


def test_an_unknown_sample_code_is_refused() -> None:
    with pytest.raises(ValueError, match="NOT_A_CODE"):
        _raise_sample_error("NOT_A_CODE")


@pytest.mark.parametrize(("cls", "code"), CODES.items(), ids=list(CODES.values()))
def test_each_core_code_becomes_its_class(cls: type[exceptions.TenantryError], code: str) -> None:
    with pytest.raises(cls) as caught:
        _raise_sample_error(code)
    assert type(caught.value) is cls
    assert caught.value.code == code
    assert str(caught.value)


def test_extra_attributes_of_the_sample_errors() -> None:
    with pytest.raises(exceptions.TooManyAttempts) as too_many:
        _raise_sample_error("TOO_MANY_ATTEMPTS")
    assert too_many.value.retry_after == 42
    with pytest.raises(exceptions.InvalidInput) as invalid:
        _raise_sample_error("INVALID_INPUT")
    assert (invalid.value.field, invalid.value.reason) == ("password", "is too short")


async def test_a_panic_in_rust_is_an_internal_error_not_a_hang() -> None:
    with pytest.raises(exceptions.InternalError, match="panicked: sample panic") as caught:
        await asyncio.wait_for(_sample_panic(), timeout=10)
    assert caught.value.code == "INTERNAL"


async def test_not_found(manager: TenantManager) -> None:
    with pytest.raises(exceptions.TenantNotFound) as caught:
        await manager.get_tenant(unique("Ghost"))
    assert caught.value.code == "TENANT_NOT_FOUND"


async def test_already_exists_names_the_field(manager: TenantManager, db: Database[Doc]) -> None:
    made = await create(manager)
    with pytest.raises(exceptions.TenantAlreadyExists) as by_name:
        await manager.create_tenant(made.tenant.name.upper(), email_for("x y"), PASSWORD)
    assert (by_name.value.code, by_name.value.field) == ("TENANT_ALREADY_EXISTS", "name")
    other = unique()
    with pytest.raises(exceptions.TenantAlreadyExists) as by_email:
        await manager.create_tenant(other, made.email.upper(), PASSWORD)
    assert by_email.value.field == "email"
    assert str(by_email.value) == by_email.value.reason
    assert isinstance(by_email.value, ValueError)
    assert db.organizations.count_documents({"organization_name": other}) == 0


@pytest.mark.parametrize(
    ("name", "email", "password", "field"),
    [
        ("", "a@b.co", PASSWORD, "name"),
        ("pay$day", "a@b.co", PASSWORD, "name"),
        ("nul\0byte", "a@b.co", PASSWORD, "name"),
        ("system.users", "a@b.co", PASSWORD, "name"),
        ("x" * 300, "a@b.co", PASSWORD, "name"),
        ("Valid Name", "not-an-email", PASSWORD, "email"),
        ("Valid Name", "a@b.co", "short", "password"),
    ],
)
async def test_invalid_input_names_the_field_and_writes_nothing(
    manager: TenantManager, db: Database[Doc], name: str, email: str, password: str, field: str
) -> None:
    with pytest.raises(exceptions.InvalidInput) as caught:
        await manager.create_tenant(name, email, password)
    assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", field)
    assert caught.value.reason and caught.value.reason in str(caught.value)
    assert db.organizations.count_documents({}) == 0
    assert not [c for c in db.list_collection_names() if c.startswith("org_")]


async def test_invalid_credentials_for_wrong_password_and_unknown_email(manager: TenantManager) -> None:
    made = await create(manager)
    for email, password in [(made.email, "not-the-password"), ("nobody@nowhere.example", PASSWORD)]:
        with pytest.raises(exceptions.InvalidCredentials) as caught:
            await manager.authenticate(email, password)
        assert caught.value.code == "INVALID_CREDENTIALS"
        assert str(caught.value) == "Invalid email or password"


async def test_too_many_attempts_locks_the_pair_then_the_client(master_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    manager = await connect(master_db, login_max_failures=3, login_lockout_seconds=120)
    assert manager.settings["login_max_failures"] == 3
    made = await create(manager)
    for _ in range(3):
        with pytest.raises(exceptions.InvalidCredentials):
            await manager.authenticate(made.email, "not-the-password", client="203.0.113.7")
    # Locked now for that client, even with the right password.
    with pytest.raises(exceptions.TooManyAttempts) as caught:
        await manager.authenticate(made.email, made.password, client="203.0.113.7")
    assert caught.value.code == "TOO_MANY_ATTEMPTS"
    assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 120
    # The owner, from another address, is not locked out.
    assert (await manager.authenticate(made.email, made.password, client="198.51.100.1")).tenant_id

    # Per client: one client trying many emails is locked too (LOGIN_CLIENT_MAX_FAILURES).
    monkeypatch.setenv("MONGO_URI", mongo_uri())
    monkeypatch.setenv("JWT_SECRET", JWT_SECRET)
    monkeypatch.setenv("MASTER_DB", master_db)
    monkeypatch.setenv("BCRYPT_COST", "4")
    monkeypatch.setenv("LOGIN_CLIENT_MAX_FAILURES", "3")
    sprayed = await TenantManager.from_env()
    other = await create(sprayed)
    for n in range(3):
        with pytest.raises(exceptions.InvalidCredentials):
            await sprayed.authenticate(f"guess-{n}@nowhere.example", PASSWORD, client="203.0.113.9")
    with pytest.raises(exceptions.TooManyAttempts):
        await sprayed.authenticate(other.email, other.password, client="203.0.113.9")
    assert (await sprayed.authenticate(other.email, other.password, client="198.51.100.1")).tenant_id


async def test_unauthorized_tokens(manager: TenantManager, master_db: str) -> None:
    made = await create(manager)
    token = (await manager.authenticate(made.email, made.password)).access_token
    none_alg = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + token.split(".")[1] + "."
    for bad in ["", "garbage", "a.b.c", none_alg, token[:-2]]:
        with pytest.raises(exceptions.Unauthorized) as caught:
            await manager.verify_token(bad)
        assert caught.value.code == "UNAUTHORIZED"
        with pytest.raises(exceptions.Unauthorized):
            manager.decode_token(bad)
    other_key = await TenantManager.connect(
        mongo_uri=mongo_uri(), jwt_secret="another-secret-0123456789", master_db=master_db, bcrypt_cost=4
    )
    with pytest.raises(exceptions.Unauthorized):
        await other_key.verify_token(token)


async def test_forbidden_when_the_named_tenant_is_not_the_claims(manager: TenantManager) -> None:
    mine, theirs = await create(manager), await create(manager)
    claims = await manager.verify_token((await manager.authenticate(mine.email, mine.password)).access_token)
    # The operations act on the claims' own tenant; an API that names its target checks it.
    for name in [theirs.tenant.name, theirs.tenant.name.upper()]:
        with pytest.raises(exceptions.Forbidden) as caught:
            manager.check_tenant_name(claims, name)
        assert caught.value.code == "FORBIDDEN"
        assert isinstance(caught.value, PermissionError)
    manager.check_tenant_name(claims, mine.tenant.name.lower())
    renamed = await manager.rename_tenant(claims, unique("Mine"))
    assert renamed.id == mine.tenant.id
    assert await manager.get_tenant(theirs.tenant.name) == theirs.tenant


async def test_conflict_while_another_operation_holds_the_tenant(
    manager: TenantManager, db: Database[Doc]
) -> None:
    made = await create(manager)
    claims = await manager.verify_token((await manager.authenticate(made.email, made.password)).access_token)
    # What an update in flight on another process leaves in the record, lease still running.
    journal = {
        "id": ObjectId(), "owner": ObjectId(), "renewed_at": datetime.now(timezone.utc), "lease_ms": 300_000,
        "step": 0,
        "detail": {"kind": "update", "admin_id": ObjectId(made.tenant.admin_id), "token_version": 0,
                   "admin_email": made.email},
    }
    db.organizations.update_one(
        {"_id": ObjectId(made.tenant.id)}, {"$set": {"state": "updating", "op": journal}}
    )
    with pytest.raises(exceptions.Conflict) as caught:
        await manager.delete_tenant(claims)
    assert caught.value.code == "CONFLICT"


async def test_config_errors(master_db: str) -> None:
    bad_settings: list[dict[str, object]] = [
        {"jwt_secret": "short"},
        {"jwt_algorithm": "none"},
        {"jwt_algorithm": "RS256"},
        {"bcrypt_cost": 3},
        {"bcrypt_cost": 32},
        {"jwt_expire_minutes": 0},
        {"jwt_leeway_seconds": 3600},
        {"master_db": "a.b"},
        {"master_db": ""},
        {"login_window_seconds": 0},
        {"login_lockout_seconds": 0},
        {"mongo_uri": "http://not-mongo"},
    ]
    for bad in bad_settings:
        settings: dict[str, object] = {"mongo_uri": mongo_uri(), "jwt_secret": JWT_SECRET, "master_db": master_db}
        settings.update(bad)
        with pytest.raises(exceptions.ConfigError) as caught:
            await TenantManager.connect(**settings)  # type: ignore[arg-type]
        assert caught.value.code == "CONFIG", bad
        assert next(iter(bad)) in str(caught.value), caught.value


async def test_from_env_without_secret_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWT_SECRET", raising=False)
    with pytest.raises(exceptions.ConfigError, match="JWT_SECRET"):
        await TenantManager.from_env()


async def test_unreachable_server_is_a_database_error(master_db: str) -> None:
    with pytest.raises(exceptions.DatabaseError) as caught:
        await TenantManager.connect(
            mongo_uri="mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300",
            jwt_secret=JWT_SECRET,
            master_db=master_db,
        )
    assert caught.value.code == "DATABASE"


async def test_wrong_argument_types_are_type_errors(manager: TenantManager) -> None:
    with pytest.raises(TypeError):
        manager.get_tenant(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        manager.delete_tenant("not claims")  # type: ignore[arg-type]
