"""The API keys extension (tag "api-keys"): an organization's keys for machine clients,
made, listed and revoked with an admin's token (`POST /admin/api-keys`, `GET
/admin/api-keys`, `DELETE /admin/api-keys/{key_id}`), and who a bearer credential, an
access token or an API key, speaks for (`GET /auth/whoami`).

A key is `tnk_<id>_<secret>`, shown once, in its creation's answer; only a digest of the
secret is stored (`tenant_api_keys` in the master database). It verifies into its
organization, with its scopes; it never manages the organization. Only HTTP and the
database are used here: the suite runs against the three servers."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from bson import ObjectId, json_util

from conftest import PASSWORD, unique
from test_contract import assert_other_methods_are_405, assert_validation_error, bearer, parse_time
from test_extensions import create, operator

PREFIX = "tnk_"
ENTRY_KEYS = {"id", "prefix", "name", "scopes", "created_by", "created_at", "expires_at", "last_used_at"}
CREATED_KEYS = ENTRY_KEYS | {"key"}
WHOAMI_KEYS = {"admin_id", "organization_id", "organization_name", "api_key_id", "scopes", "role", "expires_at"}
#: The error table's 401 for a refused credential, and its 401 without one.
UNAUTHORIZED = {"detail": "Could not validate credentials", "code": "UNAUTHORIZED"}
NOT_AUTHENTICATED = {"detail": "Not authenticated", "code": "UNAUTHORIZED"}
#: The error table's 403 for an API key on a call that manages its organization.
FORBIDDEN = {"detail": "Not authorized to act on this organization", "code": "FORBIDDEN"}
#: The most live keys an organization may hold.
MAX_KEYS = 100

#: Each path of the extension with the methods it takes.
ROUTES = [
    ("/admin/api-keys", ["get", "post"]),
    (f"/admin/api-keys/{ObjectId()}", ["delete"]),
    ("/auth/whoami", ["get"]),
]


class Admin:
    """An organization's admin, logged in with `POST /admin/login`."""

    def __init__(self, client: httpx.Client, prefix: str = "Keys"):
        self.name = unique(prefix)
        self.email = create(client, self.name)
        r = client.post("/admin/login", json={"email": self.email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        body = r.json()
        self.token: str = body["access_token"]
        self.admin_id: str = body["admin_id"]
        self.organization_id: str = body["organization_id"]
        self.headers = bearer(self.token)


def make_key(client: httpx.Client, admin: Admin, name: str = "ci", scopes: list[str] | None = None,
             **extra: Any) -> dict[str, Any]:
    """`POST /admin/api-keys` that must succeed: its answer."""
    body = {"name": name, "scopes": ["orders:read"] if scopes is None else scopes, **extra}
    r = client.post("/admin/api-keys", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    return made


def listed(client: httpx.Client, admin: Admin) -> list[dict[str, Any]]:
    r = client.get("/admin/api-keys", headers=admin.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"api_keys"}, body
    keys: list[dict[str, Any]] = body["api_keys"]
    return keys


def whoami(client: httpx.Client, credential: str) -> httpx.Response:
    return client.get("/auth/whoami", headers=bearer(credential))


def revoke(client: httpx.Client, admin: Admin, key_id: str) -> httpx.Response:
    return client.delete(f"/admin/api-keys/{key_id}", headers=admin.headers)


def assert_refused(r: httpx.Response) -> None:
    """The error table's 401 `UNAUTHORIZED`, with its Bearer challenge."""
    assert r.status_code == 401, r.text
    assert r.json() == UNAUTHORIZED
    assert r.headers["www-authenticate"] == "Bearer"


def assert_works(client: httpx.Client, key: dict[str, Any]) -> None:
    r = whoami(client, key["key"])
    assert r.status_code == 200, r.text
    assert r.json()["api_key_id"] == key["id"]


def assert_suspended(r: httpx.Response) -> None:
    assert r.status_code == 403, r.text
    assert r.json() == {"detail": "Organization suspended", "code": "TENANT_SUSPENDED"}


def secret_of(key: dict[str, Any]) -> str:
    prefix = key["prefix"] + "_"
    assert key["key"].startswith(prefix)
    return str(key["key"][len(prefix):])


# --- the OpenAPI document and the methods ------------------------------------------------


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return resolved


def json_schema(doc: dict[str, Any], holder: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of a request body or a response."""
    return resolve(doc, holder["content"]["application/json"]["schema"])


def properties(doc: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """Every property of a schema, through `allOf` (a model extending another)."""
    schema = resolve(doc, schema)
    found = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        found |= properties(doc, part)
    return found


def test_openapi_document_lists_the_api_key_endpoints(client: httpx.Client) -> None:
    doc = client.get("/openapi.json").json()
    paths = {"/admin/api-keys": ["get", "post"], "/admin/api-keys/{key_id}": ["delete"], "/auth/whoami": ["get"]}
    for path, methods in paths.items():
        assert path in doc["paths"], path
        for method in methods:
            op = doc["paths"][path][method]
            assert "api-keys" in op.get("tags", []), (path, method)
            assert op.get("description") or op.get("summary"), (path, method)
    create_op = doc["paths"]["/admin/api-keys"]["post"]
    body = json_schema(doc, create_op["requestBody"])
    assert {"name", "scopes", "expires_at"} <= set(body["properties"]), body
    assert {"name", "scopes"} <= set(body.get("required", [])), body
    assert "expires_at" not in body.get("required", []), body
    assert CREATED_KEYS <= properties(doc, json_schema(doc, create_op["responses"]["201"]))
    listing = json_schema(doc, doc["paths"]["/admin/api-keys"]["get"]["responses"]["200"])
    item = resolve(doc, resolve(doc, listing["properties"]["api_keys"])["items"])
    assert ENTRY_KEYS <= properties(doc, item), item
    revoked = json_schema(doc, doc["paths"]["/admin/api-keys/{key_id}"]["delete"]["responses"]["200"])
    assert "revoked" in revoked["properties"], revoked
    who = json_schema(doc, doc["paths"]["/auth/whoami"]["get"]["responses"]["200"])
    assert WHOAMI_KEYS <= set(who["properties"]), who


@pytest.mark.parametrize(("path", "methods"), ROUTES)
def test_other_methods_are_405_with_allow(client: httpx.Client, path: str, methods: list[str]) -> None:
    assert_other_methods_are_405(client, path, methods)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("POST", "/admin/api-keys", {"name": "ci", "scopes": ["a"]}), ("GET", "/admin/api-keys", None),
     ("DELETE", f"/admin/api-keys/{ObjectId()}", None), ("GET", "/auth/whoami", None)],
)
def test_the_calls_need_a_valid_bearer_credential(client: httpx.Client, method: str, path: str, body: Any) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}):
        r = client.request(method, path, json=body, headers=headers)
        assert r.status_code == 401, r.text
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json() == NOT_AUTHENTICATED
    for credential in ["garbage", "a.b.c", PREFIX, operator()["Authorization"].split()[1]]:
        assert_refused(client.request(method, path, json=body, headers=bearer(credential)))


# --- making and listing keys ---------------------------------------------------------------


def test_a_key_is_made_shown_once_and_stored_without_its_secret(client: httpx.Client, db: Any) -> None:
    admin = Admin(client)
    before = datetime.now(timezone.utc)
    made = make_key(client, admin, name="  billing sync ", scopes=["orders:write", "orders:read", "orders:read"])
    assert set(made) == CREATED_KEYS
    assert ObjectId.is_valid(made["id"])
    assert made["prefix"] == PREFIX + made["id"]
    assert made["key"].startswith(made["prefix"] + "_")
    assert re.fullmatch(r"tnk_[0-9a-f]{24}_[0-9A-Za-z_-]{16,}", made["key"]), made["key"]
    assert made["name"] == "billing sync", "trimmed"
    assert made["scopes"] == ["orders:read", "orders:write"], "sorted, without repeats"
    assert made["created_by"] == admin.admin_id
    assert abs(parse_time(made["created_at"]) - before) < timedelta(minutes=1)
    assert made["expires_at"] is None and made["last_used_at"] is None
    # Listed as made, without the key.
    [entry] = listed(client, admin)
    assert set(entry) == ENTRY_KEYS
    assert entry == {k: v for k, v in made.items() if k != "key"}
    # Only a digest is stored: neither the key nor its secret is in the database.
    secret = secret_of(made)
    stored = list(db.tenant_api_keys.find({"_id": ObjectId(made["id"])}))
    assert len(stored) == 1
    assert str(stored[0]["tenant"]) == admin.organization_id
    everything = json_util.dumps(list(db.tenant_api_keys.find({})))
    assert secret not in everything and made["key"] not in everything
    for name in db.list_collection_names():
        if "audit" in name:
            assert secret not in json_util.dumps(list(db[name].find({}))), name


def test_keys_are_listed_oldest_first_and_only_the_organizations(client: httpx.Client) -> None:
    admin, other = Admin(client), Admin(client, "Other")
    assert listed(client, admin) == []
    first = make_key(client, admin, name="first")
    second = make_key(client, admin, name="second", scopes=["a", "b"])
    theirs = make_key(client, other, name="theirs")
    assert [k["id"] for k in listed(client, admin)] == [first["id"], second["id"]]
    assert [k["id"] for k in listed(client, other)] == [theirs["id"]]
    for entry in listed(client, admin):
        assert "key" not in entry
        assert secret_of(first) not in str(entry) and secret_of(second) not in str(entry)


def test_a_key_may_expire_at_a_given_time(client: httpx.Client) -> None:
    admin = Admin(client)
    made = make_key(client, admin, expires_at="2999-01-01T02:00:00+02:00")
    assert made["expires_at"] == "2999-01-01T00:00:00.000Z"
    r = whoami(client, made["key"])
    assert r.status_code == 200, r.text
    assert r.json()["expires_at"] == made["expires_at"]
    never = make_key(client, admin, expires_at=None)
    assert never["expires_at"] is None


def test_an_organization_holds_at_most_100_live_keys(client: httpx.Client) -> None:
    admin = Admin(client, "Full")
    made = [make_key(client, admin, name=f"k{i}") for i in range(MAX_KEYS)]
    r = client.post("/admin/api-keys", json={"name": "one more", "scopes": ["a"]}, headers=admin.headers)
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "CONFLICT"
    assert "key" not in r.json()
    assert len(listed(client, admin)) == MAX_KEYS
    # A revoked key does not count.
    assert revoke(client, admin, made[0]["id"]).json() == {"revoked": True}
    make_key(client, admin, name="one more")


# --- whoami ----------------------------------------------------------------------------------


def test_whoami_with_a_key_names_its_organization_key_and_scopes(client: httpx.Client) -> None:
    admin = Admin(client)
    made = make_key(client, admin, scopes=["orders:read", "orders:write"])
    r = whoami(client, made["key"])
    assert r.status_code == 200, r.text
    me = r.json()
    assert set(me) == WHOAMI_KEYS
    assert me["api_key_id"] == made["id"]
    assert me["scopes"] == ["orders:read", "orders:write"]
    assert me["organization_id"] == admin.organization_id
    assert me["organization_name"] == admin.name
    assert me["admin_id"] == admin.admin_id, "the admin who made it"
    assert me["role"] is None, "a key has no role"
    assert parse_time(me["expires_at"]) > datetime.now(timezone.utc) + timedelta(days=3650), "never expires"
    # Its use is recorded, to the minute.
    [entry] = listed(client, admin)
    assert entry["last_used_at"] is not None
    assert abs(parse_time(entry["last_used_at"]) - datetime.now(timezone.utc)) < timedelta(minutes=2)


def test_whoami_with_an_admin_token_has_no_key_and_no_scopes(client: httpx.Client) -> None:
    admin = Admin(client)
    r = whoami(client, admin.token)
    assert r.status_code == 200, r.text
    me = r.json()
    assert set(me) == WHOAMI_KEYS
    assert me["api_key_id"] is None and me["scopes"] is None
    assert me["role"] == "owner", "the first admin"
    assert (me["admin_id"], me["organization_id"], me["organization_name"]) == (
        admin.admin_id, admin.organization_id, admin.name)
    assert parse_time(me["expires_at"]) > datetime.now(timezone.utc)


def test_the_spaces_after_the_scheme_are_not_part_of_the_key(client: httpx.Client) -> None:
    # `Bearer` and its credential are separated by one or more spaces (RFC 9110, 11.4), and
    # a header value has no trailing whitespace: neither is part of the key.
    made = make_key(client, Admin(client))
    r = client.get("/auth/whoami", headers={"Authorization": f"Bearer   {made['key']}"})
    assert r.status_code == 200, r.text
    assert r.json()["api_key_id"] == made["id"]


def test_forged_malformed_and_truncated_keys_are_401(client: httpx.Client) -> None:
    admin = Admin(client)
    made, other = make_key(client, admin), make_key(client, admin, name="other")
    secret, prefix = secret_of(made), made["prefix"]
    wrong_secret = ("0" if secret[0] != "0" else "1") + secret[1:]
    for forged in [
        f"{prefix}_{wrong_secret}",  # the right prefix, a wrong secret
        f"{prefix}_{secret_of(other)}",  # another key's secret
        f"{other['prefix']}_{secret}",
        f"{PREFIX}{ObjectId()}_{secret}",  # no such key
        made["key"][:-1],  # truncated
        made["key"][: len(prefix) + 1 + len(secret) // 2],
        f"{prefix}_",
        prefix,
        made["key"] + "0",
        made["key"].upper(),
        f"{prefix} _{secret}",  # whitespace inside the key
        f"{prefix}_{secret[:8]} {secret[8:]}",
        f"{prefix}_{secret[:8]}\t{secret[8:]}",
        f"{made['key']} {made['key']}",
        f"{PREFIX}{made['id'][:-1]}_{secret}",
        f"{PREFIX}{'z' * 24}_{secret}",
    ]:
        assert_refused(whoami(client, forged))
    assert_works(client, made)
    assert_works(client, other)


def test_a_key_expired_in_the_database_is_401(client: httpx.Client, db: Any) -> None:
    admin = Admin(client)
    made = make_key(client, admin, expires_at="2999-01-01T00:00:00Z")
    assert_works(client, made)
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    done = db.tenant_api_keys.update_one({"_id": ObjectId(made["id"])}, {"$set": {"expires_at": past}})
    assert done.matched_count == 1
    assert_refused(whoami(client, made["key"]))
    # Expired keys are still listed, until revoked.
    [entry] = listed(client, admin)
    assert entry["id"] == made["id"] and parse_time(entry["expires_at"]) < datetime.now(timezone.utc)


# --- what a key may not do -----------------------------------------------------------------


def test_a_key_cannot_manage_its_organization(client: httpx.Client, db: Any) -> None:
    admin = Admin(client)
    made = make_key(client, admin, scopes=["admin", "orders:write"])
    key = bearer(made["key"])
    # The API key calls: the key's claims reach the core, which refuses them.
    for method, path, body in [
        ("POST", "/admin/api-keys", {"name": "child", "scopes": ["a"]}),
        ("GET", "/admin/api-keys", None),
        ("DELETE", f"/admin/api-keys/{made['id']}", None),
    ]:
        r = client.request(method, path, json=body, headers=key)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json() == FORBIDDEN, (method, path)
    # The original contract's calls take an access token: a key is not one.
    update = {"organization_name": admin.name, "email": f"changed-{admin.email}", "password": "another-password-1",
              "new_organization_name": unique("Taken Over")}
    assert_refused(client.put("/org/update", json=update, headers=key))
    assert_refused(client.delete("/org/delete", params={"organization_name": admin.name}, headers=key))
    # Nor do the sessions' calls take a key.
    assert_refused(client.get("/auth/sessions", headers=key))
    assert_refused(client.post("/auth/logout-all", headers=key))
    # Nor is a key the operator's token.
    assert client.get("/admin/tenants", headers=key).status_code == 401
    # Nothing changed: the organization, its admin, its keys.
    r = client.get("/org/get", params={"organization_name": admin.name})
    assert r.status_code == 200, r.text
    assert r.json()["admin_email"] == admin.email
    r = client.post("/admin/login", json={"email": admin.email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert [k["id"] for k in listed(client, admin)] == [made["id"]]
    assert db.tenant_api_keys.count_documents({"tenant": ObjectId(admin.organization_id)}) == 1
    assert_works(client, made)


# --- revoking --------------------------------------------------------------------------------


def test_a_revoked_key_is_401_and_no_longer_listed(client: httpx.Client) -> None:
    admin = Admin(client)
    made, kept = make_key(client, admin), make_key(client, admin, name="kept")
    assert_works(client, made)
    r = revoke(client, admin, made["id"])
    assert r.status_code == 200, r.text
    assert r.json() == {"revoked": True}
    assert_refused(whoami(client, made["key"]))
    assert [k["id"] for k in listed(client, admin)] == [kept["id"]]
    assert_works(client, kept)
    # Revoked already, or never there: nothing to revoke.
    assert revoke(client, admin, made["id"]).json() == {"revoked": False}
    assert revoke(client, admin, str(ObjectId())).json() == {"revoked": False}


def test_one_organization_cannot_revoke_anothers_key(client: httpx.Client) -> None:
    owner, stranger = Admin(client, "Owner"), Admin(client, "Stranger")
    made = make_key(client, owner)
    r = revoke(client, stranger, made["id"])
    assert r.status_code == 200, r.text
    assert r.json() == {"revoked": False}
    assert_works(client, made)
    assert [k["id"] for k in listed(client, owner)] == [made["id"]]


@pytest.mark.parametrize("key_id", ["not-an-id", "12345", "g" * 24, "0" * 23, "0" * 25, "tnk_0123456789abcdef01234567"])
def test_revoking_a_malformed_key_id_is_400(client: httpx.Client, key_id: str) -> None:
    admin = Admin(client)
    made = make_key(client, admin)
    r = revoke(client, admin, key_id)
    assert_validation_error(r, "key_id")
    assert r.json()["errors"][0]["type"] == "value_error"
    assert_works(client, made)


# --- suspension ------------------------------------------------------------------------------


def test_a_suspended_organizations_keys_are_403_until_resumed(client: httpx.Client) -> None:
    admin, bystander = Admin(client, "Suspended"), Admin(client, "Bystander")
    made, theirs = make_key(client, admin), make_key(client, bystander)
    r = client.post("/admin/suspend", json={"organization_name": admin.name, "reason": "unpaid invoice"}, headers=operator())
    assert r.status_code == 200, r.text
    assert_suspended(whoami(client, made["key"]))
    assert_suspended(whoami(client, admin.token))
    assert_suspended(client.get("/admin/api-keys", headers=admin.headers))
    assert_suspended(client.post("/admin/api-keys", json={"name": "x", "scopes": ["a"]}, headers=admin.headers))
    assert_works(client, theirs)
    r = client.post("/admin/resume", json={"organization_name": admin.name}, headers=operator())
    assert r.status_code == 200, r.text
    assert_works(client, made)
    assert [k["id"] for k in listed(client, admin)] == [made["id"]]


# --- the body of POST /admin/api-keys --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        ({}, [("name", "missing"), ("scopes", "missing")]),
        ({"scopes": ["a"]}, [("name", "missing")]),
        ({"name": "ci"}, [("scopes", "missing")]),
        ({"name": 1, "scopes": "a", "expires_at": 5},
         [("name", "type_error"), ("scopes", "type_error"), ("expires_at", "type_error")]),
        ({"name": None, "scopes": None}, [("name", "type_error"), ("scopes", "type_error")]),
        ({"name": "ci", "scopes": [1]}, [("scopes", "type_error")]),
        ({"name": "ci", "scopes": {"a": 1}}, [("scopes", "type_error")]),
        ({"name": ["ci"], "scopes": ["a"]}, [("name", "type_error")]),
        ({"name": "ci", "scopes": ["a"], "expires_at": "soon"}, [("expires_at", "value_error")]),
        ({"name": "ci", "scopes": ["a"], "expires_at": "2999-01-01"}, [("expires_at", "value_error")]),
    ],
)
def test_a_body_not_matching_the_schema_is_400_with_each_field(
    client: httpx.Client, db: Any, body: dict[str, Any], problems: list[tuple[str, str]]
) -> None:
    admin = Admin(client)
    r = client.post("/admin/api-keys", json=body, headers=admin.headers)
    assert_validation_error(r, problems[0][0])
    errors = r.json()["errors"]
    assert [(e["field"], e["type"]) for e in errors] == problems, errors
    assert r.json()["message"].startswith(f"{problems[0][0]}: ")
    assert db.tenant_api_keys.count_documents({"tenant": ObjectId(admin.organization_id)}) == 0


@pytest.mark.parametrize(("raw", "kind"), [(b"", "json_invalid"), (b"{not json", "json_invalid"), (b"[]", "type_error"),
                                           (b'"text"', "type_error")])
def test_a_malformed_body_is_400(client: httpx.Client, raw: bytes, kind: str) -> None:
    admin = Admin(client)
    r = client.post("/admin/api-keys", content=raw, headers={**admin.headers, "content-type": "application/json"})
    assert_validation_error(r, "body")
    assert r.json()["errors"][0]["type"] == kind
    assert listed(client, admin) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "scopes": ["a"]}, "name"),
        ({"name": "   ", "scopes": ["a"]}, "name"),
        ({"name": "x" * 101, "scopes": ["a"]}, "name"),
        ({"name": "bell\u0007", "scopes": ["a"]}, "name"),
        ({"name": "ci", "scopes": []}, "scopes"),
        ({"name": "ci", "scopes": [""]}, "scopes"),
        ({"name": "ci", "scopes": ["has space"]}, "scopes"),
        ({"name": "ci", "scopes": ["a" * 65]}, "scopes"),
        ({"name": "ci", "scopes": ["ü"]}, "scopes"),
        ({"name": "ci", "scopes": [f"s{i}" for i in range(33)]}, "scopes"),
        ({"name": "ci", "scopes": ["a"], "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "ci", "scopes": ["a"], "expires_at": (datetime.now(timezone.utc) - timedelta(seconds=5)).isoformat()},
         "expires_at"),
    ],
)
def test_a_bad_name_scope_or_expiry_is_400_invalid_input(client: httpx.Client, db: Any, body: dict[str, Any],
                                                          field: str) -> None:
    admin = Admin(client)
    r = client.post("/admin/api-keys", json=body, headers=admin.headers)
    assert_validation_error(r, field)
    assert r.json()["errors"][0]["type"] == "value_error"
    assert r.json()["message"].startswith(f"{field}: ")
    assert db.tenant_api_keys.count_documents({"tenant": ObjectId(admin.organization_id)}) == 0
