"""The extension endpoints and fields beside the original contract: a layout chosen at
create (an optional field: the original requests and answers are unchanged), and the
operator's calls, authorized by OPERATOR_TOKEN: the online move (`POST /admin/move`),
listing and counting organizations (`GET /admin/tenants`, `GET /admin/tenants/count`), and,
on a server that keeps deleted organizations (DELETED_RETENTION_SECONDS), restoring and
purging them (`POST /admin/restore`, `POST /admin/purge`)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from bson import ObjectId

from conftest import OPERATOR_TOKEN, PASSWORD, email_for, unique
from test_contract import ORG_KEYS, assert_validation_error

PLACEMENT_KEYS = {"organization_name", "collection_name", "database", "layout", "cluster"}


def operator(token: str = OPERATOR_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_openapi_document_lists_the_extensions(client: httpx.Client) -> None:
    doc = client.get("/openapi.json").json()
    for path in ["/admin/move", "/admin/tenants", "/admin/tenants/count", "/admin/restore", "/admin/purge",
                 "/admin/migrate", "/admin/audit", "/admin/audit/verify", "/admin/export", "/admin/import",
                 "/admin/suspend", "/admin/resume"]:
        assert path in doc["paths"], path
    create = doc["paths"]["/org/create"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    ref = create.get("$ref", "")
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else create
    assert {"layout", "cluster"} <= set(schema["properties"])
    assert "layout" not in schema.get("required", [])


@pytest.mark.parametrize("layout", ["collection", "database", "shared"])
def test_create_takes_an_optional_layout(client: httpx.Client, db: Any, layout: str) -> None:
    name = unique("Layout")
    body = {"organization_name": name, "email": email_for(name), "password": PASSWORD, "layout": layout}
    r = client.post("/org/create", json=body)
    assert r.status_code == 201, r.text
    assert set(r.json()) == ORG_KEYS, "the original answer, unchanged"
    record = db.organizations.find_one({"organization_name": name})
    assert record is not None and record.get("layout", "collection") == layout
    got = client.get("/org/get", params={"organization_name": name})
    assert got.status_code == 200 and got.json() == r.json()


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"layout": "tables"}, "layout"), ({"layout": 3}, "layout"), ({"cluster": "mars"}, "cluster")],
)
def test_an_unknown_layout_or_cluster_is_400_and_writes_nothing(
    client: httpx.Client, db: Any, extra: dict[str, Any], field: str
) -> None:
    name = unique("Nowhere")
    before = db.organizations.count_documents({})
    r = client.post("/org/create", json={"organization_name": name, "email": email_for(name), "password": PASSWORD, **extra})
    assert_validation_error(r, field)
    assert db.organizations.count_documents({}) == before


def test_move_needs_the_operator_token(client: httpx.Client) -> None:
    body = {"organization_name": "Anyone", "layout": "shared"}
    r = client.post("/admin/move", json=body)
    assert r.status_code == 401
    assert r.headers.get("www-authenticate", "").lower().startswith("bearer")
    r = client.post("/admin/move", json=body, headers=operator("not-the-operator-token-at-all"))
    assert r.status_code == 401
    # A tenant admin's token is not an operator's.
    name = unique("Admin")
    email = email_for(name)
    client.post("/org/create", json={"organization_name": name, "email": email, "password": PASSWORD})
    token = client.post("/admin/login", json={"email": email, "password": PASSWORD}).json()["access_token"]
    r = client.post("/admin/move", json={"organization_name": name, "layout": "shared"}, headers=operator(token))
    assert r.status_code == 401


def test_move_moves_the_data_online(client: httpx.Client, db: Any, mongo: Any) -> None:
    name = unique("Mover")
    created = client.post("/org/create", json={"organization_name": name, "email": email_for(name), "password": PASSWORD})
    assert created.status_code == 201
    source = created.json()["collection_name"]
    docs = [{"_id": ObjectId(), "n": i} for i in range(50)]
    db[source].insert_many(docs)
    r = client.post("/admin/move", json={"organization_name": name, "layout": "database"}, headers=operator())
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == PLACEMENT_KEYS
    assert (body["layout"], body["cluster"], body["collection_name"]) == ("database", "home", "data")
    assert body["database"].startswith("tenant_")
    assert list(mongo[body["database"]]["data"].find().sort("_id")) == docs
    assert db[source].count_documents({}) == 0, "the source is emptied"
    # The original answer of the organization stays the original shape.
    got = client.get("/org/get", params={"organization_name": name}).json()
    assert set(got) == ORG_KEYS and got["collection_name"] == "data"
    back = client.post("/admin/move", json={"organization_name": name, "layout": "shared"}, headers=operator())
    assert back.status_code == 200 and back.json()["collection_name"] == "shared_data"


def test_a_move_nowhere_or_of_nobody_is_refused(client: httpx.Client) -> None:
    r = client.post("/admin/move", json={"organization_name": unique("Ghost"), "layout": "shared"}, headers=operator())
    assert r.status_code == 404
    name = unique("Stayer")
    client.post("/org/create", json={"organization_name": name, "email": email_for(name), "password": PASSWORD})
    r = client.post("/admin/move", json={"organization_name": name}, headers=operator())
    assert_validation_error(r, "target")
    r = client.post("/admin/move", json={"organization_name": name, "layout": "tables"}, headers=operator())
    assert_validation_error(r, "layout")
    r = client.post("/admin/move", json={"organization_name": name, "cluster": "mars"}, headers=operator())
    assert_validation_error(r, "cluster")
    r = client.post("/admin/move", json={"layout": "shared"}, headers=operator())
    assert_validation_error(r, "organization_name")


# --- listing, soft delete, restore, purge ------------------------------------------------

LISTED_KEYS = {
    "organization_id", "organization_name", "admin_email", "collection_name", "database", "layout",
    "cluster", "state", "created_at", "updated_at", "deleted_at", "purge_after", "suspended_at", "suspended_reason",
}


def create(client: httpx.Client, name: str, **extra: str) -> str:
    email = email_for(name)
    r = client.post("/org/create", json={"organization_name": name, "email": email, "password": PASSWORD, **extra})
    assert r.status_code == 201, r.text
    return email


def login(client: httpx.Client, email: str) -> dict[str, str]:
    r = client.post("/admin/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/admin/tenants", None),
        ("GET", "/admin/tenants/count", None),
        ("POST", "/admin/restore", {"organization_name": "Anyone"}),
        ("POST", "/admin/purge", {"organization_name": "Anyone"}),
        ("POST", "/admin/migrate", None),
        ("POST", "/admin/suspend", {"organization_name": "Anyone"}),
        ("POST", "/admin/resume", {"organization_name": "Anyone"}),
    ],
)
def test_operator_calls_need_the_operator_token(client: httpx.Client, method: str, path: str, body: Any) -> None:
    r = client.request(method, path, json=body)
    assert r.status_code == 401, r.text
    assert r.headers.get("www-authenticate", "").lower().startswith("bearer")
    r = client.request(method, path, json=body, headers=operator("not-the-operator-token-at-all"))
    assert r.status_code == 401, r.text
    name = unique("Admin")
    token = login(client, create(client, name))
    r = client.request(method, path, json=body, headers=token)
    assert r.status_code == 401, "a tenant admin's token is not an operator's"


def test_listing_pages_through_every_organization_once(client: httpx.Client) -> None:
    prefix = unique("Lister")
    names = [f"{prefix} {i}" for i in range(5)]
    for i, name in enumerate(names):
        create(client, name, layout="shared" if i % 2 else "collection")
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"name_prefix": prefix, "limit": 2}
    while True:
        r = client.get("/admin/tenants", params=params, headers=operator())
        assert r.status_code == 200, r.text
        page = r.json()
        assert set(page) == {"tenants", "next"} and len(page["tenants"]) <= 2
        seen.extend(page["tenants"])
        if page["next"] is None:
            break
        params["after"] = page["next"]
    assert [t["organization_name"] for t in seen] == names, "each once, in creation order"
    for t in seen:
        assert set(t) == LISTED_KEYS
        assert t["state"] == "active" and t["deleted_at"] is None and t["purge_after"] is None
        assert t["created_at"].endswith("Z")
    shared = client.get("/admin/tenants", params={"name_prefix": prefix, "layout": "shared"}, headers=operator())
    assert [t["organization_name"] for t in shared.json()["tenants"]] == names[1::2]
    count = client.get("/admin/tenants/count", params={"name_prefix": prefix, "layout": "shared"}, headers=operator())
    assert count.status_code == 200 and count.json() == {"count": 2}
    since = seen[3]["created_at"]
    late = client.get("/admin/tenants", params={"name_prefix": prefix, "created_after": since}, headers=operator())
    assert [t["organization_name"] for t in late.json()["tenants"]] == names[3:]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=many", "limit"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("state=gone", "state"),
        ("layout=tables", "layout"),
        ("created_after=yesterday", "created_after"),
        ("after=not-a-cursor", "after"),
        ("name_prefix=%20-%20", "name_prefix"),
        ("state=active&state=deleted", "state"),
    ],
)
def test_a_bad_listing_query_is_400(client: httpx.Client, query: str, field: str) -> None:
    for path in ["/admin/tenants", "/admin/tenants/count"]:
        if path.endswith("count") and field in {"limit", "after"}:
            continue  # A count reads no page.
        r = client.get(f"{path}?{query}", headers=operator())
        assert_validation_error(r, field)


def test_a_kept_delete_hides_the_organization_until_restored(retaining: httpx.Client, mongo: Any, retaining_server: Any) -> None:
    db = mongo[retaining_server.master_db]
    name = unique("Kept")
    email = create(retaining, name)
    collection = retaining.get("/org/get", params={"organization_name": name}).json()["collection_name"]
    db[collection].insert_many([{"_id": i, "n": i} for i in range(20)])
    r = retaining.delete("/org/delete", params={"organization_name": name}, headers=login(retaining, email))
    assert r.status_code == 200 and r.json() == {"message": "Organization deleted successfully"}
    assert retaining.get("/org/get", params={"organization_name": name}).status_code == 404
    assert retaining.post("/admin/login", json={"email": email, "password": PASSWORD}).status_code == 401
    again = retaining.post("/org/create", json={"organization_name": name, "email": email_for(name), "password": PASSWORD})
    assert again.status_code == 400, "the name stays taken while the organization can be restored"
    listed = retaining.get("/admin/tenants", params={"name_prefix": name, "state": "deleted"}, headers=operator()).json()
    [gone] = listed["tenants"]
    assert gone["state"] == "deleted" and gone["deleted_at"] and gone["purge_after"] > gone["deleted_at"]
    assert db[collection].count_documents({}) == 20, "its data is kept"
    r = retaining.post("/admin/restore", json={"organization_name": name}, headers=operator())
    assert r.status_code == 200, r.text
    back = r.json()
    assert set(back) == LISTED_KEYS and back["state"] == "active" and back["deleted_at"] is None
    assert retaining.get("/org/get", params={"organization_name": name}).status_code == 200
    login(retaining, email)
    assert db[collection].count_documents({}) == 20
    r = retaining.post("/admin/restore", json={"organization_name": name}, headers=operator())
    assert r.status_code == 404, "not deleted any more"


def test_a_purge_removes_a_kept_organization(retaining: httpx.Client, mongo: Any, retaining_server: Any) -> None:
    db = mongo[retaining_server.master_db]
    name = unique("Purged")
    email = create(retaining, name)
    collection = retaining.get("/org/get", params={"organization_name": name}).json()["collection_name"]
    db[collection].insert_many([{"_id": i} for i in range(5)])
    r = retaining.post("/admin/purge", json={"organization_name": name}, headers=operator())
    assert r.status_code == 404, "only a deleted organization is purged"
    retaining.delete("/org/delete", params={"organization_name": name}, headers=login(retaining, email))
    r = retaining.post("/admin/purge", json={"organization_name": name}, headers=operator())
    assert r.status_code == 200 and r.json() == {"message": "Organization purged successfully"}
    assert collection not in db.list_collection_names()
    assert retaining.post("/admin/restore", json={"organization_name": name}, headers=operator()).status_code == 404
    listed = retaining.get("/admin/tenants/count", params={"name_prefix": name}, headers=operator()).json()
    assert listed == {"count": 0}
    create(retaining, name)


def test_restore_and_purge_check_their_body(client: httpx.Client) -> None:
    for path in ["/admin/restore", "/admin/purge"]:
        assert_validation_error(client.post(path, json={}, headers=operator()), "organization_name")
        assert_validation_error(client.post(path, json={"organization_name": 7}, headers=operator()), "organization_name")
        r = client.post(path, json={"organization_name": unique("Nobody")}, headers=operator())
        assert r.status_code == 404 and r.json()["code"] == "TENANT_NOT_FOUND"


# --- audit log, export and import --------------------------------------------------------


def test_the_audit_log_is_listed_and_verified(client: httpx.Client) -> None:
    name = unique("Audited")
    email = create(client, name)
    login(client, email)
    assert client.post("/admin/login", json={"email": email, "password": "wrong-password"}).status_code == 401
    org = client.get("/admin/tenants", params={"name_prefix": name}, headers=operator()).json()["tenants"][0]
    r = client.get("/admin/audit", params={"organization_id": org["organization_id"]}, headers=operator())
    assert r.status_code == 200, r.text
    page = r.json()
    assert [(e["op"], e["outcome"]) for e in page["entries"]] == [
        ("create", "ok"), ("login", "ok"), ("login", "INVALID_CREDENTIALS"),
    ]
    assert page["next"] is None
    first = page["entries"][0]
    assert set(first) == {"seq", "at", "actor", "op", "outcome", "detail", "prev", "hash"}
    assert first["seq"] == 1 and first["prev"] == "0" * 64 and first["detail"]["name"] == name
    logins = client.get("/admin/audit", params={"organization_id": org["organization_id"], "op": "login", "limit": 1}, headers=operator()).json()
    assert len(logins["entries"]) == 1 and logins["next"] == 2
    r = client.get("/admin/audit/verify", params={"organization_id": org["organization_id"]}, headers=operator())
    assert r.status_code == 200 and r.json() == {"entries": 3, "intact": True, "broken": None}


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/admin/audit", "", "organization_id"),
        ("/admin/audit", "organization_id=nope", "organization_id"),
        ("/admin/audit", "organization_id=6b0e47ac15f6d32eac0dc5b7&limit=x", "limit"),
        ("/admin/audit", "organization_id=6b0e47ac15f6d32eac0dc5b7&since=then", "since"),
        ("/admin/audit/verify", "organization_id=12", "organization_id"),
        ("/admin/export", "", "organization_name"),
    ],
)
def test_a_bad_audit_or_export_query_is_400(client: httpx.Client, path: str, query: str, field: str) -> None:
    assert_validation_error(client.get(f"{path}?{query}", headers=operator()), field)


def test_an_export_imports_as_a_copy(client: httpx.Client, db: Any) -> None:
    name = unique("Exported")
    create(client, name)
    collection = client.get("/org/get", params={"organization_name": name}).json()["collection_name"]
    docs = [{"_id": i, "v": "x" * 200, "when": ObjectId()} for i in range(400)]
    db[collection].insert_many(docs)
    r = client.get("/admin/export", params={"organization_name": name}, headers=operator())
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/octet-stream"
    archive = r.content
    assert len(archive) > 64 * 1024, "larger than an ordinary request body"
    copy = unique("Imported")
    copy_email = email_for(copy)
    r = client.post(
        "/admin/import",
        params={"organization_name": copy, "email": copy_email},
        content=archive,
        headers={**operator(), "content-type": "application/octet-stream"},
    )
    assert r.status_code == 201, r.text
    imported = r.json()
    assert set(imported) == LISTED_KEYS and imported["organization_name"] == copy and imported["state"] == "active"
    assert list(db[imported["collection_name"]].find().sort("_id")) == docs
    login(client, copy_email)
    # The same archive again, under the same names: refused, nothing changes.
    r = client.post("/admin/import", params={"organization_name": copy, "email": email_for(copy)}, content=archive, headers=operator())
    assert r.status_code == 400 and r.json()["code"] == "TENANT_ALREADY_EXISTS"
    # Damaged: refused, and nothing is left under the name.
    damaged = bytearray(archive)
    damaged[len(damaged) // 2] ^= 0xFF
    other = unique("Damaged")
    r = client.post("/admin/import", params={"organization_name": other, "email": email_for(other)}, content=bytes(damaged), headers=operator())
    assert_validation_error(r, "archive")
    assert client.get("/admin/tenants/count", params={"name_prefix": other}, headers=operator()).json() == {"count": 0}
    r = client.get("/admin/export", params={"organization_name": unique("Ghost")}, headers=operator())
    assert r.status_code == 404


MIGRATE_REPORT_KEYS = {"tenants", "applied", "up_to_date", "not_started", "failed"}


def test_migrate_applies_the_declared_schema_once(migrating: httpx.Client, mongo: Any, migrating_server: Any) -> None:
    db = mongo[migrating_server.master_db]
    names = [unique("Migrated") for _ in range(3)]
    collections = []
    for name in names:
        create(migrating, name)
        collection = migrating.get("/org/get", params={"organization_name": name}).json()["collection_name"]
        db[collection].insert_many([
            {"_id": 1, "sku": "a", "mail": "a@x.io", "status": "ACTIVE"},
            {"_id": 2, "sku": "b", "email": "b@x.io", "plan": "pro"},
        ])
        collections.append(collection)
    foreign = db[unique("foreign").replace(" ", "_")]
    foreign.insert_one({"_id": 1, "mail": "f@x.io", "status": "ACTIVE"})
    # Born with the schema: the index is there, every migration recorded as applied.
    r = migrating.post("/admin/migrate", params={"dry_run": "true"}, headers=operator())
    assert r.status_code == 200, r.text
    dry = r.json()
    assert set(dry) == MIGRATE_REPORT_KEYS and dry["applied"] == 0 and dry["failed"] == [], dry
    # An organization adopted with the old shape and no ledger: the migrations apply to it.
    ledger = db.tenant_migrations
    org_id = db.organizations.find_one({"organization_name": names[0]})["_id"]
    assert ledger.count_documents({"t": org_id}) == 3
    ledger.delete_many({"t": org_id})
    r = migrating.post("/admin/migrate", params={"dry_run": "true"}, headers=operator())
    assert r.json()["applied"] == 3, r.text
    assert db[collections[0]].find_one({"_id": 1})["mail"] == "a@x.io", "a dry run writes nothing"
    r = migrating.post("/admin/migrate", params={"parallelism": "2"}, headers=operator())
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["applied"] == 3 and report["failed"] == [] and report["not_started"] == 0, report
    assert report["up_to_date"] == report["tenants"] - 1
    migrated = db[collections[0]].find_one({"_id": 1})
    assert migrated["email"] == "a@x.io" and "mail" not in migrated
    assert migrated["plan"] == "free" and migrated["status"] == "active"
    assert db[collections[1]].find_one({"_id": 1})["mail"] == "a@x.io", "born migrated: not touched again"
    assert foreign.find_one({"_id": 1}) == {"_id": 1, "mail": "f@x.io", "status": "ACTIVE"}
    again = migrating.post("/admin/migrate", headers=operator()).json()
    assert again["applied"] == 0 and again["up_to_date"] == again["tenants"], again


@pytest.mark.parametrize(
    ("query", "field"),
    [("dry_run=maybe", "dry_run"), ("parallelism=many", "parallelism"), ("stop_on_failure=1", "stop_on_failure"),
     ("dry_run=true&dry_run=false", "dry_run")],
)
def test_a_bad_migrate_query_is_400(migrating: httpx.Client, query: str, field: str) -> None:
    assert_validation_error(migrating.post(f"/admin/migrate?{query}", headers=operator()), field)


def test_migrate_out_of_range_or_without_a_schema_is_400(client: httpx.Client, migrating: httpx.Client) -> None:
    r = migrating.post("/admin/migrate", params={"parallelism": "0"}, headers=operator())
    assert r.status_code == 400 and r.json()["code"] == "INVALID_INPUT", r.text
    r = client.post("/admin/migrate", headers=operator())
    assert r.status_code == 400 and r.json()["code"] == "INVALID_INPUT", r.text


def test_a_suspended_organization_refuses_its_credentials_until_resumed(client: httpx.Client, db: Any) -> None:
    name = unique("Suspended")
    email = create(client, name)
    token = login(client, email)
    bystander = unique("Bystander")
    bystander_email = create(client, bystander)
    r = client.post("/admin/suspend", json={"organization_name": name, "reason": "unpaid invoice"}, headers=operator())
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == LISTED_KEYS and body["suspended_reason"] == "unpaid invoice" and body["suspended_at"]
    # The right password: 403 TENANT_SUSPENDED; a wrong one says nothing of it.
    r = client.post("/admin/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 403 and r.json()["code"] == "TENANT_SUSPENDED", r.text
    r = client.post("/admin/login", json={"email": email, "password": "not-the-password"})
    assert r.status_code == 401 and r.json()["code"] == "INVALID_CREDENTIALS", r.text
    # Tokens issued before: refused for every call they authorize.
    update = {"organization_name": name, "email": email, "password": PASSWORD}
    r = client.put("/org/update", json=update, headers=token)
    assert r.status_code == 403 and r.json()["code"] == "TENANT_SUSPENDED", r.text
    r = client.delete("/org/delete", params={"organization_name": name}, headers=token)
    assert r.status_code == 403 and r.json()["code"] == "TENANT_SUSPENDED", r.text
    # The organization and its data are there; others are not affected.
    assert client.get("/org/get", params={"organization_name": name}).status_code == 200
    login(client, bystander_email)
    r = client.post("/admin/resume", json={"organization_name": name}, headers=operator())
    assert r.status_code == 200, r.text
    assert r.json()["suspended_at"] is None and r.json()["suspended_reason"] is None
    r = client.put("/org/update", json=update, headers=token)
    assert r.status_code == 200, "the earlier token works again: " + r.text
    login(client, email)


def test_suspend_and_resume_check_their_body(client: httpx.Client) -> None:
    assert_validation_error(client.post("/admin/suspend", json={}, headers=operator()), "organization_name")
    assert_validation_error(client.post("/admin/suspend", json={"organization_name": 3}, headers=operator()), "organization_name")
    r = client.post("/admin/suspend", json={"organization_name": unique("Ghost")}, headers=operator())
    assert r.status_code == 404, r.text
    name = unique("Reasoned")
    create(client, name)
    r = client.post("/admin/suspend", json={"organization_name": name, "reason": "x" * 501}, headers=operator())
    assert_validation_error(r, "reason")
    assert_validation_error(client.post("/admin/resume", json={}, headers=operator()), "organization_name")
    r = client.post("/admin/resume", json={"organization_name": unique("Ghost")}, headers=operator())
    assert r.status_code == 404, r.text
