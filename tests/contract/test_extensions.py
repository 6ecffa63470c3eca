"""The extension endpoints and fields beside the original contract: a layout chosen at
create (an optional field: the original requests and answers are unchanged), and the
operator's online move (`POST /admin/move`, authorized by OPERATOR_TOKEN)."""

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
    assert "/admin/move" in doc["paths"]
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
