"""The organization-management HTTP contract (tests/contract/CONTRACT.md) served with
FastAPI on the tenantry Python binding.

The app holds no policy: names, emails, passwords, tokens and configuration are the core's
(through `tenantry`); it imports no MongoDB driver, bcrypt or JWT library. It maps requests
to `TenantManager` calls and the core's errors to the contract's responses.

Run from this folder, configured by MONGO_URI, MASTER_DB, JWT_SECRET, JWT_ALGO,
JWT_EXPIRE_MINUTES, BCRYPT_COST, HOST (127.0.0.1) and PORT (8000):

    python app.py                      # JSON logs, one line per request
    uvicorn app:app --no-access-log --no-proxy-headers    # or under uvicorn's own CLI

Swagger UI (/docs) and ReDoc (/redoc) are served from the `fastapi-offline` package's
copies of their assets: no CDN.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, ValidationError

import errors
from middleware import BodyLimit, RequestLog, configure_logging
from schemas import (
    CreateOrg,
    ErrorBody,
    Health,
    Login,
    LoginResult,
    Message,
    Org,
    UpdateOrg,
    ValidationErrorBody,
)
from tenantry import Claims, ConfigError, DatabaseError, TenantManager, __version__

#: Largest accepted request body (the contract's limit).
MAX_BODY_BYTES = 64 * 1024

log = logging.getLogger("tenantry.http")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    try:
        manager = await TenantManager.from_env()
    except ConfigError as err:
        log.critical("cannot start: %s", err)
        raise
    app.state.manager = manager
    # Operations a previous process left half done are finished or undone before serving.
    try:
        report = await manager.recover()
        for failure in report.failed:
            log.error("not recovered", extra={"fields": {"tenant": failure.name, "code": failure.code}})
        log.info(
            "recovered",
            extra={"fields": {"completed": report.completed, "rolled_back": report.rolled_back, "failed": len(report.failed)}},
        )
    except DatabaseError as err:
        log.error("recovery failed; serving anyway: %s", err)
    log.info("ready", extra={"fields": {"master_db": manager.master_db}})
    yield


app = FastAPIOffline(
    title="Organization Management Service",
    version=__version__,
    description="Multi-tenant organization management on the tenantry Python binding.",
    lifespan=lifespan,
    # Swagger UI would otherwise ask validator.swagger.io for a badge: not offline.
    swagger_ui_parameters={"validatorUrl": None},
)
errors.install(app)
app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
app.add_middleware(RequestLog)  # added last: outermost, so it logs the 413s too


async def get_manager(request: Request) -> TenantManager:
    # async: a plain `def` dependency is run on the thread pool, a hop per request for a
    # field read (about a fifth of GET /org/get's throughput, BENCHMARKS.md).
    return cast(TenantManager, request.app.state.manager)


Manager = Annotated[TenantManager, Depends(get_manager)]

bearer = HTTPBearer(auto_error=False, description="The access_token of POST /admin/login")


async def admin_claims(
    manager: Manager,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Claims:
    if credentials is None:
        raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
    return await manager.verify_token(credentials.credentials)


AdminClaims = Annotated[Claims, Depends(admin_claims)]

M = TypeVar("M", bound=BaseModel)


def json_body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency parsing the body as `model`. Parsing and type checks happen in one
    pass (pydantic's JSON parser), so malformed, deeply nested or non-UTF-8 bodies get the
    same 400 as a missing field."""

    async def parse(request: Request) -> M:
        try:
            return model.model_validate_json(await request.body())
        except ValidationError as err:
            raise RequestValidationError(err.errors()) from None

    return parse


def documented_body(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a route that parses its body with `json_body`."""
    schema = {"application/json": {"schema": model.model_json_schema()}}
    return {"requestBody": {"required": True, "content": schema}}


def answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        s: {"model": ValidationErrorBody if s == 400 else ErrorBody} for s in statuses
    }


@app.post(
    "/org/create",
    status_code=201,
    tags=["organizations"],
    openapi_extra=documented_body(CreateOrg),
    responses=answers(400),
)
async def create_org(body: Annotated[CreateOrg, Depends(json_body(CreateOrg))], manager: Manager) -> Org:
    """Create an organization, its admin and its own collection."""
    return Org.of(await manager.create_tenant(body.organization_name, body.email, body.password))


@app.get("/org/get", tags=["organizations"], responses=answers(400, 404))
async def get_org(organization_name: Annotated[str, Query()], manager: Manager) -> Org:
    """Find an organization by name (any spelling with the same normalized key)."""
    return Org.of(await manager.get_tenant(organization_name))


@app.put(
    "/org/update",
    tags=["organizations"],
    openapi_extra=documented_body(UpdateOrg),
    responses=answers(400, 401, 403, 409),
)
async def update_org(
    claims: AdminClaims,
    body: Annotated[UpdateOrg, Depends(json_body(UpdateOrg))],
    manager: Manager,
) -> Org:
    """Change the admin's email and password, and rename the organization (its data moves
    with it) when `new_organization_name` is given."""
    tenant = await manager.update_tenant(
        claims,
        body.organization_name,
        email=body.email,
        password=body.password,
        new_name=body.new_organization_name,
    )
    return Org.of(tenant)


@app.delete("/org/delete", tags=["organizations"], responses=answers(400, 401, 403, 409))
async def delete_org(claims: AdminClaims, organization_name: Annotated[str, Query()], manager: Manager) -> Message:
    """Delete the organization, its admins and its collection."""
    await manager.delete_tenant(claims, organization_name)
    return Message(message="Organization deleted successfully")


@app.post("/admin/login", tags=["auth"], openapi_extra=documented_body(Login), responses=answers(400, 401, 429))
async def login(body: Annotated[Login, Depends(json_body(Login))], request: Request, manager: Manager) -> LoginResult:
    """Log an admin in; the token goes in `Authorization: Bearer <token>`."""
    # Failures are counted per (email, client): X-Forwarded-For only from trusted proxies.
    peer = request.client.host if request.client else "0.0.0.0"
    client = manager.client_address(peer, request.headers.get("x-forwarded-for"))
    return LoginResult.of(await manager.authenticate(body.email, body.password, client=client))


@app.get("/health", tags=["health"], responses=answers(503))
async def health(manager: Manager) -> Health:
    """`healthy` when the database answers; 503 when it cannot be reached."""
    await manager.ping()
    return Health(status="healthy")


def main() -> None:
    import uvicorn

    configure_logging()
    uvicorn.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        access_log=False,  # RequestLog writes one structured line per request instead
        log_config=None,
        # The peer address reaches the app as it is; which X-Forwarded-For to believe is the
        # core's decision (TRUSTED_PROXIES), the same for the three servers.
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
