"""Black-box tests of the HTTP contract (CONTRACT.md): every route, every status code."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx
import pymongo
import pytest
from bson import ObjectId

from conftest import PASSWORD, email_for, unique

ORG_KEYS = {"organization_name", "collection_name", "admin_email", "created_at", "updated_at"}


def create(client: httpx.Client, name: str | None = None, email: str | None = None) -> dict[str, Any]:
    name = name or unique()
    email = email or email_for(name)
    r = client.post("/org/create", json={"organization_name": name, "email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    body["_email"] = email
    return body


def login(client: httpx.Client, email: str, password: str = PASSWORD) -> str:
    r = client.post("/admin/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def parse_time(value: str) -> datetime:
    t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert t.tzinfo is not None and t.utcoffset() == timezone.utc.utcoffset(None), value
    return t


def assert_other_methods_are_405(client: httpx.Client, path: str, methods: list[str]) -> None:
    """Every method `path` does not serve answers 405, with `Allow` naming the ones it does
    (HEAD beside GET) and the contract's body."""
    served = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
    allow = ", ".join(m for m in served if m.lower() in methods or (m == "HEAD" and "get" in methods))
    for wrong in ["GET", "POST", "PUT", "PATCH", "DELETE"]:
        if wrong.lower() in methods:
            continue
        r = client.request(wrong, path)
        assert r.status_code == 405, (wrong, path, r.text)
        assert r.headers["allow"] == allow, (wrong, path)
        assert r.json() == {"detail": "Method Not Allowed", "code": "METHOD_NOT_ALLOWED"}


def assert_validation_error(r: httpx.Response, field: str | None = None) -> None:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["detail"] == "Validation error"
    assert body["code"] == "INVALID_INPUT"
    assert isinstance(body["message"], str) and body["message"]
    assert body["errors"] and {"field", "message", "type"} <= set(body["errors"][0])
    if field is not None:
        assert body["errors"][0]["field"] == field, body


# --- health and docs -------------------------------------------------------------------


def test_health(client: httpx.Client) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "healthy"}


def test_openapi_document_lists_every_route(client: httpx.Client) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for route in ["/org/create", "/org/get", "/admin/login", "/org/update", "/org/delete", "/health"]:
        assert route in paths, route


def test_docs_page_is_served_without_a_cdn(client: httpx.Client) -> None:
    r = client.get("/docs", follow_redirects=True)
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    assert "swagger" in r.text.lower()
    assert "cdn.jsdelivr.net" not in r.text and "unpkg.com" not in r.text


def test_unknown_route_is_404(client: httpx.Client) -> None:
    assert client.get("/no/such/route").status_code == 404


# --- create ------------------------------------------------------------------------------


def test_create_returns_201_and_the_org(client: httpx.Client, db: Any) -> None:
    name = unique("Acme")
    email = email_for(name)
    r = client.post("/org/create", json={"organization_name": name, "email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == ORG_KEYS
    assert body["organization_name"] == name
    assert body["admin_email"] == email
    assert body["collection_name"] == "org_" + name.lower().replace(" ", "_")
    assert parse_time(body["created_at"]) == parse_time(body["updated_at"])
    assert body["collection_name"] in db.list_collection_names()
    assert db.organizations.count_documents({"organization_name": name}) == 1
    admin = db.admin_users.find_one({"email": email})
    assert admin is not None and admin["hashed_password"] != PASSWORD


def test_duplicate_name_is_400(client: httpx.Client) -> None:
    org = create(client)
    r = client.post(
        "/org/create",
        json={"organization_name": org["organization_name"], "email": email_for("x y"), "password": PASSWORD},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "TENANT_ALREADY_EXISTS"
    assert r.json()["detail"]


def test_spelling_variants_never_share_a_collection(client: httpx.Client, db: Any) -> None:
    suffix = unique("").strip()
    create(client, f"Acme Corp {suffix}")
    for variant in [f"acme-corp-{suffix}", f"ACME  CORP {suffix.upper()}", f"acme_corp.{suffix}"]:
        r = client.post(
            "/org/create", json={"organization_name": variant, "email": email_for("v w"), "password": PASSWORD}
        )
        assert r.status_code == 400, variant
        assert r.json()["code"] == "TENANT_ALREADY_EXISTS"
    assert db.organizations.count_documents({"collection_name": f"org_acme_corp_{suffix}"}) == 1


def test_non_latin_names_get_distinct_collections(client: httpx.Client, db: Any) -> None:
    tag = unique("").strip()
    a = create(client, f"東京 {tag}")
    b = create(client, f"大阪 {tag}")
    assert a["collection_name"] != b["collection_name"]
    for org in (a, b):
        assert org["collection_name"].isascii() and org["collection_name"].startswith("org_")
        assert org["collection_name"] in db.list_collection_names()
        assert client.get("/org/get", params={"organization_name": org["organization_name"]}).status_code == 200


def test_duplicate_email_is_400_case_insensitively(client: httpx.Client, db: Any) -> None:
    org = create(client)
    other = unique()
    r = client.post(
        "/org/create",
        json={"organization_name": other, "email": org["_email"].upper(), "password": PASSWORD},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "TENANT_ALREADY_EXISTS"
    assert db.organizations.count_documents({"organization_name": other}) == 0
    assert "org_" + other.lower().replace(" ", "_") not in db.list_collection_names()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"organization_name": "", "email": "a@b.co", "password": PASSWORD}, "organization_name"),
        ({"organization_name": "   ", "email": "a@b.co", "password": PASSWORD}, "organization_name"),
        ({"organization_name": "pay$day", "email": "a@b.co", "password": PASSWORD}, "organization_name"),
        ({"organization_name": "nul\u0000byte", "email": "a@b.co", "password": PASSWORD}, "organization_name"),
        ({"organization_name": "system.users", "email": "a@b.co", "password": PASSWORD}, "organization_name"),
        ({"organization_name": "x" * 300, "email": "a@b.co", "password": PASSWORD}, "organization_name"),
        ({"organization_name": "Valid Name", "email": "not-an-email", "password": PASSWORD}, "email"),
        ({"organization_name": "Valid Name", "email": "a@b.co", "password": "short"}, "password"),
        ({"organization_name": {"$gt": ""}, "email": "a@b.co", "password": PASSWORD}, "organization_name"),
        ({"organization_name": "Valid Name", "email": {"$ne": None}, "password": PASSWORD}, "email"),
        ({"organization_name": "Valid Name", "email": "a@b.co", "password": 12345678}, "password"),
        ({"organization_name": ["a"], "email": "a@b.co", "password": PASSWORD}, "organization_name"),
        ({"email": "a@b.co", "password": PASSWORD}, "organization_name"),
        ({"organization_name": "Valid Name", "password": PASSWORD}, "email"),
    ],
)
def test_invalid_create_is_400_and_writes_nothing(
    client: httpx.Client, db: Any, body: dict[str, Any], field: str
) -> None:
    before = (db.organizations.count_documents({}), db.admin_users.count_documents({}), len(db.list_collection_names()))
    r = client.post("/org/create", json=body)
    assert_validation_error(r, field)
    after = (db.organizations.count_documents({}), db.admin_users.count_documents({}), len(db.list_collection_names()))
    assert before == after


@pytest.mark.parametrize(
    "raw",
    [
        b'{"organization_name": "x", ',
        b"not json at all",
        b'{"organization_name": "\xff\xfe", "email": "a@b.co", "password": "securepassword123"}',
        b"[" * 5000 + b"]" * 5000,
        b'{"organization_name": "A", "email": "a@b.co", "password": "securepassword123"} trailing',
        b"",
    ],
)
def test_malformed_bodies_are_400(client: httpx.Client, raw: bytes) -> None:
    r = client.post("/org/create", content=raw, headers={"content-type": "application/json"})
    assert_validation_error(r)
    assert client.get("/health").status_code == 200


def test_huge_body_is_413(client: httpx.Client, db: Any) -> None:
    before = db.organizations.count_documents({})
    r = client.post(
        "/org/create",
        json={"organization_name": "Big", "email": "a@b.co", "password": "p" * (200 * 1024)},
    )
    assert r.status_code == 413
    assert db.organizations.count_documents({}) == before
    assert client.get("/health").status_code == 200


# --- get -----------------------------------------------------------------------------------


def test_get_returns_the_org_by_any_spelling(client: httpx.Client) -> None:
    org = create(client)
    for spelling in [org["organization_name"], org["organization_name"].upper().replace(" ", "-")]:
        r = client.get("/org/get", params={"organization_name": spelling})
        assert r.status_code == 200, spelling
        body = r.json()
        assert set(body) == ORG_KEYS
        assert {k: body[k] for k in ORG_KEYS} == {k: org[k] for k in ORG_KEYS}


def test_get_unknown_is_404(client: httpx.Client) -> None:
    r = client.get("/org/get", params={"organization_name": unique("Ghost")})
    assert r.status_code == 404
    assert r.json() == {"detail": "Organization not found", "code": "TENANT_NOT_FOUND"}


def test_get_without_name_is_400(client: httpx.Client) -> None:
    assert_validation_error(client.get("/org/get"), "organization_name")


def test_get_with_invalid_name_is_400(client: httpx.Client) -> None:
    assert_validation_error(client.get("/org/get", params={"organization_name": "$where"}), "organization_name")


# --- login ---------------------------------------------------------------------------------


def test_login_returns_a_bearer_token(client: httpx.Client) -> None:
    org = create(client)
    r = client.post("/admin/login", json={"email": org["_email"].upper(), "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"access_token", "token_type", "admin_id", "organization_id", "organization_name"}
    assert body["token_type"] == "bearer"
    assert body["organization_name"] == org["organization_name"]
    assert ObjectId.is_valid(body["admin_id"]) and ObjectId.is_valid(body["organization_id"])
    assert body["access_token"].count(".") == 2


def test_wrong_password_and_unknown_email_get_the_same_401(client: httpx.Client) -> None:
    org = create(client)
    wrong = client.post("/admin/login", json={"email": org["_email"], "password": "not-the-password"})
    unknown = client.post("/admin/login", json={"email": "nobody@nowhere.example", "password": PASSWORD})
    for r in (wrong, unknown):
        assert r.status_code == 401
        assert r.json() == {"detail": "Invalid email or password", "code": "INVALID_CREDENTIALS"}


def test_login_with_injection_shaped_body_is_400(client: httpx.Client) -> None:
    r = client.post("/admin/login", json={"email": {"$gt": ""}, "password": {"$gt": ""}})
    assert_validation_error(r, "email")


# --- update --------------------------------------------------------------------------------


def test_update_without_token_is_401_with_bearer_challenge(client: httpx.Client) -> None:
    org = create(client)
    body = {"organization_name": org["organization_name"], "email": org["_email"], "password": PASSWORD}
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}):
        r = client.put("/org/update", json=body, headers=headers)
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["detail"] == "Not authenticated"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."])
def test_update_with_invalid_token_is_401(client: httpx.Client, token: str) -> None:
    org = create(client)
    body = {"organization_name": org["organization_name"], "email": org["_email"], "password": PASSWORD}
    r = client.put("/org/update", json=body, headers=bearer(token))
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json() == {"detail": "Could not validate credentials", "code": "UNAUTHORIZED"}


def test_update_of_another_org_is_403_and_changes_nothing(client: httpx.Client, db: Any) -> None:
    mine, theirs = create(client), create(client)
    token = login(client, mine["_email"])
    r = client.put(
        "/org/update",
        headers=bearer(token),
        json={
            "organization_name": theirs["organization_name"],
            "email": "thief@evil.example",
            "password": "stolenpassword",
            "new_organization_name": unique("Stolen"),
        },
    )
    assert r.status_code == 403
    assert r.json()["code"] == "FORBIDDEN"
    after = client.get("/org/get", params={"organization_name": theirs["organization_name"]}).json()
    assert after["admin_email"] == theirs["_email"]
    login(client, theirs["_email"])  # their password still works


def test_update_email_and_password(client: httpx.Client) -> None:
    org = create(client)
    token = login(client, org["_email"])
    new_email = email_for("new one")
    r = client.put(
        "/org/update",
        headers=bearer(token),
        json={"organization_name": org["organization_name"], "email": new_email, "password": "brand-new-password"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["admin_email"] == new_email
    assert parse_time(body["updated_at"]) > parse_time(body["created_at"])
    assert client.post("/admin/login", json={"email": org["_email"], "password": PASSWORD}).status_code == 401
    assert client.post("/admin/login", json={"email": new_email, "password": PASSWORD}).status_code == 401
    login(client, new_email, "brand-new-password")
    # The password changed: the earlier token is revoked.
    r = client.put(
        "/org/update",
        headers=bearer(token),
        json={"organization_name": org["organization_name"], "email": new_email, "password": "brand-new-password"},
    )
    assert r.status_code == 401


def test_same_password_is_not_a_change(client: httpx.Client) -> None:
    org = create(client)
    token = login(client, org["_email"])
    body = {"organization_name": org["organization_name"], "email": org["_email"], "password": PASSWORD}
    for _ in range(2):
        r = client.put("/org/update", headers=bearer(token), json=body)
        assert r.status_code == 200, r.text


def test_rename_migrates_the_data(client: httpx.Client, db: Any) -> None:
    org = create(client)
    old_collection = org["collection_name"]
    docs = [{"_id": ObjectId(), "n": i, "sku": f"sku-{i}", "payload": "x" * 50} for i in range(3000)]
    db[old_collection].insert_many(docs)
    db[old_collection].create_index("sku", unique=True, name="sku_unique")
    token = login(client, org["_email"])
    new_name = unique("Renamed")
    r = client.put(
        "/org/update",
        headers=bearer(token),
        json={
            "organization_name": org["organization_name"],
            "email": org["_email"],
            "password": PASSWORD,
            "new_organization_name": new_name,
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["organization_name"] == new_name
    new_collection = body["collection_name"]
    assert new_collection == "org_" + new_name.lower().replace(" ", "_")
    names = db.list_collection_names()
    assert new_collection in names
    # The old name holds only a tombstone: empty, registered, refusing writes.
    assert db[old_collection].count_documents({}) == 0
    assert db.tenant_tombstones.find_one({"_id": old_collection}) is not None
    with pytest.raises(pymongo.errors.WriteError) as refused:
        db[old_collection].insert_one({"late": True})
    assert refused.value.code == 121
    moved = list(db[new_collection].find().sort("n", 1))
    assert moved == docs  # same _ids, same documents
    index = db[new_collection].index_information()["sku_unique"]
    assert index["unique"] is True and index["key"] == [("sku", 1)]
    assert client.get("/org/get", params={"organization_name": org["organization_name"]}).status_code == 404
    assert client.get("/org/get", params={"organization_name": new_name}).json()["collection_name"] == new_collection
    admin = db.admin_users.find_one({"email": org["_email"]})
    assert admin is not None and admin["organization_name"] == new_name
    # The token carries the stable ids: still good after the rename.
    r = client.put(
        "/org/update",
        headers=bearer(token),
        json={"organization_name": new_name, "email": org["_email"], "password": PASSWORD},
    )
    assert r.status_code == 200, r.text


def test_rename_to_a_taken_name_is_400_and_changes_nothing(client: httpx.Client, db: Any) -> None:
    org, other = create(client), create(client)
    token = login(client, org["_email"])
    new_email = email_for("would change")
    r = client.put(
        "/org/update",
        headers=bearer(token),
        json={
            "organization_name": org["organization_name"],
            "email": new_email,
            "password": "a-new-password",
            "new_organization_name": other["organization_name"].upper(),
        },
    )
    assert r.status_code == 400
    assert r.json()["code"] == "TENANT_ALREADY_EXISTS"
    assert client.get("/org/get", params={"organization_name": org["organization_name"]}).json()["admin_email"] == org["_email"]
    login(client, org["_email"])  # neither email nor password changed


def test_update_to_a_taken_email_is_400(client: httpx.Client) -> None:
    org, other = create(client), create(client)
    token = login(client, org["_email"])
    r = client.put(
        "/org/update",
        headers=bearer(token),
        json={"organization_name": org["organization_name"], "email": other["_email"].upper(), "password": PASSWORD},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "TENANT_ALREADY_EXISTS"


def test_update_with_invalid_body_is_400(client: httpx.Client) -> None:
    org = create(client)
    token = login(client, org["_email"])
    base = {"organization_name": org["organization_name"], "email": org["_email"], "password": PASSWORD}
    assert_validation_error(client.put("/org/update", headers=bearer(token), json={**base, "new_organization_name": "a$b"}), "new_organization_name")
    assert_validation_error(client.put("/org/update", headers=bearer(token), json={**base, "email": "nope"}), "email")
    assert_validation_error(client.put("/org/update", headers=bearer(token), json={"organization_name": org["organization_name"]}))


# --- delete --------------------------------------------------------------------------------


def test_delete_requires_a_token(client: httpx.Client) -> None:
    org = create(client)
    r = client.delete("/org/delete", params={"organization_name": org["organization_name"]})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_delete_of_another_org_is_403(client: httpx.Client, db: Any) -> None:
    mine, theirs = create(client), create(client)
    token = login(client, mine["_email"])
    r = client.delete("/org/delete", params={"organization_name": theirs["organization_name"]}, headers=bearer(token))
    assert r.status_code == 403
    assert theirs["collection_name"] in db.list_collection_names()
    assert client.get("/org/get", params={"organization_name": theirs["organization_name"]}).status_code == 200


def test_delete_removes_everything_and_revokes_the_token(client: httpx.Client, db: Any) -> None:
    org = create(client)
    db[org["collection_name"]].insert_one({"some": "data"})
    token = login(client, org["_email"])
    r = client.delete("/org/delete", params={"organization_name": org["organization_name"]}, headers=bearer(token))
    assert r.status_code == 200
    assert r.json() == {"message": "Organization deleted successfully"}
    assert client.get("/org/get", params={"organization_name": org["organization_name"]}).status_code == 404
    assert org["collection_name"] not in db.list_collection_names()
    assert db.admin_users.count_documents({"email": org["_email"]}) == 0
    r = client.delete("/org/delete", params={"organization_name": org["organization_name"]}, headers=bearer(token))
    assert r.status_code == 401
    assert client.post("/admin/login", json={"email": org["_email"], "password": PASSWORD}).status_code == 401
    # The name is free again.
    create(client, org["organization_name"])


# --- the original README's walk-through ----------------------------------------------------


def test_original_walkthrough(client: httpx.Client) -> None:
    tag = unique("").strip()
    name, email = f"Acme Corp {tag}", f"admin-{tag}@acme.com"
    r = client.post("/org/create", json={"organization_name": name, "email": email, "password": "securepassword123"})
    assert r.status_code == 201
    r = client.post("/admin/login", json={"email": email, "password": "securepassword123"})
    token = r.json()["access_token"]
    new_name, new_email = f"Updated Corp Name {tag}", f"newadmin-{tag}@acme.com"
    r = client.put(
        "/org/update",
        headers=bearer(token),
        json={"organization_name": name, "email": new_email, "password": "newpassword123", "new_organization_name": new_name},
    )
    assert r.status_code == 200, r.text
    assert r.json()["organization_name"] == new_name
    assert client.get("/org/get", params={"organization_name": new_name}).status_code == 200
    token = login(client, new_email, "newpassword123")
    r = client.delete("/org/delete", params={"organization_name": new_name}, headers=bearer(token))
    assert r.status_code == 200
    assert client.get("/org/get", params={"organization_name": new_name}).status_code == 404


def test_repeated_failed_logins_are_throttled_with_retry_after(client: httpx.Client) -> None:
    org = create(client)
    for _ in range(10):
        r = client.post("/admin/login", json={"email": org["_email"], "password": "wrong-password"})
        assert r.status_code == 401
    # Locked out: even the right password gets 429 with a retry time.
    r = client.post("/admin/login", json={"email": org["_email"], "password": PASSWORD})
    assert r.status_code == 429, r.text
    assert r.json()["code"] == "TOO_MANY_ATTEMPTS"
    assert 1 <= int(r.headers["retry-after"]) <= 300
    # Other accounts are unaffected.
    other = create(client)
    login(client, other["_email"])
