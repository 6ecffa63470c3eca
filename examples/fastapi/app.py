"""The organization-management HTTP contract (tests/contract/CONTRACT.md) served with
FastAPI on the tenantry Python binding and its FastAPI glue (``tenantry.fastapi``: the
lifespan, the bearer token, the operator check, and every error answered from the core's
HTTP table). Beside the contract, as the Rust server serves them: an optional ``layout``
and ``cluster`` at create, and the operator's calls, authorized by ``OPERATOR_TOKEN``: the
online move (``POST /admin/move``), listing and counting organizations (``GET
/admin/tenants``, ``GET /admin/tenants/count``), and restoring and purging softly deleted
ones (``POST /admin/restore``, ``POST /admin/purge``; deletes are soft with
``DELETED_RETENTION_SECONDS`` set).

The app holds no policy: names, emails, passwords, tokens, configuration and the error
responses are the core's; it imports no MongoDB driver, bcrypt or JWT library.

Run from this folder, configured by MONGO_URI, MASTER_DB, JWT_SECRET, ... (the core's
variables), HOST (127.0.0.1) and PORT (8000)::

    python app.py                      # JSON logs, one line per request
    REQUEST_LOG=off python app.py      # without the line per request

Swagger UI (/docs) and ReDoc (/redoc) are served from the ``fastapi-offline`` package's
copies of their assets: no CDN.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, ValidationError

import tenantry.fastapi as glue
from middleware import BodyLimit, RequestLog, configure_logging
from schemas import (
    Count,
    CreateOrg,
    ErrorBody,
    Health,
    Login,
    LoginResult,
    Message,
    MoveOrg,
    NamedOrg,
    Org,
    OrgPage,
    OrgRecord,
    Placement,
    UpdateOrg,
    ValidationErrorBody,
)
from tenantry import __version__

#: Largest accepted request body (the contract's limit).
MAX_BODY_BYTES = 64 * 1024

app = FastAPIOffline(
    title="Organization Management Service",
    version=__version__,
    description="Multi-tenant organization management on the tenantry Python binding.",
    lifespan=glue.lifespan(),
    # Swagger UI would otherwise ask validator.swagger.io for a badge: not offline.
    swagger_ui_parameters={"validatorUrl": None},
)
glue.install(app)
app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
if os.environ.get("REQUEST_LOG", "on") != "off":
    app.add_middleware(RequestLog)  # added last: outermost, so it logs the 413s too

#: The header's presence is checked before the body, the token itself after (as the Rust
#: and Express servers do).
Token = Annotated[str, Depends(glue.bearer_token)]

M = TypeVar("M", bound=BaseModel)


def json_body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency parsing the body as `model` in one pass (pydantic's JSON parser), so
    malformed, deeply nested or non-UTF-8 bodies get the same 400 as a missing field."""

    async def parse(request: Request) -> M:
        try:
            return model.model_validate_json(await request.body())
        except ValidationError as err:
            raise RequestValidationError(err.errors()) from None

    return parse


async def organization_name(request: Request) -> str:
    """The `organization_name` query parameter, given exactly once."""
    given = request.query_params.getlist("organization_name")
    if len(given) == 1:
        return given[0]
    problem = "field required" if not given else "must be given once"
    kind = "missing" if not given else "value_error"
    raise RequestValidationError([{"loc": ("query", "organization_name"), "msg": problem, "type": kind}])


OrgName = Annotated[str, Depends(organization_name)]


async def listing_query(request: Request) -> dict[str, Any]:
    """The listing's keyword arguments, from the raw query string as the core parses it
    (`tenant_query`): every server refuses the same queries alike, with every problem."""
    raw = request.scope.get("query_string", b"").decode("utf-8", "replace")
    return glue.tenant_query(raw)


Listing = Annotated[dict[str, Any], Depends(listing_query)]

#: The listing's query parameters, for the OpenAPI document only: the routes read them
#: through `listing_query`.
LISTING_PARAMETERS: dict[str, tuple[dict[str, Any], str]] = {
    "state": ({"type": "string", "enum": ["active", "deleted"]}, "Only organizations in this state (both when left out)."),
    "layout": ({"type": "string", "enum": ["collection", "database", "shared"]}, "Only organizations of this layout."),
    "cluster": ({"type": "string"}, "Only organizations whose data is on this cluster."),
    "name_prefix": ({"type": "string"}, "Only organizations whose name starts with this (case and spacing folded)."),
    "created_after": ({"type": "string", "format": "date-time"}, "Only organizations created at or after this time (RFC 3339)."),
    "created_before": ({"type": "string", "format": "date-time"}, "Only organizations created before this time (RFC 3339)."),
    "limit": ({"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}, "Organizations per page."),
    "after": ({"type": "string"}, "The `next` of the page before."),
}


def reply(model: BaseModel, status_code: int = 200) -> Response:
    """`model` as the JSON response, serialized once by pydantic. A route returning a model
    would have FastAPI validate it again against its response model and encode it through
    `jsonable_encoder` first: the costliest step of a request after the framework itself."""
    return Response(model.model_dump_json(), status_code, media_type="application/json")


def json_reply(body: dict[str, Any]) -> Response:
    """`body` (plain JSON data, as the core's bodies are) as the JSON response."""
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), media_type="application/json")


def documented(
    model: type[BaseModel] | None,
    *statuses: int,
    answer: type[BaseModel] | None = None,
    query: Sequence[str] = (),
) -> dict[str, Any]:
    """OpenAPI of a route: the body `model` (parsed by `json_body`), the listing parameters
    `query` (read by `listing_query`), its answer's model and its error answers."""
    extra: dict[str, Any] = {"response_model": answer}
    openapi: dict[str, Any] = {}
    if model is not None:
        schema = {"application/json": {"schema": model.model_json_schema()}}
        openapi["requestBody"] = {"required": True, "content": schema}
    if query:
        openapi["parameters"] = [
            {"name": name, "in": "query", "required": False, "schema": LISTING_PARAMETERS[name][0], "description": LISTING_PARAMETERS[name][1]}
            for name in query
        ]
    if openapi:
        extra["openapi_extra"] = openapi
    extra["responses"] = {s: {"model": ValidationErrorBody if s == 400 else ErrorBody} for s in statuses}
    return extra


@app.post("/org/create", status_code=201, tags=["organizations"], **documented(CreateOrg, 400, answer=Org))
async def create_org(body: Annotated[CreateOrg, Depends(json_body(CreateOrg))], manager: glue.Tenants) -> Response:
    """Create an organization, its admin and its own collection (or, with `layout`, its own
    database or its share of shared collections; with `cluster`, on that cluster)."""
    name, email, password = body.organization_name, body.email, body.password
    tenant = await manager.create_tenant(name, email, password, layout=body.layout, cluster=body.cluster)
    return reply(Org.of(tenant), 201)


@app.post("/admin/move", tags=["operators"], **documented(MoveOrg, 400, 401, 403, 404, 409, answer=Placement))
async def move_org(
    # In this order: the header's presence, the body, then the operator token itself.
    _token: Token,
    body: Annotated[MoveOrg, Depends(json_body(MoveOrg))],
    _operator: glue.Operator,
    manager: glue.Tenants,
) -> Response:
    """Move an organization's data to another layout and/or cluster, online. Authorized by
    the operator token (`OPERATOR_TOKEN`); off without one."""
    moved = await manager.move_tenant(body.organization_name, layout=body.layout, cluster=body.cluster)
    return reply(Placement.of(moved))


@app.api_route(
    "/admin/tenants", methods=["GET", "HEAD"], tags=["operators"], **documented(None, 400, 401, 403, answer=OrgPage, query=list(LISTING_PARAMETERS))
)
async def list_orgs(_token: Token, query: Listing, _operator: glue.Operator, manager: glue.Tenants) -> Response:
    """A page of organizations in creation order, active and softly deleted ones, filtered
    by every parameter given; the next page with `after` set to the answer's `next`.
    Authorized by the operator token."""
    return json_reply(glue.page_body(await manager.list_tenants(**query)))


@app.api_route(
    "/admin/tenants/count",
    methods=["GET", "HEAD"],
    tags=["operators"],
    **documented(None, 400, 401, 403, answer=Count, query=[p for p in LISTING_PARAMETERS if p not in ("limit", "after")]),
)
async def count_orgs(_token: Token, query: Listing, _operator: glue.Operator, manager: glue.Tenants) -> Response:
    """How many organizations the same filters as `GET /admin/tenants` match (`limit` and
    `after`, if given, must parse, and are left aside). Authorized by the operator token."""
    filters = {name: value for name, value in query.items() if name not in ("limit", "after")}
    return reply(Count(count=await manager.count_tenants(**filters)))


@app.post("/admin/restore", tags=["operators"], **documented(NamedOrg, 400, 401, 403, 404, 409, answer=OrgRecord))
async def restore_org(
    _token: Token,
    body: Annotated[NamedOrg, Depends(json_body(NamedOrg))],
    _operator: glue.Operator,
    manager: glue.Tenants,
) -> Response:
    """Bring back a softly deleted organization, whole, within its retention (400 once it
    has passed). Authorized by the operator token."""
    return json_reply(glue.tenant_body(await manager.restore_tenant(body.organization_name)))


@app.post("/admin/purge", tags=["operators"], **documented(NamedOrg, 400, 401, 403, 404, 409, answer=Message))
async def purge_org(
    _token: Token,
    body: Annotated[NamedOrg, Depends(json_body(NamedOrg))],
    _operator: glue.Operator,
    manager: glue.Tenants,
) -> Response:
    """Remove a softly deleted organization now, whatever its retention: its data, admins
    and record; its name is free again. Authorized by the operator token."""
    await manager.purge_tenant(body.organization_name)
    return reply(Message(message="Organization purged successfully"))


@app.api_route("/org/get", methods=["GET", "HEAD"], tags=["organizations"], **documented(None, 400, 404, answer=Org))
async def get_org(name: OrgName, manager: glue.Tenants) -> Response:
    """Find an organization by name (any spelling with the same normalized key)."""
    return reply(Org.of(await manager.get_tenant(name)))


@app.put("/org/update", tags=["organizations"], **documented(UpdateOrg, 400, 401, 403, 409, answer=Org))
async def update_org(token: Token, body: Annotated[UpdateOrg, Depends(json_body(UpdateOrg))], manager: glue.Tenants) -> Response:
    """Change the admin's email and password, and rename the organization (its data moves
    with it) when `new_organization_name` is given."""
    claims = await manager.verify_token(token)
    manager.check_tenant_name(claims, body.organization_name)
    update = dict(email=body.email, password=body.password, new_name=body.new_organization_name)
    return reply(Org.of(await manager.update_tenant(claims, **update)))


@app.delete("/org/delete", tags=["organizations"], **documented(None, 400, 401, 403, 409, answer=Message))
async def delete_org(token: Token, name: OrgName, manager: glue.Tenants) -> Response:
    """Delete the organization, its admins and its collection."""
    claims = await manager.verify_token(token)
    manager.check_tenant_name(claims, name)
    await manager.delete_tenant(claims)
    return reply(Message(message="Organization deleted successfully"))


@app.post("/admin/login", tags=["auth"], **documented(Login, 400, 401, 429, answer=LoginResult))
async def login(body: Annotated[Login, Depends(json_body(Login))], request: Request, manager: glue.Tenants) -> Response:
    """Log an admin in; the token goes in `Authorization: Bearer <token>`. Failures count
    per (email, client address)."""
    token = await manager.authenticate(body.email, body.password, client=glue.client_address(request))
    return reply(LoginResult.of(token))


@app.api_route("/health", methods=["GET", "HEAD"], tags=["health"], **documented(None, 503, answer=Health))
async def health(manager: glue.Tenants) -> Response:
    """`healthy` when the database answers; 503 when it cannot be reached."""
    await manager.ping()
    return reply(Health(status="healthy"))


def main() -> None:
    import uvicorn

    configure_logging()
    uvicorn.run(
        cast(Any, app),
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
