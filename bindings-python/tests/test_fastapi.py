"""The FastAPI glue (``tenantry.fastapi``): every core error code answered from the core's
HTTP table (the kinds a black-box test cannot provoke included), request validation in the
table's shape, and the claims dependency in a small app."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Annotated, Any, cast

import httpx
import pymongo
import pymongo.errors
import pytest
from fastapi import Depends, FastAPI
from pymongo.asynchronous.collection import AsyncCollection

import tenantry.fastapi as glue
from tenantry import HOME_CLUSTER, Claims, ConfinedCollection, TenantManager, TenantryError
from tenantry._native import _error_codes, _http_response, _raise_sample_error

from conftest import PASSWORD, connect, create, mongo_uri

#: The claims' tenant's collection on the app's own client (module level: FastAPI resolves
#: annotations by name).
Notes = Annotated[AsyncCollection[dict[str, Any]], Depends(glue.tenant_collection)]

EXPECTED = {
    "TENANT_NOT_FOUND": (404, "Organization not found"),
    "TENANT_ALREADY_EXISTS": (400, "Email already registered"),
    "INVALID_INPUT": (400, "Validation error"),
    "INVALID_CREDENTIALS": (401, "Invalid email or password"),
    "UNAUTHORIZED": (401, "Could not validate credentials"),
    "FORBIDDEN": (403, "Not authorized to act on this organization"),
    "CONFLICT": (409, "Another operation on this organization is in progress; retry shortly"),
    "TOO_MANY_ATTEMPTS": (429, "Too many failed login attempts; retry later"),
    "DATABASE": (503, "Database unavailable"),
    "CONFIG": (500, "Internal server error"),
    "CLOSED": (503, "Service unavailable"),
    "INTERNAL": (500, "Internal server error"),
    "TENANT_SUSPENDED": (403, "Organization suspended"),
    "LAST_OWNER": (409, "The organization's last owner cannot be removed or demoted"),
}


def sample(code: str) -> TenantryError:
    with pytest.raises(TenantryError) as caught:
        _raise_sample_error(code)
    return caught.value


def test_every_code_has_its_answer() -> None:
    assert sorted(EXPECTED) == sorted(_error_codes())


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_code_is_answered_from_the_table(code: str) -> None:
    err = sample(code)
    response = glue.error_response(err)
    body = json.loads(bytes(response.body))
    assert (response.status_code, body["detail"]) == EXPECTED[code]
    assert body["code"] == code
    # The glue answers exactly as the table does (the Rust and Express servers read it too).
    table = _http_response(err.code, err.field, err.reason, err.retry_after)
    assert table is not None and (table[0], json.loads(table[2])) == (response.status_code, body)


def test_the_contracts_headers_and_fields() -> None:
    assert glue.error_response(sample("UNAUTHORIZED")).headers["www-authenticate"] == "Bearer"
    assert glue.error_response(sample("TOO_MANY_ATTEMPTS")).headers["retry-after"] == "42"
    invalid = json.loads(bytes(glue.error_response(sample("INVALID_INPUT")).body))
    assert invalid["errors"] == [{"field": "password", "message": "is too short", "type": "value_error"}]
    exists = json.loads(bytes(glue.error_response(sample("TENANT_ALREADY_EXISTS")).body))
    assert exists["field"] == "email"
    missing = glue.validation_response([{"loc": ("body", "organization_name"), "msg": "Field required", "type": "missing"}])
    assert json.loads(bytes(missing.body))["errors"][0] == {"field": "organization_name", "message": "Field required", "type": "missing"}


async def test_claims_dependency_and_collection_in_an_app(manager: TenantManager) -> None:
    made = await create(manager)
    app = FastAPI()
    app.state.tenants = manager
    glue.install(app)

    @app.get("/me")
    async def me(claims: glue.VerifiedClaims) -> dict[str, str]:
        return {"tenant": claims.tenant_name}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        anonymous = await client.get("/me")
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
        assert anonymous.json()["code"] == "UNAUTHORIZED"
        bad = await client.get("/me", headers={"authorization": "Bearer nope"})
        assert (bad.status_code, bad.json()["detail"]) == (401, "Could not validate credentials")
        token = (await manager.authenticate(made.email, PASSWORD)).access_token
        ok = await client.get("/me", headers={"authorization": f"Bearer {token}"})
        assert ok.json() == {"tenant": made.tenant.name}
        assert (await client.get("/nowhere")).json() == {"detail": "Not Found", "code": "NOT_FOUND"}


async def test_lifespan_makes_the_apps_own_client_and_tenant_collection_uses_it(master_db: str) -> None:
    made_clients: list[pymongo.AsyncMongoClient[dict[str, Any]]] = []

    def driver(settings: dict[str, Any]) -> pymongo.AsyncMongoClient[dict[str, Any]]:
        client: pymongo.AsyncMongoClient[dict[str, Any]] = pymongo.AsyncMongoClient(settings["mongo_uri"])
        made_clients.append(client)
        return client

    app = FastAPI(lifespan=glue.lifespan(lambda: connect(master_db), driver=driver))
    glue.install(app)

    @app.post("/notes")
    async def add(notes: Notes, tenants: glue.Tenants) -> dict[str, str]:
        await notes.insert_one({"text": "hello"})
        return {"collection": notes.name, "db": notes.database.name, "master": tenants.master_db}

    async with app.router.lifespan_context(app):
        tenants = glue.manager_of(cast(Any, SimpleNamespace(app=app)))
        made = await create(tenants)
        token = (await tenants.authenticate(made.email, PASSWORD)).access_token
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            answer = await client.post("/notes", headers={"authorization": f"Bearer {token}"})
        assert answer.json() == {"collection": made.tenant.collection_name, "db": master_db, "master": master_db}
        assert await made_clients[0][master_db][made.tenant.collection_name].count_documents({}) == 1
    # Shut down: the manager and the app's client are closed.
    assert tenants.closed
    with pytest.raises(pymongo.errors.InvalidOperation):
        await made_clients[0][master_db]["x"].count_documents({})


async def test_tenant_collection_serves_shared_tenants_and_refuses_other_clusters(master_db: str) -> None:
    app = FastAPI(
        lifespan=glue.lifespan(
            lambda: connect(master_db, clusters=f"east={mongo_uri()}"),
            driver=lambda s: pymongo.AsyncMongoClient(s["mongo_uri"]),
        )
    )
    async with app.router.lifespan_context(app):
        request = cast(Any, SimpleNamespace(app=app))
        tenants = glue.manager_of(request)
        shared = await tenants.create_tenant("Shared Glue", "shared@glue.io", PASSWORD, layout="shared")
        east = await tenants.create_tenant("East Glue", "east@glue.io", PASSWORD, cluster="east")
        for tenant, email in ((shared, "shared@glue.io"), (east, "east@glue.io")):
            claims = await tenants.verify_token((await tenants.authenticate(email, PASSWORD)).access_token)
            if tenant.cluster == HOME_CLUSTER:
                assert isinstance(await glue.tenant_collection(request, claims), ConfinedCollection)
            else:
                # The lifespan's client is the home cluster's: never the wrong cluster's data.
                with pytest.raises(RuntimeError, match="cluster 'east'"):
                    await glue.tenant_collection(request, claims)


async def test_operator_dependency_admits_the_operator_only(master_db: str) -> None:
    operator_token = "fastapi-operator-token-0123456789"
    for tenants, admitted in ((await connect(master_db, operator_token=operator_token), True), (await connect(master_db), False)):
        made = await create(tenants)
        app = FastAPI()
        app.state.tenants = tenants
        glue.install(app)

        @app.post("/operate")
        async def operate(_operator: glue.Operator) -> dict[str, bool]:
            return {"operator": True}

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            anonymous = await client.post("/operate")
            assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
            # A tenant admin's token is not the operator's.
            admin = (await tenants.authenticate(made.email, PASSWORD)).access_token
            for token in (admin, "not-the-operator-token", operator_token[:-1]):
                refused = await client.post("/operate", headers={"authorization": f"Bearer {token}"})
                expected = (401, "UNAUTHORIZED") if admitted else (403, "FORBIDDEN")
                assert (refused.status_code, refused.json()["code"]) == expected
            answer = await client.post("/operate", headers={"authorization": f"Bearer {operator_token}"})
            if admitted:
                assert (answer.status_code, answer.json()) == (200, {"operator": True})
            else:  # operator calls are off without an operator token
                assert (answer.status_code, answer.json()["code"]) == (403, "FORBIDDEN")
        await tenants.aclose()
