"""Online moves through the binding: ``move_tenant`` between every pair of layouts on the
home server, its progress reports (a callback called on the event loop's thread, or an
async iterator), its typed errors, and ``check_operator``."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pymongo
import pytest
from bson import ObjectId
from pymongo.database import Database

from tenantry import (
    HOME_CLUSTER,
    Claims,
    Conflict,
    Forbidden,
    InvalidInput,
    MoveProgress,
    MoveProgressIterator,
    Tenant,
    TenantManager,
    TenantNotFound,
    Unauthorized,
)

from conftest import PASSWORD, Doc, connect, email_for, unique

LAYOUTS = ("collection", "database", "shared")
PAIRS = [(a, b) for a in LAYOUTS for b in LAYOUTS if a != b]
OPERATOR_TOKEN = "binding-operator-token-0123456789"


@pytest.fixture
def databases(mongo: pymongo.MongoClient[Doc]) -> Iterator[set[str]]:
    """The `database` layout's databases a test makes, dropped afterwards."""
    made: set[str] = set()
    yield made
    for name in made:
        mongo.drop_database(name)


async def claims_of(manager: TenantManager, email: str) -> Claims:
    login = await manager.authenticate(email, PASSWORD)
    return await manager.verify_token(login.access_token)


async def tenant_with_data(
    manager: TenantManager, client: pymongo.MongoClient[Doc], layout: str, count: int, databases: set[str]
) -> tuple[Tenant, str, list[Doc]]:
    """A tenant in `layout` holding `count` documents in its default collection, with its
    admin's email and the documents."""
    name = unique(layout.title())
    email = email_for(name)
    tenant = await manager.create_tenant(name, email, PASSWORD, layout=layout)
    if layout == "database":
        databases.add(tenant.database)
    docs: list[Doc] = [{"_id": ObjectId(), "n": i, "layout": layout} for i in range(count)]
    if docs:
        manager.collection(await claims_of(manager, email), client).insert_many(docs)
    return tenant, email, docs


def left_in_source(client: pymongo.MongoClient[Doc], tenant: Tenant) -> int:
    """The tenant's documents still where `tenant` (as it was before the move) had them."""
    source = client[tenant.database][tenant.collection_name]
    only_its = {"_tenant": ObjectId(tenant.id)} if tenant.layout == "shared" else {}
    return source.count_documents(only_its)


def check_reports(reports: list[MoveProgress], total: int) -> None:
    """What a move reports: the copy from nothing to everything, its catch-up, then done."""
    phases = [r.phase for r in reports]
    assert phases[0] == "copy" and phases[-1] == "done", phases
    assert phases.count("done") == 1 and "catch-up" in phases, phases
    assert set(phases) == {"copy", "catch-up", "done"}, phases
    working = reports[:-1]
    assert working[0].copied == 0 and working[0].total == total
    assert [r.copied for r in working] == sorted(r.copied for r in working), "copied only grows"
    last = working[-1]
    assert last.phase == "catch-up" and last.copied == last.total == total, last
    for r in working:
        assert r.copied <= r.total and r.rate >= 0
        assert r.eta is None or r.eta >= 0
        assert isinstance(r.copied, int) and isinstance(r.rate, float)


@pytest.mark.parametrize(("source", "target"), PAIRS)
async def test_move_between_layouts_with_a_progress_callback(
    manager: TenantManager,
    mongo: pymongo.MongoClient[Doc],
    databases: set[str],
    source: str,
    target: str,
) -> None:
    before, email, docs = await tenant_with_data(manager, mongo, source, 2500, databases)
    loop_thread = threading.get_ident()
    reports: list[MoveProgress] = []
    threads: set[int] = set()

    def progress(p: MoveProgress) -> None:
        reports.append(p)
        threads.add(threading.get_ident())

    # Any spelling of the name, as get_tenant.
    moved = await manager.move_tenant(before.name.upper(), layout=target, progress=progress)
    if target == "database":
        databases.add(moved.database)

    assert (moved.id, moved.name, moved.layout, moved.cluster) == (before.id, before.name, target, HOME_CLUSTER)
    assert await manager.get_tenant(before.name) == moved
    # Every report was delivered on the loop's thread before the move's future was done.
    assert threads == {loop_thread}
    check_reports(reports, len(docs))
    # The same documents, found through the tenant's claims in the new place; none left behind.
    claims = await claims_of(manager, email)
    assert (claims.layout, claims.database, claims.collection_name) == (target, moved.database, moved.collection_name)
    assert list(manager.collection(claims, mongo).find({}).sort("_id", 1)) == docs
    assert left_in_source(mongo, before) == 0


async def test_move_progress_as_an_async_iterator(
    manager: TenantManager, mongo: pymongo.MongoClient[Doc], databases: set[str]
) -> None:
    before, email, docs = await tenant_with_data(manager, mongo, "collection", 1500, databases)
    place = before
    for target in ("database", "shared", "collection"):
        moving = manager.move_tenant_progress(place.name, layout=target)
        assert isinstance(moving, MoveProgressIterator) and moving.__aiter__() is moving
        assert moving.tenant is None and repr(moving) == "MoveProgressIterator(not started)"
        reports = [p async for p in moving]
        check_reports(reports, len(docs))
        moved = moving.tenant
        assert moved is not None and repr(moving) == "MoveProgressIterator(done)"
        assert (moved.id, moved.layout) == (before.id, target)
        if target == "database":
            databases.add(moved.database)
        assert await manager.get_tenant(before.name) == moved
        assert left_in_source(mongo, place) == 0
        # Ended: a second iteration yields nothing.
        assert [p async for p in moving] == []
        place = moved
    claims = await claims_of(manager, email)
    assert list(manager.collection(claims, mongo).find({}).sort("_id", 1)) == docs


async def test_an_empty_tenant_moves_too(manager: TenantManager, mongo: pymongo.MongoClient[Doc], databases: set[str]) -> None:
    before, _email, _docs = await tenant_with_data(manager, mongo, "shared", 0, databases)
    reports: list[MoveProgress] = []
    moved = await manager.move_tenant(before.name, layout="database", progress=reports.append)
    databases.add(moved.database)
    assert moved.layout == "database"
    assert [r.phase for r in reports][-1] == "done"
    assert all(r.copied == r.total == 0 for r in reports)


async def test_a_raising_callback_does_not_break_the_move(
    manager: TenantManager, mongo: pymongo.MongoClient[Doc], databases: set[str]
) -> None:
    before, email, docs = await tenant_with_data(manager, mongo, "collection", 2100, databases)
    loop = asyncio.get_running_loop()
    handled: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: handled.append(context))
    calls: list[MoveProgress] = []

    def progress(p: MoveProgress) -> None:
        calls.append(p)
        raise ValueError(f"listener failed at {p.phase}")

    try:
        moved = await manager.move_tenant(before.name, layout="shared", progress=progress)
    finally:
        loop.set_exception_handler(None)
    assert moved.layout == "shared"
    # Every report still reached the callback, and each exception the loop's handler.
    check_reports(calls, len(docs))
    assert len(handled) == len(calls)
    for context in handled:
        assert isinstance(context["exception"], ValueError)
        assert "progress callback" in context["message"] and context["callback"] is progress
    claims = await claims_of(manager, email)
    assert manager.collection(claims, mongo).count_documents({}) == len(docs)


@pytest.mark.parametrize("progress", [42, "print"])
async def test_progress_must_be_callable(manager: TenantManager, progress: Any) -> None:
    with pytest.raises(TypeError, match="callable"):
        await manager.move_tenant("Anyone", layout="shared", progress=progress)


async def test_progress_must_not_be_a_coroutine_function(manager: TenantManager, db: Database[Doc]) -> None:
    name = unique("Plain")
    tenant = await manager.create_tenant(name, email_for(name), PASSWORD)

    async def progress(_p: MoveProgress) -> None:
        pass

    with pytest.raises(TypeError, match="plain function"):
        await manager.move_tenant(name, layout="shared", progress=progress)
    # Refused before anything started.
    assert await manager.get_tenant(name) == tenant


async def test_move_errors_are_typed(manager: TenantManager, db: Database[Doc]) -> None:
    name = unique("Stayer")
    tenant = await manager.create_tenant(name, email_for(name), PASSWORD)

    with pytest.raises(TenantNotFound) as missing:
        await manager.move_tenant(unique("Ghost"), layout="shared")
    assert missing.value.code == "TENANT_NOT_FOUND" and isinstance(missing.value, LookupError)

    refusals: list[tuple[str | None, str | None, str]] = [
        (None, None, "target"),  # nowhere named
        ("collection", None, "target"),  # there already
        (None, HOME_CLUSTER, "target"),
        ("tables", None, "layout"),
        ("", None, "layout"),
        (None, "mars", "cluster"),
    ]
    for layout, cluster, field in refusals:
        with pytest.raises(InvalidInput) as caught:
            await manager.move_tenant(name, layout=layout, cluster=cluster)
        assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", field), (layout, cluster)
        assert isinstance(caught.value, ValueError)
        # The iterator raises the same, when iterated.
        with pytest.raises(InvalidInput) as caught:
            async for _ in manager.move_tenant_progress(name, layout=layout, cluster=cluster):
                pass
        assert caught.value.field == field, (layout, cluster)
    with pytest.raises(TenantNotFound):
        async for _ in manager.move_tenant_progress(unique("Ghost"), layout="shared"):
            pass
    # Nothing moved.
    assert await manager.get_tenant(name) == tenant
    record = db.organizations.find_one({"_id": ObjectId(tenant.id)})
    assert record is not None and record["state"] == "active"


async def test_racing_moves_of_one_tenant_give_one_success(
    manager: TenantManager, mongo: pymongo.MongoClient[Doc], databases: set[str]
) -> None:
    before, email, docs = await tenant_with_data(manager, mongo, "collection", 3000, databases)
    results = await asyncio.gather(
        manager.move_tenant(before.name, layout="database"),
        manager.move_tenant(before.name, layout="shared"),
        return_exceptions=True,
    )
    for result in results:
        if isinstance(result, Tenant) and result.layout == "database":
            databases.add(result.database)
    winners = [r for r in results if isinstance(r, Tenant)]
    losers = [r for r in results if not isinstance(r, Tenant)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(losers[0], Conflict) and losers[0].code == "CONFLICT"
    assert await manager.get_tenant(before.name) == winners[0]
    claims = await claims_of(manager, email)
    assert manager.collection(claims, mongo).count_documents({}) == len(docs)


async def wait_for_layout(manager: TenantManager, name: str, layout: str) -> Tenant:
    for _ in range(300):
        tenant = await manager.get_tenant(name)
        if tenant.layout == layout:
            return tenant
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name} never reached the {layout} layout")


async def test_a_move_whose_caller_stops_listening_goes_on(
    manager: TenantManager, mongo: pymongo.MongoClient[Doc], databases: set[str]
) -> None:
    # A cancelled awaitable: the callback hears no more, the move ends all the same.
    first, _email, docs = await tenant_with_data(manager, mongo, "collection", 3000, databases)
    heard: list[MoveProgress] = []
    started = asyncio.Event()

    def progress(p: MoveProgress) -> None:
        heard.append(p)
        started.set()

    moving = asyncio.ensure_future(manager.move_tenant(first.name, layout="database", progress=progress))
    await started.wait()
    if moving.cancel():
        with pytest.raises(asyncio.CancelledError):
            await moving
    moved = await wait_for_layout(manager, first.name, "database")
    databases.add(moved.database)
    assert mongo[moved.database]["data"].count_documents({}) == len(docs)

    # An iteration left early: likewise.
    second, _email, docs = await tenant_with_data(manager, mongo, "collection", 3000, databases)
    async for report in manager.move_tenant_progress(second.name, layout="shared"):
        assert report.phase == "copy"
        break
    moved = await wait_for_layout(manager, second.name, "shared")
    assert mongo[moved.database][moved.collection_name].count_documents({"_tenant": ObjectId(second.id)}) == len(docs)


async def test_move_progress_is_plain_data(manager: TenantManager, databases: set[str], mongo: pymongo.MongoClient[Doc]) -> None:
    before, _email, _docs = await tenant_with_data(manager, mongo, "collection", 10, databases)
    reports: list[MoveProgress] = []
    moved = await manager.move_tenant(before.name, layout="database", progress=reports.append)
    databases.add(moved.database)
    first = reports[0]
    assert first.to_dict() == {
        "phase": first.phase,
        "copied": first.copied,
        "total": first.total,
        "rate": first.rate,
        "eta": first.eta,
    }
    assert first == reports[0] and first != reports[-1]
    # The last report repeats the counts.
    assert repr(reports[-1]).startswith("MoveProgress(phase='done', copied=10, total=10, rate="), repr(reports[-1])
    with pytest.raises(TypeError):
        hash(first)
    with pytest.raises(AttributeError):
        first.phase = "done"  # type: ignore[misc]


async def test_check_operator(master_db: str) -> None:
    off = await connect(master_db)
    with pytest.raises(Forbidden) as caught:
        off.check_operator(OPERATOR_TOKEN)
    assert caught.value.code == "FORBIDDEN" and isinstance(caught.value, PermissionError)
    await off.aclose()

    on = await connect(master_db, operator_token=OPERATOR_TOKEN)
    on.check_operator(OPERATOR_TOKEN)  # raises unless it is the token
    assert "operator_token" not in on.settings, "a secret is never given back"
    for wrong in ("", OPERATOR_TOKEN[:-1], OPERATOR_TOKEN + "x", OPERATOR_TOKEN.upper()):
        with pytest.raises(Unauthorized) as unauthorized:
            on.check_operator(wrong)
        assert unauthorized.value.code == "UNAUTHORIZED" and OPERATOR_TOKEN not in str(unauthorized.value)
    await on.aclose()
