"""The per-tenant schema and its migrations through the binding: ``set_schema`` takes the
core's declaration as a dict (values converted by pymongo's ``bson``) with migrations
written in Python, plain or async, run on the loop that awaits ``migrate()`` with a
``MigrationTenant`` whose ``collection`` is the tenant's as ``admin_collection`` gives it;
``migrate()`` applies every kind in every layout, touching nothing but its tenants' data,
once (a second run applies nothing; a tenant created afterwards is born migrated); a
function's exception fails its tenant only (``INTERNAL`` naming it, or the code of a
tenantry exception), or stops the run with ``stop_on_failure``; a dry run writes nothing;
``progress`` is called once per tenant on the loop's thread; a changed migration is a
``CONFLICT``; a bad declaration is ``InvalidInput`` about ``schema``; a run goes on, its
functions on its loop, when its caller stops waiting, and another loop's run is refused
meanwhile; the HTTP helpers parse ``POST /admin/migrate``'s query and write its body as
the core does."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import pymongo
import pytest
from bson import ObjectId
from fastapi.exceptions import RequestValidationError
from pymongo import AsyncMongoClient
from pymongo.database import Database

import tenantry.fastapi as glue
from tenantry import (
    Conflict,
    InvalidInput,
    MigrateReport,
    MigrationFailure,
    MigrationTenant,
    Tenant,
    TenantManager,
    TenantNotFound,
    TenantSuspended,
)
from tenantry._native import _http_migrate_options, _http_migrate_report_body

from conftest import PASSWORD, Doc, connect, email_for, mongo_uri, unique

LAYOUTS = ["collection", "database", "shared"]
SINCE = datetime(2026, 1, 1, tzinfo=timezone.utc)
REF = ObjectId("65a0c0ffee0123456789abcd")


@pytest.fixture
def databases(mongo: pymongo.MongoClient[Doc]) -> Iterator[set[str]]:
    """Databases a test makes besides the master one (tenants' own, a tenants_db),
    dropped afterwards."""
    made: set[str] = set()
    yield made
    for name in made:
        mongo.drop_database(name)


@pytest.fixture
async def aclient() -> AsyncIterator[AsyncMongoClient[Doc]]:
    """pymongo's async client, for async migrations, on the test's loop."""
    client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_uri())
    yield client
    await client.close()


async def new_tenant(manager: TenantManager, databases: set[str], layout: str = "collection", prefix: str = "Org") -> Tenant:
    name = unique(prefix)
    tenant = await manager.create_tenant(name, email_for(name), PASSWORD, layout=layout)
    if layout == "database":
        databases.add(tenant.database)
    return tenant


def seed() -> list[Doc]:
    """Documents every declarative kind has something to do with (or, for the third, a
    rename must leave alone: the new name is taken)."""
    return [
        {"n": 1, "mail": "a@x.io", "status": "ACTIVE"},
        {"n": 2, "email": "b@x.io", "status": "inactive", "plan": "pro"},
        {"n": 3, "mail": "old@x.io", "email": "kept@x.io"},
    ]


async def seeded(manager: TenantManager, mongo: pymongo.MongoClient[Doc], tenant: Tenant) -> None:
    data = await manager.admin_collection(tenant.name, mongo)
    data.insert_many(seed())
    data.create_index("status", name="legacy")


async def documents(manager: TenantManager, mongo: pymongo.MongoClient[Doc], tenant: Tenant) -> list[Doc]:
    data = await manager.admin_collection(tenant.name, mongo)
    found: list[Doc] = list(data.find({}, {"_id": 0}).sort("n", 1))
    return found


def snapshot(collection: Any) -> tuple[list[Doc], list[str]]:
    """Everything in a collection, stamps included, and its indexes' names."""
    return list(collection.find({}).sort("_id", 1)), sorted(i["name"] for i in collection.list_indexes())


def physical(mongo: pymongo.MongoClient[Doc], tenant: Tenant) -> Any:
    return mongo[tenant.database][tenant.collection_name]


def declarative() -> list[dict[str, Any]]:
    """One migration of each declarative kind (an update as operators and as a pipeline)."""
    return [
        {"id": "001", "create_index": {"collection": "data", "keys": {"plan": 1}, "options": {"name": "by_plan"}}},
        {"id": "002", "rename_field": {"collection": "data", "from": "mail", "to": "email"}},
        {"id": "003", "set_default": {"collection": "data", "field": "plan", "value": "free"}},
        {"id": "004", "set_default": {"collection": "data", "field": "since", "value": SINCE}},
        {"id": "005", "update": {"collection": "data", "filter": {"status": "ACTIVE"}, "update": {"$set": {"status": "active", "ref": REF}}}},
        {
            "id": "006",
            "update": {"collection": "data", "filter": {"n2": {"$exists": False}}, "update": [{"$set": {"n2": {"$multiply": ["$n", 2]}}}]},
        },
        {"id": "007", "drop_index": {"collection": "data", "name": "legacy"}},
    ]


def migrated(name: str) -> list[Doc]:
    """`seed()` after `declarative()` and the two functions of the first test: the BSON
    values (a datetime, an ObjectId) as pymongo reads them back."""
    since = SINCE.replace(tzinfo=None)
    done = {"since": since, "backfilled": name, "synced": True}
    return [
        {"n": 1, "email": "a@x.io", "status": "active", "ref": REF, "plan": "free", "n2": 2, **done},
        {"n": 2, "email": "b@x.io", "status": "inactive", "plan": "pro", "n2": 4, **done},
        {"n": 3, "mail": "old@x.io", "email": "kept@x.io", "plan": "free", "n2": 6, **done},
    ]


def same_documents(found: list[Doc], expected: list[Doc]) -> bool:
    return [dict(sorted(d.items())) for d in found] == [dict(sorted(d.items())) for d in expected]


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_every_kind_and_python_functions_apply_in_every_layout_and_touch_nothing_else(
    master_db: str,
    mongo: pymongo.MongoClient[Doc],
    aclient: AsyncMongoClient[Doc],
    databases: set[str],
    layout: str,
) -> None:
    # Two deployments share a tenants database: the bystander's tenant, and a collection no
    # tenant owns, have documents every migration would match.
    tenants_db = f"tpy_data_{uuid.uuid4().hex[:10]}"
    databases.add(tenants_db)
    manager = await connect(master_db, tenants_db=tenants_db)
    neighbours = await connect(f"{master_db}_n", tenants_db=tenants_db)
    databases.add(f"{master_db}_n")
    tenants = [await new_tenant(manager, databases, layout) for _ in range(2)]
    bystander = await new_tenant(neighbours, databases, layout, "Bystander")
    for tenant in [*tenants, bystander]:
        await seeded(manager if tenant in tenants else neighbours, mongo, tenant)
    foreign = mongo[tenants[0].database]["app_settings"]
    foreign.insert_many(seed())
    foreign.create_index("plan", name="by_plan_foreign")
    before = {"bystander": snapshot(physical(mongo, bystander)), "foreign": snapshot(foreign)}
    if layout == "shared":
        # One physical collection: the bystander's documents are compared alone.
        before["bystander"] = (
            [d for d in before["bystander"][0] if d["_tenant"] == ObjectId(bystander.id)],
            [],
        )

    loop, loop_thread = asyncio.get_running_loop(), threading.get_ident()
    calls: list[tuple[str, str, str]] = []
    given: dict[str, str] = {}

    async def backfill(tenant: MigrationTenant) -> None:
        assert asyncio.get_running_loop() is loop and threading.get_ident() == loop_thread
        calls.append(("async", tenant.tenant_id, tenant.name))
        data = tenant.collection(aclient)
        await data.update_many({"backfilled": {"$exists": False}}, {"$set": {"backfilled": tenant.name}})

    def synced(tenant: MigrationTenant) -> None:
        assert threading.get_ident() == loop_thread
        calls.append(("sync", tenant.tenant_id, tenant.name))
        data = tenant.collection(mongo, "data")
        given[tenant.tenant_id] = repr(data)
        data.update_many({}, {"$set": {"synced": True}})

    migrations = [*declarative(), {"id": "008", "function": backfill, "version": "1"}, {"id": "009", "function": synced, "version": "1"}]
    manager.set_schema({"migrations": migrations})
    report = await manager.migrate(parallelism=8, dry_run=False, stop_on_failure=False)

    assert isinstance(report, MigrateReport)
    assert (report.tenants, report.applied, report.up_to_date, report.not_started, report.failed) == (2, 2 * 9, 0, 0, [])
    assert sorted(calls) == sorted([(kind, t.id, t.name) for t in tenants for kind in ("async", "sync")])
    for tenant in tenants:
        assert same_documents(await documents(manager, mongo, tenant), migrated(tenant.name)), tenant.layout
        indexes = {i["name"]: i for i in physical(mongo, tenant).list_indexes()}
        assert "legacy" not in indexes
        stamp = {"_tenant": 1} if layout == "shared" else {}
        assert dict(indexes["by_plan"]["key"]) == {**stamp, "plan": 1}
        # The collection a function is given is the one admin_collection gives.
        assert given[tenant.id] == repr(await manager.admin_collection(tenant.name, mongo))
    if layout == "shared":
        assert given[tenants[0].id].startswith("ConfinedCollection(")
    after = {"bystander": snapshot(physical(mongo, bystander)), "foreign": snapshot(foreign)}
    if layout == "shared":
        after["bystander"] = ([d for d in after["bystander"][0] if d["_tenant"] == ObjectId(bystander.id)], [])
    assert after == before
    await neighbours.aclose()
    await manager.aclose()


async def test_a_second_run_applies_nothing_and_a_new_tenant_is_born_migrated(
    manager: TenantManager, mongo: pymongo.MongoClient[Doc], db: Database[Doc], databases: set[str]
) -> None:
    old = [await new_tenant(manager, databases) for _ in range(3)]
    for tenant in old:
        await seeded(manager, mongo, tenant)
    called: list[str] = []

    async def mark(tenant: MigrationTenant) -> None:
        called.append(tenant.name)

    manager.set_schema(
        {
            "indexes": [{"collection": "data", "keys": {"email": 1}, "options": {"unique": True, "sparse": True}}],
            "migrations": [*declarative(), {"id": "008", "function": mark, "version": "1"}],
        }
    )
    first = await manager.migrate()
    assert (first.tenants, first.applied, first.up_to_date, first.failed) == (3, 3 * 8, 0, [])
    assert sorted(called) == sorted(t.name for t in old)
    ledger = db["tenant_migrations"].count_documents({})
    assert ledger == 3 * 8

    second = await manager.migrate()
    assert (second.tenants, second.applied, second.up_to_date, second.not_started, second.failed) == (3, 0, 3, 0, [])
    assert len(called) == 3, "an applied migration never runs again"
    assert db["tenant_migrations"].count_documents({}) == ledger

    # Created after set_schema: its indexes made, every migration recorded, none run.
    born = await new_tenant(manager, databases)
    data = await manager.admin_collection(born.name, mongo)
    data.insert_one({"n": 9, "mail": "new@x.io"})
    indexes = {i["name"]: i for i in data.list_indexes()}
    assert dict(indexes["email_1"]["key"]) == {"email": 1} and indexes["email_1"]["unique"]
    assert db["tenant_migrations"].count_documents({}) == ledger + 8
    third = await manager.migrate()
    assert (third.tenants, third.applied, third.up_to_date, third.failed) == (4, 0, 4, [])
    assert born.name not in called
    assert await documents(manager, mongo, born) == [{"n": 9, "mail": "new@x.io"}], "no migration ran for it"


def failing_for(victim: str, raised: Callable[[], BaseException], plain: bool) -> Any:
    """A migration function raising `raised()` for the tenant named `victim` only; plain
    (raising when called) or async (raising in its task)."""
    if plain:

        def function(tenant: MigrationTenant) -> None:
            if tenant.name == victim:
                raise raised()

        return function

    async def coroutine(tenant: MigrationTenant) -> None:
        await asyncio.sleep(0)
        if tenant.name == victim:
            raise raised()

    return coroutine


@pytest.mark.parametrize("plain", [False, True], ids=["async", "plain"])
async def test_a_failing_function_fails_its_tenant_only(
    manager: TenantManager, mongo: pymongo.MongoClient[Doc], databases: set[str], plain: bool
) -> None:
    tenants = [await new_tenant(manager, databases) for _ in range(3)]
    for tenant in tenants:
        await seeded(manager, mongo, tenant)
    victim = tenants[1]
    broken = {"on": True}
    function = failing_for(victim.name, lambda: ValueError(f"no plan for {victim.name}"), plain)

    def fixed(tenant: MigrationTenant) -> Any:
        return function(tenant) if broken["on"] else None

    schema = {
        "migrations": [
            {"id": "001", "set_default": {"collection": "data", "field": "plan", "value": "free"}},
            {"id": "002", "function": fixed, "version": "1"},
            {"id": "003", "rename_field": {"collection": "data", "from": "mail", "to": "email"}},
        ]
    }
    manager.set_schema(schema)
    report = await manager.migrate(parallelism=3)
    assert (report.tenants, report.applied, report.up_to_date, report.not_started) == (3, 2 * 3 + 1, 0, 0)
    [failure] = report.failed
    assert isinstance(failure, MigrationFailure)
    assert (failure.tenant_id, failure.name, failure.migration, failure.code) == (victim.id, victim.name, "002", "INTERNAL")
    assert "ValueError" in failure.message and f"no plan for {victim.name}" in failure.message
    assert failure.to_dict() == {
        "tenant_id": victim.id,
        "name": victim.name,
        "migration": "002",
        "code": "INTERNAL",
        "message": failure.message,
    }
    # The victim stopped at its failure (001 applied, 003 not); the others went on.
    def first(docs: list[Doc]) -> tuple[bool, str]:
        return "mail" in docs[0], docs[0]["plan"]

    assert first(await documents(manager, mongo, victim)) == (True, "free")
    for tenant in (tenants[0], tenants[2]):
        assert first(await documents(manager, mongo, tenant)) == (False, "free")

    # Fixed, the next run applies what the victim lacks, and only that.
    broken["on"] = False
    again = await manager.migrate()
    assert (again.applied, again.up_to_date, again.failed) == (2, 2, [])
    assert first(await documents(manager, mongo, victim)) == (False, "free")


async def test_stop_on_failure_starts_no_other_tenant(manager: TenantManager, databases: set[str]) -> None:
    tenants = [await new_tenant(manager, databases) for _ in range(4)]
    called: list[str] = []

    def first_fails(tenant: MigrationTenant) -> None:
        called.append(tenant.name)
        if tenant.name == tenants[0].name:
            raise RuntimeError("broken")

    manager.set_schema({"migrations": [{"id": "001", "function": first_fails, "version": "1"}]})
    report = await manager.migrate(parallelism=1, stop_on_failure=True)
    assert (report.tenants, report.applied, report.up_to_date, report.not_started) == (4, 0, 0, 3)
    assert [f.name for f in report.failed] == [tenants[0].name]
    assert called == [tenants[0].name]
    # Without it, the others go on.
    report = await manager.migrate(parallelism=1)
    assert (report.applied, report.not_started, [f.name for f in report.failed]) == (3, 0, [tenants[0].name])


@pytest.mark.parametrize("plain", [False, True], ids=["async", "plain"])
@pytest.mark.parametrize(
    ("raised", "code", "message"),
    [
        (lambda: Conflict("the billing system is busy"), "CONFLICT", "the billing system is busy"),
        (lambda: InvalidInput("plan names must be lowercase"), "INVALID_INPUT", "invalid migration: plan names must be lowercase"),
        (lambda: TenantNotFound("Gone Corp"), "TENANT_NOT_FOUND", "tenant not found: Gone Corp"),
        (lambda: TenantSuspended("Frozen Corp"), "TENANT_SUSPENDED", "tenant suspended: Frozen Corp"),
    ],
    ids=["conflict", "invalid", "not-found", "suspended"],
)
async def test_a_tenantry_exception_keeps_its_code(
    manager: TenantManager, databases: set[str], plain: bool, raised: Callable[[], BaseException], code: str, message: str
) -> None:
    victim = await new_tenant(manager, databases)
    manager.set_schema({"migrations": [{"id": "001", "function": failing_for(victim.name, raised, plain), "version": "1"}]})
    report = await manager.migrate()
    assert [(f.name, f.code, f.message) for f in report.failed] == [(victim.name, code, message)]


async def test_an_error_of_the_core_in_a_function_keeps_its_code_and_message(manager: TenantManager, databases: set[str]) -> None:
    victim = await new_tenant(manager, databases)

    async def looks_up(tenant: MigrationTenant) -> None:
        await manager.get_tenant("Nobody Here")

    manager.set_schema({"migrations": [{"id": "001", "function": looks_up, "version": "1"}]})
    report = await manager.migrate()
    assert [(f.name, f.code, f.message) for f in report.failed] == [(victim.name, "TENANT_NOT_FOUND", "tenant not found: Nobody Here")]


async def test_a_dry_run_writes_nothing(
    manager: TenantManager, mongo: pymongo.MongoClient[Doc], db: Database[Doc], databases: set[str]
) -> None:
    tenants = [await new_tenant(manager, databases, layout) for layout in LAYOUTS]
    for tenant in tenants:
        await seeded(manager, mongo, tenant)
    before = [snapshot(physical(mongo, t)) for t in tenants]
    called: list[str] = []
    manager.set_schema({"migrations": [*declarative(), {"id": "008", "function": lambda t: called.append(t.name), "version": "1"}]})

    report = await manager.migrate(dry_run=True)
    assert (report.tenants, report.applied, report.up_to_date, report.failed) == (3, 3 * 8, 0, [])
    assert called == []
    assert [snapshot(physical(mongo, t)) for t in tenants] == before
    assert db["tenant_migrations"].count_documents({}) == 0
    # And again: nothing was recorded.
    assert (await manager.migrate(dry_run=True)).applied == 3 * 8
    real = await manager.migrate()
    assert (real.applied, sorted(called)) == (3 * 8, sorted(t.name for t in tenants))
    assert (await manager.migrate(dry_run=True)).up_to_date == 3


async def test_progress_is_called_once_per_tenant_on_the_loop_thread(manager: TenantManager, databases: set[str]) -> None:
    for _ in range(5):
        await new_tenant(manager, databases)
    manager.set_schema({"migrations": [{"id": "001", "function": lambda t: asyncio.sleep(0.01), "version": "1"}]})
    loop_thread = threading.get_ident()
    seen: list[tuple[int, int]] = []
    threads: set[int] = set()

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        threads.add(threading.get_ident())

    report = await manager.migrate(parallelism=3, progress=progress)
    assert report.applied == 5
    # Every report delivered before the run's future was done, on the loop's thread.
    assert sorted(seen) == [(n, 5) for n in range(1, 6)]
    assert threads == {loop_thread}
    # Again with nothing to apply: still one per tenant.
    seen.clear()
    await manager.migrate(progress=progress)
    assert sorted(seen) == [(n, 5) for n in range(1, 6)]


@pytest.mark.parametrize("progress", [42, "progress"])
async def test_progress_must_be_callable(manager: TenantManager, progress: Any) -> None:
    manager.set_schema({"migrations": []})
    with pytest.raises(TypeError, match="callable"):
        await manager.migrate(progress=progress)


async def test_progress_must_not_be_a_coroutine_function(manager: TenantManager) -> None:
    async def progress(done: int, total: int) -> None: ...

    manager.set_schema({"migrations": []})
    with pytest.raises(TypeError, match="plain function"):
        await manager.migrate(progress=progress)


async def test_a_changed_migration_is_a_conflict(
    manager: TenantManager, mongo: pymongo.MongoClient[Doc], databases: set[str]
) -> None:
    tenants = [await new_tenant(manager, databases) for _ in range(2)]
    called: list[str] = []

    def record(tenant: MigrationTenant) -> None:
        called.append(tenant.name)

    rename = {"id": "001", "rename_field": {"collection": "data", "from": "mail", "to": "email"}}
    manager.set_schema({"migrations": [rename, {"id": "002", "function": record, "version": "1"}]})
    assert (await manager.migrate()).applied == 4

    # The function's version changed: its declared content did.
    manager.set_schema({"migrations": [rename, {"id": "002", "function": record, "version": "2"}]})
    report = await manager.migrate()
    assert sorted((f.name, f.migration, f.code) for f in report.failed) == sorted((t.name, "002", "CONFLICT") for t in tenants)
    assert len(called) == 2, "a changed migration does not run"
    # A declarative one changed likewise.
    moved = {"id": "001", "rename_field": {"collection": "data", "from": "mail", "to": "address"}}
    manager.set_schema({"migrations": [moved, {"id": "002", "function": record, "version": "1"}]})
    report = await manager.migrate()
    assert sorted((f.migration, f.code) for f in report.failed) == [("001", "CONFLICT")] * 2
    # The same content again (another function object, the same version) is up to date.
    manager.set_schema({"migrations": [rename, {"id": "002", "function": lambda t: None, "version": "1"}]})
    report = await manager.migrate()
    assert (report.up_to_date, report.failed) == (2, [])


def noop(tenant: MigrationTenant) -> None:
    pass


@pytest.mark.parametrize(
    ("schema", "says"),
    [
        ([], "must be a dict"),
        ({"migration": []}, "unknown key"),
        ({"migrations": {"id": "001"}}, "'migrations' must be a list"),
        ({"indexes": "email"}, "'indexes' must be a list"),
        ({"migrations": [{"id": "001", "function": "noop", "version": "1"}]}, "must be callable"),
        ({"migrations": [{"id": "001", "function": {"version": "1"}}]}, "must be callable"),
        ({"migrations": [{"id": "001", "function": noop}]}, "'version' is missing"),
        ({"migrations": [{"id": "001", "function": noop, "version": 1}]}, "'version' must be a string"),
        ({"migrations": [{"function": noop, "version": "1"}]}, "'id' must be a string"),
        ({"migrations": [{"id": "001", "explode": {"collection": "data"}}]}, "unknown kind 'explode'"),
        ({"migrations": [{"id": "001", "drop_index": {"collection": "data", "name": "x"}, "version": "1"}]}, "one kind of step"),
        ({"migrations": [{"id": "001", "rename_field": {"collection": "data", "from": "a"}}]}, "'to' must be a string"),
        ({"migrations": [{"id": "001", "update": {"collection": "data", "update": 3}}]}, "'update' must be an object or a pipeline"),
        ({"migrations": [{"id": "001", "set_default": {"collection": "data", "field": "x", "value": object()}}]}, "cannot be converted to BSON"),
        (
            {"migrations": [{"id": "001", "drop_index": {"collection": "d", "name": "x"}}, {"id": "001", "drop_index": {"collection": "d", "name": "y"}}]},
            "'001' is declared twice",
        ),
        ({"migrations": [{"id": "001", "function": noop, "version": "1"}, {"id": "001", "function": noop, "version": "2"}]}, "'001' is declared twice"),
        (
            {"migrations": [{"id": "001", "function": noop, "version": "1"}, {"id": "001", "drop_index": {"collection": "d", "name": "y"}}]},
            "'001' is declared twice",
        ),
        ({"migrations": [{"id": " ", "drop_index": {"collection": "d", "name": "y"}}]}, "must not be empty"),
        ({"indexes": [{"collection": "data", "keys": "email"}]}, "'keys' must be an object"),
    ],
)
async def test_bad_declarations_raise_invalid_input(manager: TenantManager, schema: Any, says: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        manager.set_schema(schema)
    assert caught.value.field == "schema" and caught.value.code == "INVALID_INPUT"
    assert says in str(caught.value), str(caught.value)
    # Nothing was declared.
    with pytest.raises(InvalidInput) as none:
        await manager.migrate()
    assert none.value.field == "schema"


async def test_a_refused_declaration_keeps_the_one_before_and_bad_options_are_refused(
    manager: TenantManager, databases: set[str]
) -> None:
    await new_tenant(manager, databases)
    manager.set_schema({"migrations": [{"id": "001", "set_default": {"collection": "data", "field": "plan", "value": "free"}}]})
    with pytest.raises(InvalidInput):
        manager.set_schema({"migrations": [{"id": "001", "function": noop}]})
    assert (await manager.migrate(dry_run=True)).applied == 1
    for parallelism in (0, 257, -1, 2**70):
        with pytest.raises(InvalidInput) as caught:
            await manager.migrate(parallelism=parallelism)
        assert caught.value.field == "parallelism"
    with pytest.raises(TypeError):
        await manager.migrate(parallelism="8")  # type: ignore[arg-type]


async def test_an_empty_schema_runs_and_migrate_needs_a_running_loop(manager: TenantManager) -> None:
    manager.set_schema({"migrations": []})
    report = await manager.migrate()
    assert (report.tenants, report.applied, report.failed) == (0, 0, [])
    assert report == await manager.migrate() and report.to_dict() == {
        "tenants": 0,
        "applied": 0,
        "up_to_date": 0,
        "not_started": 0,
        "failed": [],
    }
    with pytest.raises(RuntimeError):
        await asyncio.to_thread(manager.migrate)


async def test_the_http_helpers_parse_the_query_and_write_the_body(manager: TenantManager, databases: set[str]) -> None:
    assert _http_migrate_options("") == {"dry_run": False, "stop_on_failure": False}
    assert _http_migrate_options("dry_run=true&parallelism=8&stop_on_failure=false&other=1") == {
        "parallelism": 8,
        "dry_run": True,
        "stop_on_failure": False,
    }
    with pytest.raises(InvalidInput) as caught:
        _http_migrate_options("stop_on_failure=yes&parallelism=-1&dry_run=1")
    assert caught.value.field == "dry_run"
    assert [(f, k) for f, _m, k in caught.value.problems or []] == [
        ("dry_run", "value_error"),
        ("parallelism", "value_error"),
        ("stop_on_failure", "value_error"),
    ]
    with pytest.raises(RequestValidationError):
        glue.migrate_options("dry_run=maybe")
    assert glue.migrate_options("parallelism=2") == {"parallelism": 2, "dry_run": False, "stop_on_failure": False}

    ok, victim = await new_tenant(manager, databases), await new_tenant(manager, databases)

    def fails(tenant: MigrationTenant) -> None:
        if tenant.name == victim.name:
            raise ValueError("nope")

    manager.set_schema({"migrations": [{"id": "001", "function": fails, "version": "1"}]})
    report = await manager.migrate(**glue.migrate_options("parallelism=2"))
    body = _http_migrate_report_body(report)
    assert body == glue.migrate_report_body(report) == {
        "tenants": 2,
        "applied": 1,
        "up_to_date": 0,
        "not_started": 0,
        "failed": [
            {
                "organization_id": victim.id,
                "organization_name": victim.name,
                "migration": "001",
                "code": "INTERNAL",
                "message": "internal error: ValueError: nope",
            }
        ],
    }
    assert ok.name not in repr(report.failed)


async def test_a_run_goes_on_when_its_caller_stops_waiting_and_another_loop_is_refused_meanwhile(
    manager: TenantManager, databases: set[str]
) -> None:
    tenants = [await new_tenant(manager, databases) for _ in range(2)]
    loop = asyncio.get_running_loop()
    started, gate = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def slow(t: MigrationTenant) -> None:
        assert asyncio.get_running_loop() is loop
        started.set()
        await gate.wait()
        finished.append(t.name)

    manager.set_schema({"migrations": [{"id": "001", "function": slow, "version": "1"}]})
    first = asyncio.ensure_future(manager.migrate(parallelism=1))
    either: list[asyncio.Future[Any]] = [first, asyncio.ensure_future(started.wait())]
    await asyncio.wait(either, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    assert started.is_set(), first.result() if first.done() else "the function was not called"

    def from_another_loop() -> MigrateReport:
        async def run() -> MigrateReport:
            return await manager.migrate()

        return asyncio.run(run())

    # The functions run on the loop of the runs going on: another loop's run is refused.
    with pytest.raises(Conflict) as caught:
        await asyncio.to_thread(from_another_loop)
    assert "another event loop" in str(caught.value)
    # The caller stops waiting; the run goes on, the second tenant's function scheduled on
    # this loop after the cancellation.
    first.cancel()
    gate.set()
    for _ in range(500):
        if len(finished) == 2:
            break
        await asyncio.sleep(0.01)
    assert sorted(finished) == sorted(t.name for t in tenants)
    for _ in range(200):
        if (await manager.migrate(dry_run=True)).up_to_date == 2:
            break
        await asyncio.sleep(0.02)
    # Once it has ended, another loop may run.
    report = await asyncio.to_thread(from_another_loop)
    assert (report.up_to_date, report.failed) == (2, [])
