"""The audit log, export and import through the binding: ``audit_log`` lists a tenant's
events in order, filtered and paged; ``verify_audit`` finds an edited or removed entry;
``export_tenant``/``import_tenant`` (files) and their ``_bytes`` forms (memory) round-trip
a tenant exactly, in another layout too, reporting progress on the loop's thread; a
damaged archive, an unknown tenant or a file that cannot be opened raise typed errors and
leave nothing behind; ``admin_rename_tenant`` and ``admin_delete_tenant`` act as the admin
could and are logged; the HTTP helpers parse queries and write bodies as the core does."""

from __future__ import annotations

import asyncio
import json
import pickle
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pymongo
import pytest
from bson import Decimal128, ObjectId
from fastapi.exceptions import RequestValidationError
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

import tenantry.fastapi as glue
from tenantry import (
    ArchiveManifest,
    AuditEntry,
    AuditPage,
    AuditVerification,
    InvalidCredentials,
    InvalidInput,
    MoveProgress,
    Tenant,
    TenantAlreadyExists,
    TenantManager,
    TenantNotFound,
)
from tenantry._native import (
    _http_audit_page_body,
    _http_audit_query,
    _http_audit_tenant,
    _http_import_options,
    _http_verification_body,
)

from conftest import PASSWORD, Doc, connect, create, email_for, unique

GENESIS = "0" * 64


@pytest.fixture
def databases(mongo: pymongo.MongoClient[Doc]) -> Iterator[set[str]]:
    """The `database` layout's databases a test makes, dropped afterwards."""
    made: set[str] = set()
    yield made
    for name in made:
        mongo.drop_database(name)


def varied(tag: str, count: int) -> list[Doc]:
    """Documents of the BSON types an application stores, with `_id`s of several types."""
    docs: list[Doc] = []
    for i in range(count):
        key: Any = (i, f"{tag}-{i}", ObjectId())[i % 3]
        docs.append(
            {
                "_id": key,
                "n": i,
                "f": i / 7,
                "dec": Decimal128(f"{i}.25"),
                "when": datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=i),
                "bin": bytes([i % 256]) * 5,
                "nested": {"a": [1, "two", {"three": 3}, None], "t": True},
            }
        )
    return docs


def ordered(docs: list[Doc]) -> list[Doc]:
    """`docs` in the order an export writes them, `_id` order (BSON's: numbers, strings,
    object ids), as Python compares them after a read."""
    rank = {int: 0, str: 1, ObjectId: 2}
    return sorted(docs, key=lambda d: (rank[type(d["_id"])], d["_id"]))


async def seeded(
    manager: TenantManager, mongo: pymongo.MongoClient[Doc], layout: str, count: int, databases: set[str]
) -> tuple[Tenant, dict[str, list[Doc]]]:
    """A tenant in `layout` with `count` varied documents in `data` (and, in the
    `database` layout, a few in `events`), and its documents by logical collection."""
    name = unique(layout.title())
    tenant = await manager.create_tenant(name, email_for(name), PASSWORD, layout=layout)
    if layout == "database":
        databases.add(tenant.database)
    collections = ["data", "events"] if layout == "database" else ["data"]
    data: dict[str, list[Doc]] = {}
    for logical in collections:
        docs = varied(f"{name}-{logical}", count if logical == "data" else 7)
        collection = await manager.admin_collection(name, mongo, logical)
        collection.insert_many([dict(d) for d in docs])
        collection.create_index("n", unique=True)
        data[logical] = docs
    return tenant, data


async def stored(manager: TenantManager, mongo: pymongo.MongoClient[Doc], name: str, logical: str) -> list[Doc]:
    """The tenant's documents in `logical`, as read back through its own collection."""
    collection = await manager.admin_collection(name, mongo, logical)
    found: list[Doc] = list(collection.find({}).sort("_id", 1))
    return found


def as_read(docs: list[Doc]) -> list[Doc]:
    """`docs` as pymongo reads them back: datetimes naive UTC."""
    return [{k: (v.replace(tzinfo=None) if isinstance(v, datetime) else v) for k, v in d.items()} for d in ordered(docs)]


@pytest.mark.parametrize(("source", "target"), [("collection", None), ("database", "shared"), ("shared", "database")])
async def test_an_export_imports_as_an_exact_copy(
    manager: TenantManager,
    mongo: pymongo.MongoClient[Doc],
    databases: set[str],
    tmp_path: Path,
    source: str,
    target: str | None,
) -> None:
    original, data = await seeded(manager, mongo, source, 150, databases)
    path = tmp_path / "tenant.archive"
    manifest = await manager.export_tenant(original.name.upper(), path)  # any spelling
    assert isinstance(manifest, ArchiveManifest)
    assert sorted(manifest.collections) == sorted(data)
    for logical, docs in data.items():
        count, sha = manifest.collections[logical]
        assert count == len(docs) and len(sha) == 64
    assert manifest.audit_entries == 1  # its create
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tenant.archive"], "nothing partial left"

    copy_name = unique("Copy")
    copy, imported = await manager.import_tenant(str(path), name=copy_name, admin_email=email_for(copy_name), layout=target)
    if copy.layout == "database":
        databases.add(copy.database)
    assert (copy.name, copy.layout, copy.state) == (copy_name, target or source, "active")
    assert copy.id != original.id
    assert imported == manifest and imported.to_dict() == manifest.to_dict()
    assert await manager.get_tenant(copy_name) == copy
    for logical, docs in data.items():
        assert await stored(manager, mongo, copy_name, logical) == as_read(docs), logical
        # The original is untouched.
        assert await stored(manager, mongo, original.name, logical) == as_read(docs), logical
    # Indexes travel: the unique one refuses a duplicate in the copy.
    copied = await manager.admin_collection(copy_name, mongo)
    with pytest.raises(DuplicateKeyError):
        copied.insert_one({"_id": "another", "n": 0})
    # The copy's admin logs in with the original's password.
    login = await manager.authenticate(copy.admin_email, PASSWORD)
    assert login.tenant_id == copy.id


async def test_the_archive_in_memory_is_the_same_archive(
    manager: TenantManager, mongo: pymongo.MongoClient[Doc], databases: set[str], tmp_path: Path
) -> None:
    original, data = await seeded(manager, mongo, "collection", 40, databases)
    archive = await manager.export_tenant_bytes(original.name)
    assert isinstance(archive, bytes) and archive[4:].startswith(b"\x02kind\x00")
    from_file = await manager.export_tenant(original.name, tmp_path / "a")
    copies: list[Tenant] = []
    for data_in in (archive, bytearray(archive)):
        name = unique("Memory")
        copy, manifest = await manager.import_tenant_bytes(data_in, name=name, admin_email=email_for(name))
        assert manifest == from_file
        assert await stored(manager, mongo, name, "data") == as_read(data["data"])
        copies.append(copy)
    assert copies[0].id != copies[1].id
    # A file written by export_tenant imports from memory too, and the other way round.
    name = unique("Crossed")
    await manager.import_tenant_bytes((tmp_path / "a").read_bytes(), name=name, admin_email=email_for(name))
    (tmp_path / "b").write_bytes(archive)
    name = unique("Crossed")
    _, manifest = await manager.import_tenant(tmp_path / "b", name=name, admin_email=email_for(name))
    assert manifest == from_file


async def test_an_archive_is_written_whole_or_not_at_all(manager: TenantManager, tmp_path: Path) -> None:
    made = await create(manager)
    path = tmp_path / "kept.archive"
    path.write_bytes(b"an earlier file")
    # A failed export leaves what was there.
    with pytest.raises(TenantNotFound):
        await manager.export_tenant(unique("Ghost"), path)
    assert path.read_bytes() == b"an earlier file"
    with pytest.raises(TenantNotFound):
        await manager.export_tenant(unique("Ghost"), tmp_path / "new.archive")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.archive"]
    # A successful one replaces it.
    await manager.export_tenant(made.tenant.name, path)
    assert path.read_bytes() != b"an earlier file" and path.read_bytes()[4:].startswith(b"\x02kind\x00\x07\x00\x00\x00header")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.archive"]
    # Files that cannot be opened: the OSError of the errno, naming the path given.
    missing_dir = tmp_path / "no" / "such" / "dir.archive"
    with pytest.raises(FileNotFoundError) as caught:
        await manager.export_tenant(made.tenant.name, missing_dir)
    assert caught.value.filename == str(missing_dir)
    with pytest.raises(FileNotFoundError) as caught:
        await manager.import_tenant(tmp_path / "absent.archive")
    assert caught.value.filename == str(tmp_path / "absent.archive")
    with pytest.raises(IsADirectoryError):
        await manager.export_tenant(made.tenant.name, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.archive"]


def check_phases(reports: list[MoveProgress], working: str, total: int) -> None:
    """`working` reports (then `verify` for an import) and one `done`, last, with every
    document counted; `copied` only grows."""
    phases = [r.phase for r in reports]
    assert phases[-1] == "done" and phases.count("done") == 1, phases
    assert set(phases) <= {working, "verify", "done"} and working in phases, phases
    copied = [r.copied for r in reports]
    assert copied == sorted(copied) and copied[-1] == reports[-1].total == total, reports
    for r in reports:
        assert r.rate >= 0 and (r.eta is None or r.eta >= 0)


async def test_progress_is_reported_on_the_loop_thread(
    manager: TenantManager, mongo: pymongo.MongoClient[Doc], databases: set[str], tmp_path: Path
) -> None:
    original, data = await seeded(manager, mongo, "collection", 2500, databases)
    loop_thread = threading.get_ident()
    threads: set[int] = set()
    reports: list[MoveProgress] = []

    def progress(p: MoveProgress) -> None:
        reports.append(p)
        threads.add(threading.get_ident())

    await manager.export_tenant(original.name, tmp_path / "a", progress=progress)
    check_phases(reports, "export", 2500)
    assert reports[0].phase == "export" and reports[0].total == 2500

    reports.clear()
    name = unique("Progress")
    await manager.import_tenant(tmp_path / "a", name=name, admin_email=email_for(name), progress=progress)
    check_phases(reports, "import", 2500)
    assert [r.phase for r in reports][-2:] == ["verify", "done"]
    assert any(r.phase == "import" for r in reports), "reported between batches"

    reports.clear()
    archive = await manager.export_tenant_bytes(original.name, progress=progress)
    check_phases(reports, "export", 2500)
    reports.clear()
    name = unique("Progress")
    await manager.import_tenant_bytes(archive, name=name, admin_email=email_for(name), progress=progress)
    check_phases(reports, "import", 2500)
    assert threads == {loop_thread}

    # A callback that raises does not stop the export; a coroutine function or anything
    # not callable is refused before it starts.
    def failing(p: MoveProgress) -> None:
        raise RuntimeError("a listener's bug")

    handled: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda loop, context: handled.append(context))
    try:
        assert await manager.export_tenant_bytes(original.name, progress=failing)
    finally:
        loop.set_exception_handler(None)
    assert handled and isinstance(handled[0]["exception"], RuntimeError)

    async def awaited(p: MoveProgress) -> None: ...

    with pytest.raises(TypeError, match="plain function"):
        await manager.export_tenant(original.name, tmp_path / "b", progress=awaited)
    with pytest.raises(TypeError, match="callable"):
        await manager.import_tenant_bytes(archive, progress=42)  # type: ignore[arg-type]
    assert not (tmp_path / "b").exists()


def flipped(archive: bytes, at: int, mask: int) -> bytes:
    damaged = bytearray(archive)
    damaged[at] ^= mask
    return bytes(damaged)


async def test_a_damaged_or_foreign_archive_is_refused_and_leaves_nothing(
    manager: TenantManager, mongo: pymongo.MongoClient[Doc], tmp_path: Path
) -> None:
    made = await create(manager)
    collection = await manager.admin_collection(made.tenant.name, mongo)
    collection.insert_many([{"_id": i, "payload": f"payload-{i}"} for i in range(50)])
    archive = await manager.export_tenant_bytes(made.tenant.name)
    name, email = unique("Damaged"), "damaged@example.org"
    in_a_document = archive.index(b"payload-25")
    damaged_archives = {
        "a letter changed: still BSON, caught by the manifest's checksum": flipped(archive, in_a_document, 0x01),
        "a byte that is no UTF-8: not BSON": flipped(archive, in_a_document, 0xFF),
        "a record's length": flipped(archive, archive.index(b"\x02kind\x00", in_a_document) - 4, 0x10),
        "cut short": archive[:-3],
        "cut in half": archive[: len(archive) // 2],
        "empty": b"",
        "foreign": b"not an archive at all",
        "a length alone": archive[:4],
    }
    for why, damaged in damaged_archives.items():
        with pytest.raises(InvalidInput) as caught:
            await manager.import_tenant_bytes(damaged, name=name, admin_email=email)
        assert caught.value.field == "archive", (why, caught.value)
        assert "archive" in str(caught.value)
    (tmp_path / "damaged").write_bytes(damaged_archives["a letter changed: still BSON, caught by the manifest's checksum"])
    with pytest.raises(InvalidInput):
        await manager.import_tenant(tmp_path / "damaged", name=name, admin_email=email)
    assert await manager.count_tenants(name_prefix=name) == 0
    # Nothing held: the name and email are free.
    await manager.create_tenant(name, email, PASSWORD)

    # Taken names and emails, and options the core refuses.
    with pytest.raises(TenantAlreadyExists) as taken:
        await manager.import_tenant_bytes(archive)  # the original's own name
    assert taken.value.field == "name"
    with pytest.raises(TenantAlreadyExists) as taken:
        await manager.import_tenant_bytes(archive, name=unique("Other"))  # the original's email
    assert taken.value.field == "email"
    with pytest.raises(InvalidInput) as bad:
        await manager.import_tenant_bytes(archive, name=unique(), admin_email="x@y.io", layout="flat")
    assert bad.value.field == "layout"
    with pytest.raises(TypeError):
        await manager.import_tenant_bytes("a string is no archive")  # type: ignore[arg-type]
    assert await manager.count_tenants() == 2


async def test_the_audit_log_lists_every_event_in_order(manager: TenantManager) -> None:
    made = await create(manager)
    tenant = made.tenant
    await manager.authenticate(made.email, PASSWORD)
    with pytest.raises(InvalidCredentials):
        await manager.authenticate(made.email, "wrong-password")
    renamed = await manager.admin_rename_tenant(tenant.name.lower(), unique("Renamed"))
    assert (renamed.id, await manager.get_tenant(renamed.name)) == (tenant.id, renamed)
    with pytest.raises(TenantNotFound):
        await manager.get_tenant(tenant.name)

    page = await manager.audit_log(tenant.id)
    assert isinstance(page, AuditPage) and len(page) == 4 and page.next is None
    assert [(e.op, e.outcome) for e in page] == [("create", "ok"), ("login", "ok"), ("login", "INVALID_CREDENTIALS"), ("rename", "ok")]
    assert [e.actor for e in page][0] == "anonymous" and page.entries[-1].actor == "operator"
    assert page.entries[1].actor == f"admin:{tenant.admin_id}"
    assert page.entries[0].detail == {"name": tenant.name, "admin_email": made.email, "layout": "collection", "cluster": "home"}
    assert page.entries[-1].detail == {"from": tenant.name, "to": renamed.name}
    prev = GENESIS
    for seq, entry in enumerate(page, start=1):
        assert isinstance(entry, AuditEntry)
        assert (entry.tenant_id, entry.seq, entry.prev) == (tenant.id, seq, prev)
        assert len(entry.hash) == 64 and entry.at.tzinfo == timezone.utc
        assert abs(entry.at - datetime.now(timezone.utc)) < timedelta(minutes=1)
        prev = entry.hash
    # Plain data: pickled, hashed, compared, as a dict.
    first = page.entries[0]
    assert pickle.loads(pickle.dumps(first)) == first and hash(pickle.loads(pickle.dumps(first))) == hash(first)
    assert {first: 1}[(await manager.audit_log(tenant.id, limit=1)).entries[0]] == 1
    assert first != page.entries[1]
    assert first.to_dict()["detail"] == first.detail and first.to_dict()["seq"] == 1
    assert page.to_dict()["entries"][3]["op"] == "rename" and "seq=1" in repr(first)
    first.detail["name"] = "changed"
    assert first.detail["name"] == tenant.name, "a copy on each access"

    # Filters and pages.
    logins = await manager.audit_log(tenant.id, op="login")
    assert [e.seq for e in logins] == [2, 3]
    seen: list[int] = []
    cursor: int | None = None
    while True:
        part = await manager.audit_log(tenant.id, limit=1, after=cursor)
        seen += [e.seq for e in part]
        if part.next is None:
            break
        cursor = part.next
    assert seen == [1, 2, 3, 4]
    second = page.entries[1].at
    in_another_zone = second.astimezone(timezone(timedelta(hours=5)))
    assert [e.seq for e in await manager.audit_log(tenant.id, since=in_another_zone)] == [e.seq for e in page if e.at >= second]
    assert [e.seq for e in await manager.audit_log(tenant.id, until=second)] == [e.seq for e in page if e.at < second]
    assert len(await manager.audit_log(tenant.id, op="purge")) == 0
    assert len(await manager.audit_log(str(ObjectId()))) == 0, "no log: an empty page"

    verified = await manager.verify_audit(tenant.id)
    assert isinstance(verified, AuditVerification)
    assert (verified.entries, verified.intact, verified.broken) == (4, True, None)
    assert verified.to_dict() == {"entries": 4, "intact": True, "broken": None}

    # Arguments the core refuses, each named.
    refused = {
        "tenant_id": manager.audit_log("not-an-id"),
        "since": manager.audit_log(tenant.id, since=datetime(2026, 1, 1)),
        "limit": manager.audit_log(tenant.id, limit=0),
        "after": manager.audit_log(tenant.id, after=2**70),
    }
    for field, call in refused.items():
        with pytest.raises(InvalidInput) as caught:
            await call
        assert caught.value.field == field
    with pytest.raises(InvalidInput) as caught:
        await manager.audit_log(tenant.id, limit=5000)
    assert caught.value.field == "limit"
    with pytest.raises(InvalidInput) as caught:
        await manager.verify_audit(tenant.id[:-1])
    assert caught.value.field == "tenant_id"
    with pytest.raises(TypeError):
        manager.audit_log(tenant.id, since="2026-01-01")  # type: ignore[arg-type]


async def test_an_edited_or_removed_entry_breaks_the_chain(manager: TenantManager, db: Database[Doc]) -> None:
    made = await create(manager)
    tenant_id = made.tenant.id
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            await manager.authenticate(made.email, "wrong-password")
    assert (await manager.verify_audit(tenant_id)).intact
    log = db["tenant_audit"]
    only_its = {"tenant": ObjectId(tenant_id)}
    snapshot = list(log.find(only_its))
    assert len(snapshot) == 5

    async def restored() -> None:
        log.delete_many(only_its)
        log.insert_many(snapshot)
        assert (await manager.verify_audit(tenant_id)).intact

    # Edited: a failed login made to look like a success.
    log.update_one({**only_its, "seq": 3}, {"$set": {"outcome": "ok"}})
    verified = await manager.verify_audit(tenant_id)
    assert not verified.intact and verified.broken == (3, "its content does not match its hash")
    assert verified.entries == 3
    assert verified.to_dict()["broken"] == (3, "its content does not match its hash")
    await restored()
    # Removed in the middle, and at the end.
    log.delete_one({**only_its, "seq": 2})
    assert (await manager.verify_audit(tenant_id)).broken == (3, "an entry is missing before this one")
    await restored()
    log.delete_one({**only_its, "seq": 5})
    broken = (await manager.verify_audit(tenant_id)).broken
    assert broken is not None and broken[0] == 5
    await restored()
    body = _http_verification_body(await manager.verify_audit(tenant_id))
    assert body == {"entries": 5, "intact": True, "broken": None}


async def test_the_log_outlives_the_tenant_and_travels_with_its_archive(manager: TenantManager) -> None:
    made = await create(manager)
    archive = await manager.export_tenant_bytes(made.tenant.name)
    await manager.admin_delete_tenant(made.tenant.name.upper())
    with pytest.raises(TenantNotFound):
        await manager.get_tenant(made.tenant.name)
    with pytest.raises(TenantNotFound):
        await manager.admin_delete_tenant(made.tenant.name)
    with pytest.raises(TenantNotFound):
        await manager.admin_rename_tenant(made.tenant.name, unique())
    page = await manager.audit_log(made.tenant.id)
    assert [(e.op, e.actor) for e in page] == [("create", "anonymous"), ("delete", "operator")]
    assert page.entries[-1].detail == {"soft": False}

    # Back from its archive, under its own name: a new id, whose log begins with the import.
    back, manifest = await manager.import_tenant_bytes(archive)
    assert back.name == made.tenant.name and back.id != made.tenant.id
    assert manifest.audit_entries == 1
    first = (await manager.audit_log(back.id)).entries[0]
    assert (first.op, first.actor, first.seq, first.prev) == ("import", "operator", 1, GENESIS)
    assert first.detail == {"from": made.tenant.id, "name": made.tenant.name}
    # The archived entries are already in the original's log: kept once.
    assert [e.op for e in await manager.audit_log(made.tenant.id)] == ["create", "delete"]
    assert (await manager.verify_audit(made.tenant.id)).intact and (await manager.verify_audit(back.id)).intact


async def test_a_soft_admin_delete_is_restorable(master_db: str) -> None:
    manager = await connect(master_db, deleted_retention_seconds=3600)
    made = await create(manager)
    await manager.admin_delete_tenant(made.tenant.name)
    assert (await manager.list_tenants(state="deleted")).tenants[0].id == made.tenant.id
    assert (await manager.audit_log(made.tenant.id, op="delete")).entries[0].detail == {"soft": True}
    assert (await manager.restore_tenant(made.tenant.name)).state == "active"
    await manager.aclose()


async def test_the_http_queries_and_bodies_are_the_cores(manager: TenantManager) -> None:
    made = await create(manager)
    tenant_id = made.tenant.id
    await manager.authenticate(made.email, PASSWORD)

    tenant, kwargs = _http_audit_query(f"organization_id={tenant_id}&op=login&limit=5&after=0&since=2026-01-01T00:00:00%2B02:00&x=1")
    assert tenant == tenant_id
    assert kwargs == {"op": "login", "limit": 5, "after": 0, "since": datetime(2025, 12, 31, 22, tzinfo=timezone.utc)}
    assert glue.audit_query(f"organization_id={tenant_id}") == (tenant_id, {})
    page = await manager.audit_log(tenant, **kwargs)
    body = _http_audit_page_body(page)
    assert body == glue.audit_page_body(page) and list(body) == ["entries", "next"]
    [shown] = body["entries"]
    entry = page.entries[0]
    assert set(shown) == {"seq", "at", "actor", "op", "outcome", "detail", "prev", "hash"}
    assert (shown["seq"], shown["op"], shown["hash"], shown["prev"]) == (2, "login", entry.hash, entry.prev)
    assert shown["at"].endswith("Z") and datetime.fromisoformat(shown["at"]) == entry.at
    json.dumps(body)  # plain JSON data
    verified = await manager.verify_audit(_http_audit_tenant(f"organization_id={tenant_id}"))
    assert glue.verification_body(verified) == {"entries": 2, "intact": True, "broken": None}

    assert _http_import_options("organization_name=Copy&email=c%40x.io&layout=shared&cluster=home") == {
        "name": "Copy",
        "admin_email": "c@x.io",
        "layout": "shared",
        "cluster": "home",
    }
    assert glue.import_options("") == {}

    # Queries that do not parse: every problem, in the core's order.
    with pytest.raises(InvalidInput) as caught:
        _http_audit_query("limit=x&since=then&after=")
    assert caught.value.field == "organization_id"
    assert [(f, k) for f, _m, k in caught.value.problems or []] == [
        ("organization_id", "missing"),
        ("since", "value_error"),
        ("limit", "value_error"),
        ("after", "value_error"),
    ]
    for bad, field in [("organization_id=12", "organization_id"), ("", "organization_id")]:
        with pytest.raises(RequestValidationError) as refused:
            glue.audit_tenant(bad)
        assert refused.value.errors()[0]["loc"] == ("query", field)
    with pytest.raises(RequestValidationError) as refused:
        glue.import_options("layout=flat&email=a&email=b")
    answer = glue.validation_response(refused.value.errors())
    assert answer.status_code == 400
    assert [(e["field"], e["type"]) for e in json.loads(bytes(answer.body))["errors"]] == [("email", "value_error"), ("layout", "value_error")]
