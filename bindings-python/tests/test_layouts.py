"""Layouts, names and clusters through the binding: ``create_tenant``'s keyword options (the
core parses and checks them), the new fields of ``Tenant`` and ``Claims``, and
``locate``/``collection``/``admin_collection`` naming the right namespace in each layout."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pymongo
import pytest
from bson import ObjectId
from pymongo.database import Database

import tenantry
from tenantry import (
    DEFAULT_COLLECTION,
    HOME_CLUSTER,
    Claims,
    ConfinedCollection,
    InvalidInput,
    Location,
    TenantManager,
    TenantNotFound,
)

from conftest import PASSWORD, Doc, connect, email_for, mongo_uri, unique


@pytest.fixture
def databases(mongo: pymongo.MongoClient[Doc]) -> Iterator[list[str]]:
    """Databases a test makes besides the master one (a tenant's own, a tenants_db), dropped
    afterwards."""
    made: list[str] = []
    yield made
    for name in made:
        mongo.drop_database(name)


async def claims_of(manager: TenantManager, email: str) -> Claims:
    login = await manager.authenticate(email, PASSWORD)
    return await manager.verify_token(login.access_token)


def test_the_core_constants() -> None:
    assert (HOME_CLUSTER, DEFAULT_COLLECTION) == ("home", "data")


async def test_create_in_each_layout(manager: TenantManager, db: Database[Doc], databases: list[str]) -> None:
    # Left out, the options keep the original behaviour: collection layout, slug names.
    plain_name = unique("Plain")
    plain = await manager.create_tenant(plain_name, email_for(plain_name), PASSWORD)
    assert (plain.layout, plain.cluster) == ("collection", HOME_CLUSTER)
    assert plain.collection_name == "org_" + plain_name.lower().replace(" ", "_")
    assert plain.to_dict()["layout"] == "collection" and plain.to_dict()["cluster"] == HOME_CLUSTER

    stable_name = unique("Stable")
    stable = await manager.create_tenant(stable_name, email_for(stable_name), PASSWORD, naming="stable")
    assert (stable.layout, stable.database, stable.collection_name) == ("collection", db.name, f"org_{stable.id}")

    own_name = unique("Own")
    own_email = email_for(own_name)
    own = await manager.create_tenant(own_name, own_email, PASSWORD, layout="database")
    databases.append(own.database)
    assert (own.layout, own.database, own.collection_name) == ("database", f"tenant_{own.id}", "data")

    shared_name = unique("Shared")
    shared_email = email_for(shared_name)
    shared = await manager.create_tenant(shared_name, shared_email, PASSWORD, layout="shared")
    assert (shared.layout, shared.database, shared.collection_name) == ("shared", db.name, "shared_data")

    # Each is found again as made, and its claims say where its data is.
    for tenant, email in ((own, own_email), (shared, shared_email)):
        assert await manager.get_tenant(tenant.name) == tenant
        claims = await claims_of(manager, email)
        assert (claims.layout, claims.database, claims.collection_name, claims.cluster) == (
            tenant.layout,
            tenant.database,
            tenant.collection_name,
            HOME_CLUSTER,
        )
        assert claims.to_dict()["layout"] == tenant.layout
        decoded = manager.decode_token((await manager.authenticate(email, PASSWORD)).access_token)
        assert (decoded.layout, decoded.database, decoded.cluster) == (None, None, None)
    assert db.organizations.count_documents({"_id": ObjectId(shared.id)}) == 1


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"layout": "tables"}, "layout"),
        ({"layout": ""}, "layout"),
        ({"naming": "pretty"}, "naming"),
        ({"cluster": "nowhere"}, "cluster"),
        ({"tag": "no-such-tag"}, "tag"),
    ],
)
async def test_bad_options_are_the_cores_invalid_input(
    manager: TenantManager, db: Database[Doc], options: dict[str, str], field: str
) -> None:
    name = unique("Refused")
    with pytest.raises(InvalidInput) as caught:
        await manager.create_tenant(name, email_for(name), PASSWORD, **options)
    assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", field)
    assert isinstance(caught.value, ValueError)
    # Nothing was written.
    assert db.organizations.count_documents({}) == 0


async def test_collection_names_the_namespace_of_each_layout(
    manager: TenantManager, db: Database[Doc], databases: list[str]
) -> None:
    client: pymongo.MongoClient[Doc] = pymongo.MongoClient(mongo_uri())
    async_client: pymongo.AsyncMongoClient[Doc] = pymongo.AsyncMongoClient(mongo_uri())
    made: dict[str, tuple[tenantry.Tenant, Claims]] = {}
    for layout in ("collection", "database", "shared"):
        name = unique(layout.title())
        email = email_for(name)
        tenant = await manager.create_tenant(name, email, PASSWORD, layout=layout)
        if layout == "database":
            databases.append(tenant.database)
        made[layout] = (tenant, await claims_of(manager, email))

    tenant, claims = made["collection"]
    location = manager.locate(claims)
    assert isinstance(location, Location)
    assert (location.cluster, location.database, location.collection, location.confinement) == (
        HOME_CLUSTER,
        db.name,
        tenant.collection_name,
        None,
    )
    assert location.namespace == tenant.namespace and "confined=False" in repr(location)
    orders = manager.collection(claims, client)
    assert isinstance(orders, pymongo.collection.Collection) and orders.full_name == tenant.namespace
    assert manager.collection(claims, client, "data").full_name == tenant.namespace
    # One collection per tenant in this layout.
    with pytest.raises(InvalidInput) as caught:
        manager.collection(claims, client, "notes")
    assert caught.value.field == "collection"

    tenant, claims = made["database"]
    data = manager.collection(claims, client)
    assert data.full_name == f"tenant_{tenant.id}.data"
    notes = manager.collection(claims, async_client, "notes")
    assert isinstance(notes, pymongo.asynchronous.collection.AsyncCollection)
    assert notes.full_name == f"tenant_{tenant.id}.notes"
    await notes.insert_one({"note": 1})
    assert client[tenant.database]["notes"].count_documents({}) == 1
    for bad in ("", "a$b", "system.users"):
        with pytest.raises(InvalidInput):
            manager.collection(claims, client, bad)

    tenant, claims = made["shared"]
    shared = manager.collection(claims, client)
    assert isinstance(shared, ConfinedCollection)
    assert (shared.full_name, shared.tenant_id) == (f"{db.name}.shared_data", tenant.id)
    location = manager.locate(claims, "notes")
    assert location.collection == "shared_notes" and location.confinement is not None
    assert location.confinement.tenant_id == tenant.id
    assert manager.collection(claims, async_client, "notes").full_name == f"{db.name}.shared_notes"

    # Claims from decode_token carry no placement.
    email = made["collection"][0].admin_email
    decoded = manager.decode_token((await manager.authenticate(email, PASSWORD)).access_token)
    with pytest.raises(InvalidInput, match="verify_token"):
        manager.collection(decoded, client)
    await async_client.close()
    client.close()


async def test_tenants_db_holds_the_tenants_data(master_db: str, databases: list[str]) -> None:
    tenants_db = f"tpy_data_{uuid.uuid4().hex[:10]}"
    databases.append(tenants_db)
    manager = await connect(master_db, tenants_db=tenants_db)
    assert manager.settings["tenants_db"] == tenants_db
    client: pymongo.MongoClient[Doc] = pymongo.MongoClient(mongo_uri())
    for layout in ("collection", "shared"):
        name = unique(layout.title())
        email = email_for(name)
        tenant = await manager.create_tenant(name, email, PASSWORD, layout=layout)
        assert tenant.database == tenants_db
        claims = await claims_of(manager, email)
        collection = manager.collection(claims, client)
        assert collection.full_name == f"{tenants_db}.{tenant.collection_name}"
        collection.insert_one({"layout": layout})
        assert client[tenants_db][tenant.collection_name].count_documents({"layout": layout}) == 1
    # The records stay in the master database.
    assert client[master_db].organizations.count_documents({}) == 2
    assert "organizations" not in client[tenants_db].list_collection_names()
    await manager.aclose()
    client.close()


async def test_settings_choose_the_layout_of_new_tenants(master_db: str) -> None:
    manager = await connect(master_db, tenant_layout="shared", tenant_naming="stable", placement="home")
    settings = manager.settings
    assert (settings["tenant_layout"], settings["tenant_naming"], settings["placement"]) == ("shared", "stable", "home")
    name = unique("By Settings")
    assert (await manager.create_tenant(name, email_for(name), PASSWORD)).layout == "shared"
    # The keyword wins over the setting.
    other = unique("By Keyword")
    assert (await manager.create_tenant(other, email_for(other), PASSWORD, layout="collection")).layout == "collection"
    await manager.aclose()


async def test_a_tenant_on_another_cluster(master_db: str) -> None:
    # A second cluster name for the same server: what matters here is what the binding
    # reports (the core's tests move data between real clusters).
    manager = await connect(master_db, clusters=f"east@eu={mongo_uri()}")
    assert manager.settings["clusters"] == "east@eu"  # names and tags: no connection string
    name = unique("East")
    email = email_for(name)
    tenant = await manager.create_tenant(name, email, PASSWORD, cluster="east")
    assert tenant.cluster == "east"
    tagged = unique("Tagged")
    assert (await manager.create_tenant(tagged, email_for(tagged), PASSWORD, tag="eu")).cluster == "east"
    claims = await claims_of(manager, email)
    assert claims.cluster == "east" and manager.locate(claims).cluster == "east"
    await manager.aclose()


async def test_admin_collection_opens_any_tenants_data(manager: TenantManager, databases: list[str]) -> None:
    client: pymongo.AsyncMongoClient[Doc] = pymongo.AsyncMongoClient(mongo_uri())
    own_name, shared_name = unique("Own"), unique("Shared")
    own = await manager.create_tenant(own_name, email_for(own_name), PASSWORD, layout="database")
    databases.append(own.database)
    shared = await manager.create_tenant(shared_name, email_for(shared_name), PASSWORD, layout="shared")

    # Any spelling of the name, as get_tenant.
    notes = await manager.admin_collection(own_name.upper(), client, "notes")
    assert notes.full_name == f"{own.database}.notes"
    confined = await manager.admin_collection(shared_name, client)
    assert isinstance(confined, ConfinedCollection) and confined.tenant_id == shared.id
    await confined.insert_one({"by": "admin"})
    raw = await client[shared.database][shared.collection_name].find_one({"by": "admin"})
    assert raw is not None and raw["_tenant"] == ObjectId(shared.id)
    with pytest.raises(TenantNotFound):
        await manager.admin_collection(unique("Nobody"), client)
    with pytest.raises(InvalidInput):
        await manager.admin_collection(shared_name, client, "bad$name")
    await client.close()
