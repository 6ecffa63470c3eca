"""A notes service built on tenantry (one per language, each from its README and its
package's glue): sign-up, login, notes in the tenant's own collection, isolation between
tenants, rename with the notes in it, delete; every failure answered from the core's
table."""

from __future__ import annotations

from typing import Any

import httpx

PASSWORD = "notes-password-123"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_up(client: httpx.Client, organization: str, email: str) -> tuple[dict[str, Any], str]:
    made = client.post("/signup", json={"organization": organization, "email": email, "password": PASSWORD})
    assert made.status_code == 201, made.text
    login = client.post("/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return made.json(), login.json()["token"]


def test_the_notes_service(service: tuple[str, Any]) -> None:
    url, db = service
    with httpx.Client(base_url=url, timeout=30) as client:
        alpha, a = sign_up(client, "Notes Alpha", "alpha@notes.example")
        beta, b = sign_up(client, "Notes Beta", "beta@notes.example")
        assert alpha == {"organization": "Notes Alpha", "collection": "org_notes_alpha"}

        # Failures come from the core's table, as on the contract's servers.
        taken = client.post("/signup", json={"organization": "notes alpha", "email": "x@notes.example", "password": PASSWORD})
        assert (taken.status_code, taken.json()["code"]) == (400, "TENANT_ALREADY_EXISTS")
        wrong = client.post("/login", json={"email": "alpha@notes.example", "password": "not-it-at-all"})
        assert (wrong.status_code, wrong.json()["code"]) == (401, "INVALID_CREDENTIALS")
        anonymous = client.get("/notes")
        assert (anonymous.status_code, anonymous.headers["www-authenticate"]) == (401, "Bearer")
        assert client.get("/notes", headers=bearer("garbage")).json()["code"] == "UNAUTHORIZED"
        invalid = client.post("/notes", json={"txt": 1}, headers=bearer(a))
        assert invalid.status_code == 400 and invalid.json()["errors"][0]["field"] == "text"
        assert client.post("/notes", json={"text": 5}, headers=bearer(a)).json()["errors"][0]["type"] == "type_error"

        # Notes CRUD, each tenant in its own collection.
        ids = []
        for text in ("first", "second", "third"):
            made = client.post("/notes", json={"text": text}, headers=bearer(a))
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
        theirs = client.post("/notes", json={"text": "beta's"}, headers=bearer(b)).json()
        assert [n["text"] for n in client.get("/notes", headers=bearer(a)).json()] == ["first", "second", "third"]
        assert [n["text"] for n in client.get("/notes", headers=bearer(b)).json()] == ["beta's"]
        assert db[alpha["collection"]].count_documents({}) == 3
        assert db[beta["collection"]].count_documents({}) == 1
        assert client.get(f"/notes/{theirs['id']}", headers=bearer(a)).status_code == 404
        assert client.get("/notes/not-an-id", headers=bearer(a)).json()["code"] == "NOT_FOUND"
        edited = client.put(f"/notes/{ids[1]}", json={"text": "second, edited"}, headers=bearer(a))
        assert edited.json()["text"] == "second, edited"
        assert client.get(f"/notes/{ids[1]}", headers=bearer(a)).json()["text"] == "second, edited"
        assert client.delete(f"/notes/{ids[2]}", headers=bearer(a)).status_code == 204
        assert client.delete(f"/notes/{ids[2]}", headers=bearer(a)).status_code == 404

        # Rename: the notes move with the tenant; the token stays valid.
        renamed = client.put("/organization", json={"name": "Notes Gamma"}, headers=bearer(a))
        assert renamed.json() == {"organization": "Notes Gamma", "collection": "org_notes_gamma"}
        assert [n["text"] for n in client.get("/notes", headers=bearer(a)).json()] == ["first", "second, edited"]
        assert db["org_notes_gamma"].count_documents({}) == 2
        assert db["org_notes_alpha"].count_documents({}) == 0
        assert client.post("/notes", json={"text": "after the rename"}, headers=bearer(a)).status_code == 201
        taken = client.put("/organization", json={"name": "Notes Beta"}, headers=bearer(a))
        assert (taken.status_code, taken.json()["code"]) == (400, "TENANT_ALREADY_EXISTS")

        # Delete: the tenant, its notes and its tokens go; the other tenant's stay.
        assert client.delete("/organization", headers=bearer(a)).status_code == 204
        assert client.get("/notes", headers=bearer(a)).status_code == 401
        assert "org_notes_gamma" not in db.list_collection_names() or db["org_notes_gamma"].count_documents({}) == 0
        assert [n["text"] for n in client.get("/notes", headers=bearer(b)).json()] == ["beta's"]
        assert client.get("/nowhere").json()["code"] == "NOT_FOUND"
