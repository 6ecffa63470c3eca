"""The ``shared`` layout through the application's own driver: two tenants writing to one
collection through ``ConfinedCollection`` never see or change each other's documents,
whatever their filters, updates and pipelines say; what cannot be confined is refused; the
documents read back look as in the other layouts (no stamp).

Checked with pymongo's ``AsyncMongoClient`` and with its synchronous ``MongoClient``; the
raw collection (``db.shared_data``) is what the server really holds."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import bson
import pymongo
import pytest
from bson import ObjectId
from pymongo import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.collation import Collation
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from tenantry import ConfinedCollection, Confinement, InvalidInput, Location, TenantManager

from conftest import PASSWORD, Doc, email_for, mongo_uri, unique


@dataclass
class Shared:
    """A tenant in the shared layout: its id (the stamp) and its confined collection."""

    id: ObjectId
    data: Any


async def shared_tenant(manager: TenantManager, client: Any) -> Shared:
    name = unique("Shared")
    email = email_for(name)
    tenant = await manager.create_tenant(name, email, PASSWORD, layout="shared")
    claims = await manager.verify_token((await manager.authenticate(email, PASSWORD)).access_token)
    data = manager.collection(claims, client)
    assert isinstance(data, ConfinedCollection)
    return Shared(ObjectId(tenant.id), data)


@pytest.fixture
async def client() -> AsyncIterator[pymongo.AsyncMongoClient[Doc]]:
    client: pymongo.AsyncMongoClient[Doc] = pymongo.AsyncMongoClient(mongo_uri())
    yield client
    await client.close()


async def two_tenants(manager: TenantManager, client: Any) -> tuple[Shared, Shared]:
    """Tenants A and B with five documents each, alike but for ``owner`` (through an async
    or a sync client)."""
    a, b = await shared_tenant(manager, client), await shared_tenant(manager, client)
    for tenant, owner in ((a, "A"), (b, "B")):
        inserted = tenant.data.insert_many([{"n": i, "owner": owner, "email": f"{i}@x.io"} for i in range(5)])
        if inspect.isawaitable(inserted):
            await inserted
    return a, b


def holdings(db: Database[Doc]) -> dict[str, list[Doc]]:
    """What the server holds in the shared collection, by owner, sorted."""
    by_owner: dict[str, list[Doc]] = {}
    for doc in db.shared_data.find().sort([("owner", 1), ("n", 1)]):
        by_owner.setdefault(doc["owner"], []).append(doc)
    return by_owner


def assert_stamped(db: Database[Doc], a: Shared, b: Shared) -> None:
    """Every document of A carries A's stamp, every one of B B's."""
    for doc in db.shared_data.find():
        assert doc["_tenant"] == {"A": a.id, "B": b.id}[doc["owner"]], doc


async def test_reads_see_the_tenants_documents_only(
    manager: TenantManager, client: pymongo.AsyncMongoClient[Doc], db: Database[Doc]
) -> None:
    a, b = await two_tenants(manager, client)
    assert db.shared_data.count_documents({}) == 10
    assert_stamped(db, a, b)

    found = await a.data.find().sort("n").to_list()
    assert [d["owner"] for d in found] == ["A"] * 5
    assert all("_tenant" not in d for d in found), "documents read back carry no stamp"
    assert await a.data.count_documents({}) == 5
    assert await a.data.distinct("owner") == ["A"]
    # Hostile filters: a condition on the stamp, a disjunction, an expression.
    for hostile in (
        {"_tenant": b.id},
        {"_tenant": {"$ne": a.id}},
        {"owner": "B"},
        {"$or": [{"owner": "B"}, {"_tenant": b.id}]},
        {"$expr": {"$eq": ["$_tenant", b.id]}},
        {"$nor": [{"_tenant": a.id}]},
    ):
        assert await a.data.find(hostile).to_list() == [], hostile
        assert await a.data.find_one(hostile) is None, hostile
        assert await a.data.count_documents(hostile) == 0, hostile
        assert await a.data.distinct("n", hostile) == [], hostile
    wide = {"$or": [{"owner": "A"}, {"owner": "B"}]}
    assert await a.data.count_documents(wide) == 5
    # A bare _id, as the driver takes it, is confined too.
    b_doc = db.shared_data.find_one({"owner": "B"})
    assert b_doc is not None
    assert await a.data.find_one(b_doc["_id"]) is None
    assert await b.data.find_one(b_doc["_id"]) == {k: v for k, v in b_doc.items() if k != "_tenant"}

    # Projections: none, a list, an inclusion, an exclusion, one asking for the stamp.
    one = await a.data.find_one({"n": 1})
    assert one is not None and set(one) == {"_id", "n", "owner", "email"}
    assert set(await a.data.find_one({"n": 1}, ["n"])) == {"_id", "n"}
    assert set(await a.data.find_one({"n": 1}, {"n": 1, "_tenant": 1})) == {"_id", "n"}
    assert set(await a.data.find_one({"n": 1}, {"email": 0})) == {"_id", "n", "owner"}
    assert [set(d) for d in await a.data.find({}, projection={"_id": 0, "n": 1}).to_list()] == [{"n"}] * 5


async def test_writes_change_the_tenants_documents_only(
    manager: TenantManager, client: pymongo.AsyncMongoClient[Doc], db: Database[Doc]
) -> None:
    a, b = await two_tenants(manager, client)
    before_b = holdings(db)["B"]

    assert (await a.data.update_many({}, {"$set": {"seen": True}})).modified_count == 5
    assert (await a.data.update_many({"owner": "B"}, {"$set": {"hit": True}})).matched_count == 0
    assert (await a.data.update_one({"_tenant": b.id}, {"$set": {"hit": True}})).matched_count == 0
    assert (await a.data.replace_one({"owner": "B"}, {"owner": "B", "hit": True})).matched_count == 0
    assert await a.data.find_one_and_update({"owner": "B"}, {"$set": {"hit": True}}) is None
    assert await a.data.find_one_and_replace({"owner": "B"}, {"hit": True}) is None
    assert await a.data.find_one_and_delete({"owner": "B"}) is None
    assert (await a.data.delete_one({"owner": "B"})).deleted_count == 0
    assert (await a.data.delete_many({"$or": [{"owner": "B"}, {"_tenant": b.id}]})).deleted_count == 0
    assert holdings(db)["B"] == before_b

    # An update pipeline cannot move a document to another tenant: the stamp is set again.
    await a.data.update_one({"n": 0}, [{"$set": {"_tenant": b.id, "piped": True}}])
    piped = db.shared_data.find_one({"piped": True})
    assert piped is not None and piped["_tenant"] == a.id
    # The documents returned by find_one_and_* carry no stamp.
    updated = await a.data.find_one_and_update({"n": 1}, {"$inc": {"n": 10}}, return_document=True)
    assert updated is not None and updated["n"] == 11 and "_tenant" not in updated
    replaced = await a.data.find_one_and_replace({"n": 2}, {"n": 12, "owner": "A"}, return_document=True)
    assert replaced is not None and "_tenant" not in replaced
    deleted = await a.data.find_one_and_delete({"n": 3})
    assert deleted is not None and "_tenant" not in deleted
    assert (await a.data.replace_one({"n": 4}, {"n": 14, "owner": "A"})).modified_count == 1
    assert (await a.data.delete_one({"n": 11})).deleted_count == 1

    # An upsert inserts a document of the tenant's own, even with B's stamp in the filter
    # (which the server may also refuse: the conjunction names the stamp twice).
    with contextlib.suppress(pymongo.errors.WriteError):
        await a.data.update_one({"key": "k", "_tenant": b.id}, {"$set": {"v": 0}}, upsert=True)
    assert db.shared_data.count_documents({"_tenant": b.id, "key": "k"}) == 0
    db.shared_data.delete_many({"key": "k"})
    await a.data.update_one({"key": "k"}, {"$set": {"v": 1, "owner": "A"}}, upsert=True)
    await b.data.update_one({"key": "k"}, {"$set": {"v": 2, "owner": "B"}}, upsert=True)
    upserted = {d["owner"]: d for d in db.shared_data.find({"key": "k"})}
    assert (upserted["A"]["_tenant"], upserted["A"]["v"]) == (a.id, 1)
    assert (upserted["B"]["_tenant"], upserted["B"]["v"]) == (b.id, 2)
    await a.data.replace_one({"key": "r"}, {"key": "r", "owner": "A"}, upsert=True)
    replaced_in = db.shared_data.find_one({"key": "r"})
    assert replaced_in is not None and replaced_in["_tenant"] == a.id

    held = await a.data.count_documents({})
    assert (await a.data.delete_many({})).deleted_count == held
    assert db.shared_data.count_documents({"_tenant": a.id}) == 0
    assert [d for d in holdings(db)["B"] if "n" in d] == before_b
    assert_stamped(db, a, b)


async def test_hostile_updates_documents_and_pipelines_are_refused(
    manager: TenantManager, client: pymongo.AsyncMongoClient[Doc], db: Database[Doc]
) -> None:
    a, b = await two_tenants(manager, client)
    before = holdings(db)

    for update in (
        {"$set": {"_tenant": b.id}},
        {"$set": {"owner": "A", "_tenant": b.id}},
        {"$unset": {"_tenant": ""}},
        {"$set": {"_tenant.x": 1}},
        {"$rename": {"owner": "_tenant"}},
        {"$setOnInsert": {"_tenant": b.id}},
        {"owner": "replacement, not an update"},
        [{"$lookup": {"from": "shared_data", "pipeline": [], "as": "all"}}],
    ):
        for write in (a.data.update_one, a.data.update_many, a.data.find_one_and_update):
            with pytest.raises(InvalidInput) as caught:
                write({}, update)
            assert caught.value.field == "update", update
        with pytest.raises(InvalidInput):
            a.data.update_one({}, update, upsert=True)

    foreign = {"owner": "A", "_tenant": b.id}
    refusals: list[Callable[[], Any]] = [
        lambda: a.data.insert_one(dict(foreign)),
        lambda: a.data.insert_many([{"owner": "A", "fine": True}, dict(foreign)]),
        lambda: a.data.replace_one({}, dict(foreign)),
        lambda: a.data.find_one_and_replace({}, dict(foreign)),
        lambda: a.data.insert_one({"owner": "A", "_tenant": "not even an id"}),
    ]
    for refused in refusals:
        with pytest.raises(InvalidInput) as caught:
            refused()
        assert caught.value.field == "document"

    stages: list[Doc] = [
        {"$lookup": {"from": "shared_data", "localField": "n", "foreignField": "n", "as": "others"}},
        {"$unionWith": "shared_data"},
        {"$unionWith": {"coll": "organizations"}},
        {"$graphLookup": {"from": "shared_data", "startWith": "$n", "connectFromField": "n", "connectToField": "n", "as": "g"}},
        {"$facet": {"all": [{"$unionWith": "shared_data"}]}},
        {"$out": "stolen"},
        {"$merge": {"into": "shared_data"}},
        {"$collStats": {}},
    ]
    for stage in stages:
        with pytest.raises(InvalidInput) as caught:
            a.data.aggregate([{"$match": {}}, stage])
        assert caught.value.field == "pipeline", stage
        with pytest.raises(InvalidInput):
            a.data.watch([stage])

    with pytest.raises(InvalidInput) as caught:
        a.data.create_index([("_tenant", 1), ("n", 1)])
    assert caught.value.field == "keys"
    # Nothing got through.
    assert holdings(db) == before
    assert "stolen" not in db.list_collection_names()


async def test_aggregations_see_the_tenants_documents_without_the_stamp(
    manager: TenantManager, client: pymongo.AsyncMongoClient[Doc]
) -> None:
    a, b = await two_tenants(manager, client)
    grouped = await (await a.data.aggregate([{"$group": {"_id": "$owner", "total": {"$sum": "$n"}}}])).to_list()
    assert grouped == [{"_id": "A", "total": 10}]
    everything = await (await a.data.aggregate([{"$match": {"$or": [{"owner": "B"}, {"_tenant": b.id}]}}])).to_list()
    assert everything == []
    rows = await (await a.data.aggregate([{"$sort": {"n": 1}}, {"$project": {"n": 1, "_tenant": 1}}])).to_list()
    assert [set(r) for r in rows] == [{"_id", "n"}] * 5
    faceted = await (await a.data.aggregate([{"$facet": {"count": [{"$count": "n"}]}}])).to_list()
    assert faceted == [{"count": [{"n": 5}]}]


async def test_a_unique_index_made_through_the_scope_is_unique_per_tenant(
    manager: TenantManager, client: pymongo.AsyncMongoClient[Doc], db: Database[Doc]
) -> None:
    a, b = await shared_tenant(manager, client), await shared_tenant(manager, client)
    # Each of the driver's key forms.
    assert await a.data.create_index("email", unique=True) == "_tenant_1_email_1"
    assert await a.data.create_index([("n", pymongo.DESCENDING), ("m", 1)]) == "_tenant_1_n_-1_m_1"
    assert await a.data.create_index({"code": 1}, unique=True, name="code") == "code"
    assert await a.data.create_index(["x", "y"]) == "_tenant_1_x_1_y_1"
    keys = {name: list(info["key"]) for name, info in db.shared_data.index_information().items()}
    assert keys["_tenant_1_email_1"] == [("_tenant", 1), ("email", 1)]
    assert keys["code"] == [("_tenant", 1), ("code", 1)]

    await a.data.insert_one({"email": "same@x.io"})
    await b.data.insert_one({"email": "same@x.io"})  # another tenant: allowed
    with pytest.raises(DuplicateKeyError):
        await a.data.insert_one({"email": "same@x.io"})
    with pytest.raises(DuplicateKeyError):
        await b.data.insert_one({"email": "same@x.io"})
    assert db.shared_data.count_documents({"email": "same@x.io"}) == 2


async def test_insert_gives_the_callers_document_its_id_and_not_the_stamp(
    manager: TenantManager, client: pymongo.AsyncMongoClient[Doc], db: Database[Doc]
) -> None:
    a = await shared_tenant(manager, client)
    doc: Doc = {"text": "hello"}
    result = await a.data.insert_one(doc)
    assert doc == {"text": "hello", "_id": result.inserted_id}
    docs: list[Doc] = [{"i": 1}, {"i": 2, "_id": "chosen"}]
    many = await a.data.insert_many(docs)
    assert [d["_id"] for d in docs] == many.inserted_ids and docs[1]["_id"] == "chosen"
    assert all("_tenant" not in d for d in docs)
    stored = db.shared_data.find_one({"_id": result.inserted_id})
    assert stored == {"_id": result.inserted_id, "text": "hello", "_tenant": a.id}


async def test_change_streams_deliver_the_tenants_events_only(
    manager: TenantManager, client: pymongo.AsyncMongoClient[Doc]
) -> None:
    a, b = await shared_tenant(manager, client), await shared_tenant(manager, client)
    async with await a.data.watch() as stream:
        await b.data.insert_one({"who": "B"})
        await a.data.insert_one({"who": "A"})
        await b.data.update_one({"who": "B"}, {"$set": {"again": True}})
        await a.data.update_one({"who": "A"}, {"$set": {"again": True}})
        first = await asyncio.wait_for(stream.next(), 10)
        second = await asyncio.wait_for(stream.next(), 10)
    assert (first["operationType"], first["fullDocument"]["who"]) == ("insert", "A")
    # Updates are delivered with their document looked up: the tenant's own.
    assert (second["operationType"], second["fullDocument"]["who"]) == ("update", "A")


async def test_what_cannot_be_confined_is_refused(manager: TenantManager, client: pymongo.AsyncMongoClient[Doc]) -> None:
    a = await shared_tenant(manager, client)
    for name in ("drop", "rename", "estimated_document_count", "database", "drop_indexes", "create_indexes", "find_raw_batches", "other_collection"):
        with pytest.raises(AttributeError, match="cannot be confined"):
            getattr(a.data, name)
        assert not hasattr(a.data, name)
    assert repr(a.data).startswith("ConfinedCollection(AsyncCollection(") and str(a.id) in repr(a.data)


def every_request(a: Shared, b: Shared, inserted: Doc) -> list[Any]:
    """A bulk with every kind of request, each of the writes aimed at B's documents followed
    by one of A's own (over ``two_tenants``' documents)."""
    return [
        InsertOne(inserted),
        InsertOne({"owner": "A", "n": 7, "name": "Ab", "tags": ["old", "keep"]}),
        UpdateOne({"_tenant": b.id}, {"$set": {"hit": True}}),
        UpdateMany({"$or": [{"owner": "B"}, {"n": {"$lt": 2}}]}, {"$set": {"low": True}}),
        # Kept options: the collation matches "Ab", the array filter picks "old".
        UpdateOne({"name": "ab"}, {"$set": {"tags.$[t]": "new"}}, collation=Collation("en", strength=2), array_filters=[{"t": "old"}]),
        UpdateOne({"owner": "A", "n": 50}, {"$set": {"upserted": True}}, upsert=True),
        UpdateOne({"n": 2}, [{"$set": {"_tenant": b.id, "piped": True}}]),
        ReplaceOne({"owner": "B"}, {"owner": "B", "stolen": True}),
        ReplaceOne({"n": 3}, {"owner": "A", "n": 3, "replaced": True}),
        ReplaceOne({"owner": "A", "n": 60}, {"owner": "A", "n": 60, "replaced": True}, upsert=True),
        DeleteOne({"$expr": {"$eq": ["$_tenant", b.id]}}),
        DeleteMany({"$nor": [{"_tenant": a.id}]}),
        DeleteOne({"n": 4}, hint="_id_"),
    ]


def check_every_request(result: Any, db: Database[Doc], a: Shared, b: Shared, inserted: Doc, before_b: list[Doc]) -> None:
    assert (result.inserted_count, result.matched_count, result.modified_count) == (2, 5, 5)
    assert (result.upserted_count, result.deleted_count) == (2, 1)
    assert set(result.upserted_ids) == {5, 9}
    # The caller's document has the `_id` stored, and no stamp.
    assert set(inserted) == {"_id", "owner", "n"}
    assert db.shared_data.find_one({"_id": inserted["_id"]}) == {**inserted, "_tenant": a.id}
    assert holdings(db)["B"] == before_b
    assert_stamped(db, a, b)
    mine = {d["n"]: {k: v for k, v in d.items() if k not in ("_id", "_tenant", "email")} for d in holdings(db)["A"]}
    assert mine == {
        0: {"owner": "A", "n": 0, "low": True},
        1: {"owner": "A", "n": 1, "low": True},
        2: {"owner": "A", "n": 2, "piped": True},
        3: {"owner": "A", "n": 3, "replaced": True},
        7: {"owner": "A", "n": 7, "name": "Ab", "tags": ["new", "keep"]},
        8: {"owner": "A", "n": 8},
        50: {"owner": "A", "n": 50, "upserted": True},
        60: {"owner": "A", "n": 60, "replaced": True},
    }


async def test_bulk_write_confines_every_request(
    manager: TenantManager, client: pymongo.AsyncMongoClient[Doc], db: Database[Doc]
) -> None:
    a, b = await two_tenants(manager, client)
    before_b = holdings(db)["B"]
    inserted: Doc = {"owner": "A", "n": 8}
    result = await a.data.bulk_write(every_request(a, b, inserted))
    check_every_request(result, db, a, b, inserted, before_b)


async def test_a_refused_request_refuses_the_bulk_with_nothing_written(
    manager: TenantManager, client: pymongo.AsyncMongoClient[Doc], db: Database[Doc]
) -> None:
    a, b = await two_tenants(manager, client)
    before = holdings(db)
    hostile = [
        UpdateOne({}, {"$set": {"_tenant": b.id}}),
        UpdateMany({}, {"$unset": {"_tenant": ""}}),
        UpdateMany({}, {"$rename": {"owner": "_tenant"}}),
        UpdateOne({"n": 99}, {"$setOnInsert": {"_tenant": b.id}}, upsert=True),
        UpdateOne({}, [{"$lookup": {"from": "shared_data", "pipeline": [], "as": "all"}}]),
        InsertOne({"owner": "A", "_tenant": b.id}),
        ReplaceOne({"n": 0}, {"owner": "A", "_tenant": b.id}),
    ]
    for request in hostile:
        for ordered in (True, False):
            # Requests the server would apply, before and after the refused one.
            requests = [
                InsertOne({"owner": "A", "fresh": True}),
                UpdateMany({}, {"$set": {"seen": True}}),
                request,
                DeleteMany({}),
            ]
            with pytest.raises(InvalidInput):
                a.data.bulk_write(requests, ordered=ordered)
            assert holdings(db) == before, request
    # What is no request of pymongo's: a model in the Node driver's shape, an index model.
    for other in ({"insertOne": {"document": {"owner": "A"}}}, pymongo.IndexModel("n")):
        with pytest.raises(TypeError, match="is not one of InsertOne"):
            a.data.bulk_write([InsertOne({"owner": "A", "fresh": True}), other])
    assert holdings(db) == before


async def test_the_sync_driver_goes_through_the_same_wrapper(manager: TenantManager, db: Database[Doc]) -> None:
    sync: pymongo.MongoClient[Doc] = pymongo.MongoClient(mongo_uri())
    a, b = await shared_tenant(manager, sync), await shared_tenant(manager, sync)
    a.data.insert_many([{"n": i} for i in range(3)])
    b.data.insert_one({"n": 0})
    assert [d["n"] for d in a.data.find().sort("n")] == [0, 1, 2]
    assert a.data.count_documents({"_tenant": b.id}) == 0
    assert a.data.update_many({}, {"$inc": {"n": 100}}).modified_count == 3
    assert b.data.find_one({}, {"_id": 0}) == {"n": 0}
    assert [d["total"] for d in a.data.aggregate([{"$group": {"_id": None, "total": {"$sum": "$n"}}}])] == [303]
    with pytest.raises(InvalidInput):
        a.data.update_one({}, {"$set": {"_tenant": b.id}})
    assert a.data.delete_many({}).deleted_count == 3
    assert db.shared_data.count_documents({"_tenant": b.id}) == 1
    sync.close()


async def test_bulk_write_with_the_sync_driver(manager: TenantManager, db: Database[Doc]) -> None:
    sync: pymongo.MongoClient[Doc] = pymongo.MongoClient(mongo_uri())
    a, b = await two_tenants(manager, sync)
    before_b = holdings(db)["B"]
    inserted: Doc = {"owner": "A", "n": 8}
    result = a.data.bulk_write(every_request(a, b, inserted), ordered=False)
    check_every_request(result, db, a, b, inserted, before_b)
    with pytest.raises(InvalidInput):
        a.data.bulk_write([DeleteMany({}), UpdateOne({}, {"$unset": {"_tenant": ""}})])
    assert a.data.count_documents({}) == 8
    sync.close()


async def test_the_collections_codec_options_are_kept(manager: TenantManager) -> None:
    # A UUID is only storable with a representation chosen: the client's is used.
    client: pymongo.AsyncMongoClient[Doc] = pymongo.AsyncMongoClient(mongo_uri(), uuidRepresentation="standard", tz_aware=True)
    a = await shared_tenant(manager, client)
    key = uuid.uuid4()
    await a.data.insert_one({"key": key, "at": datetime.now(timezone.utc)})
    found = await a.data.find_one({"key": key})
    assert found is not None and found["key"] == key and found["at"].tzinfo is not None
    assert await a.data.count_documents({"key": {"$in": [key, uuid.uuid4()]}}) == 1
    await client.close()


async def test_the_native_confinement_converts_bson_only(manager: TenantManager) -> None:
    name = unique("Native")
    email = email_for(name)
    tenant = await manager.create_tenant(name, email, PASSWORD, layout="shared")
    claims = await manager.verify_token((await manager.authenticate(email, PASSWORD)).access_token)
    confinement = manager.locate(claims).confinement
    assert isinstance(confinement, Confinement) and confinement.tenant_id == tenant.id
    stamp = ObjectId(tenant.id)
    assert bson.decode(confinement.filter(bson.encode({}))) == {"_tenant": stamp}
    assert bson.decode(confinement.document(bson.encode({"a": 1}))) == {"a": 1, "_tenant": stamp}
    assert bson.decode(confinement.projection()) == {"_tenant": 0}
    piped = bson.decode(confinement.pipeline(bson.encode({"p": [{"$count": "n"}]})))["p"]
    assert piped == [{"$match": {"_tenant": stamp}}, {"$count": "n"}, {"$unset": "_tenant"}]
    # Malformed input is the caller's error, never a crash.
    for bad in (b"", b"not bson", bson.encode({"p": "no list"}), bson.encode({"p": [1]})):
        with pytest.raises(InvalidInput):
            confinement.pipeline(bad)
    with pytest.raises(InvalidInput, match="update"):
        confinement.update(bson.encode({"u": 1}))
    # Only the library makes them.
    with pytest.raises(TypeError):
        Confinement()
    with pytest.raises(TypeError):
        Location()
