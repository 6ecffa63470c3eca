"""The organization-management HTTP contract (tests/contract/CONTRACT.md) served with
FastAPI on the tenantry Python binding and its FastAPI glue (``tenantry.fastapi``: the
lifespan, the bearer token, the operator check, and every error answered from the core's
HTTP table). Beside the contract, as the Rust server serves them: an optional ``layout``
and ``cluster`` at create, and the operator's calls, authorized by ``OPERATOR_TOKEN``: the
online move (``POST /admin/move``), listing and counting organizations (``GET
/admin/tenants``, ``GET /admin/tenants/count``), restoring and purging softly deleted
ones (``POST /admin/restore``, ``POST /admin/purge``; deletes are soft with
``DELETED_RETENTION_SECONDS`` set), an organization's audit log (``GET /admin/audit``,
``GET /admin/audit/verify``), its export and import as one archive (``GET /admin/export``,
``POST /admin/import``, archives up to 16 MiB), the migrations of the declared schema
(``POST /admin/migrate``, the schema read from ``TENANT_SCHEMA_FILE`` by the core), and
suspending and resuming an organization (``POST /admin/suspend``, ``POST /admin/resume``);
and sessions with refresh tokens (``POST /auth/login``, ``POST /auth/refresh``, ``GET
/auth/sessions``, ``POST /auth/logout``, ``POST /auth/logout-all``); the signing keys
(``GET /.well-known/jwks.json``, public; ``GET /admin/keys`` and ``POST
/admin/keys/rotate``, the operator's); and the organizations' API keys (``POST /admin/api-keys``,
``GET /admin/api-keys``, ``DELETE /admin/api-keys/{key_id}``, an owner's or an admin's token;
``GET /auth/whoami``, a token or an API key); and the organizations' members and
invitations (``GET /admin/members``, ``PATCH`` and ``DELETE /admin/members/{member_id}``,
``POST`` and ``GET /admin/invitations``, ``DELETE /admin/invitations/{invitation_id}``,
``POST /auth/accept-invitation``), with logins that name the organization
(``organization_name`` in the body of ``POST /admin/login`` and ``POST /auth/login``).

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
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, NamedTuple, TypeVar, cast

from fastapi import Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, ValidationError

import tenantry.fastapi as glue
from middleware import BodyLimit, RequestLog, configure_logging
from schemas import (
    AcceptInvitation,
    ApiKeyList,
    AuditPageBody,
    Count,
    CreateOrg,
    CreatedApiKey,
    CreatedInvitation,
    Ended,
    EndedCount,
    ErrorBody,
    Health,
    InvitationList,
    Jwks,
    Login,
    LoginResult,
    Logout,
    MemberEntry,
    MemberList,
    MemberRole,
    Message,
    MigrateReport,
    MoveOrg,
    NamedOrg,
    NewApiKey,
    NewInvitation,
    Org,
    OrgPage,
    OrgRecord,
    Placement,
    Refresh,
    Removed,
    Revoked,
    SessionList,
    SessionResult,
    SigningKey,
    SigningKeyList,
    SuspendOrg,
    UpdateOrg,
    ValidationErrorBody,
    VerificationBody,
    WhoAmI,
)
from tenantry import __version__

#: Largest accepted request body (the contract's limit).
MAX_BODY_BYTES = 64 * 1024
#: Largest archive `POST /admin/import` takes, as the Rust server (larger ones: the CLI).
IMPORT_LIMIT = 16 * 1024 * 1024

app = FastAPIOffline(
    title="Organization Management Service",
    version=__version__,
    description="Multi-tenant organization management on the tenantry Python binding.",
    lifespan=glue.lifespan(),
    # Swagger UI would otherwise ask validator.swagger.io for a badge: not offline.
    swagger_ui_parameters={"validatorUrl": None},
)
glue.install(app)
# The import reads its archive itself (`archive_body`), under its own limit.
app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES, exempt={"/admin/import"})
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


def raw_query(request: Request) -> str:
    """The request's query string as it came, without `?`."""
    return cast(bytes, request.scope.get("query_string", b"")).decode("utf-8", "replace")


async def listing_query(request: Request) -> dict[str, Any]:
    """The listing's keyword arguments, from the raw query string as the core parses it
    (`tenant_query`): every server refuses the same queries alike, with every problem."""
    return glue.tenant_query(raw_query(request))


Listing = Annotated[dict[str, Any], Depends(listing_query)]


async def audit_query(request: Request) -> tuple[str, dict[str, Any]]:
    """The organization's id and the keyword arguments of `audit_log`, as the core parses
    the raw query string (`audit_query`)."""
    return glue.audit_query(raw_query(request))


AuditQuery = Annotated[tuple[str, dict[str, Any]], Depends(audit_query)]


async def audit_tenant(request: Request) -> str:
    """The organization's id of `GET /admin/audit/verify`, as the core parses it."""
    return glue.audit_tenant(raw_query(request))


AuditTenant = Annotated[str, Depends(audit_tenant)]


async def import_options(request: Request) -> dict[str, Any]:
    """The keyword arguments of `import_tenant_bytes`, as the core parses the raw query
    string (`import_options`)."""
    return glue.import_options(raw_query(request))


ImportOptions = Annotated[dict[str, Any], Depends(import_options)]


async def migrate_options(request: Request) -> dict[str, Any]:
    """The keyword arguments of `migrate`, as the core parses the raw query string
    (`migrate_options`)."""
    return glue.migrate_options(raw_query(request))


MigrateOptions = Annotated[dict[str, Any], Depends(migrate_options)]


async def archive_body(request: Request) -> bytes:
    """The raw body of `POST /admin/import`, at most `IMPORT_LIMIT` bytes: 413 beyond
    (a declared length at once, without reading). Read after the bearer header and the
    query are checked and before the token is, as the Rust server reads it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > IMPORT_LIMIT:
        raise HTTPException(413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > IMPORT_LIMIT:
            raise HTTPException(413)
        chunks.append(chunk)
    return b"".join(chunks)


Archive = Annotated[bytes, Depends(archive_body)]


async def new_api_key(request: Request) -> dict[str, Any]:
    """The keyword arguments of `create_api_key`, as the core reads the body of `POST
    /admin/api-keys` (`new_api_key`): every server refuses the same bodies alike, with
    every problem."""
    return glue.new_api_key(await request.body())


NewApiKeyBody = Annotated[dict[str, Any], Depends(new_api_key)]


async def member_role(request: Request) -> str:
    """The role of `PATCH /admin/members/{member_id}`, as the core reads its body
    (`member_role`)."""
    return glue.member_role(await request.body())


MemberRoleBody = Annotated[str, Depends(member_role)]


async def new_invitation(request: Request) -> dict[str, Any]:
    """The keyword arguments of `invite_member`, as the core reads the body of `POST
    /admin/invitations` (`new_invitation`)."""
    return glue.new_invitation(await request.body())


NewInvitationBody = Annotated[dict[str, Any], Depends(new_invitation)]


async def accepted_invitation(request: Request) -> tuple[str, str]:
    """The token and the password of `POST /auth/accept-invitation`, as the core reads its
    body (`accepted_invitation`)."""
    return glue.accepted_invitation(await request.body())


AcceptedInvitationBody = Annotated[tuple[str, str], Depends(accepted_invitation)]


class Param(NamedTuple):
    """A query parameter, for the OpenAPI document only: the routes read their queries
    through the core's parsers."""

    schema: dict[str, Any]
    description: str
    required: bool = False


TIME = {"type": "string", "format": "date-time"}

LISTING_PARAMETERS: dict[str, Param] = {
    "state": Param({"type": "string", "enum": ["active", "deleted"]}, "Only organizations in this state (both when left out)."),
    "layout": Param({"type": "string", "enum": ["collection", "database", "shared"]}, "Only organizations of this layout."),
    "cluster": Param({"type": "string"}, "Only organizations whose data is on this cluster."),
    "name_prefix": Param({"type": "string"}, "Only organizations whose name starts with this (case and spacing folded)."),
    "created_after": Param(TIME, "Only organizations created at or after this time (RFC 3339)."),
    "created_before": Param(TIME, "Only organizations created before this time (RFC 3339)."),
    "limit": Param({"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}, "Organizations per page."),
    "after": Param({"type": "string"}, "The `next` of the page before."),
}

ORGANIZATION_ID = Param(
    {"type": "string", "pattern": "^[0-9a-fA-F]{24}$"}, "The organization's id (a purged one's log stays).", required=True
)

AUDIT_PARAMETERS: dict[str, Param] = {
    "organization_id": ORGANIZATION_ID,
    "op": Param({"type": "string"}, "Only entries of this operation (`create`, `login`, `rename`...)."),
    "since": Param(TIME, "Only entries written at or after this time (RFC 3339)."),
    "until": Param(TIME, "Only entries written before this time (RFC 3339)."),
    "limit": Param({"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}, "Entries per page."),
    "after": Param({"type": "integer"}, "The `next` of the page before."),
}

IMPORT_PARAMETERS: dict[str, Param] = {
    "organization_name": Param({"type": "string"}, "Import under this name (the archive's otherwise)."),
    "email": Param({"type": "string"}, "The admin's email (the archive's otherwise; another one to import a copy beside the original)."),
    "layout": Param({"type": "string", "enum": ["collection", "database", "shared"]}, "The layout (the archive's otherwise)."),
    "cluster": Param({"type": "string"}, "A configured cluster (the placement policy's choice otherwise)."),
}

MIGRATE_PARAMETERS: dict[str, Param] = {
    "dry_run": Param({"type": "boolean"}, "Say what would run, write nothing."),
    "parallelism": Param({"type": "integer", "minimum": 1, "maximum": 256, "default": 4}, "Organizations migrated at once."),
    "stop_on_failure": Param({"type": "boolean"}, "Start no organization after a failure."),
}

#: An archive as OpenAPI describes a body: raw bytes.
ARCHIVE_CONTENT = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}


def reply(model: BaseModel, status_code: int = 200) -> Response:
    """`model` as the JSON response, serialized once by pydantic. A route returning a model
    would have FastAPI validate it again against its response model and encode it through
    `jsonable_encoder` first: the costliest step of a request after the framework itself."""
    return Response(model.model_dump_json(), status_code, media_type="application/json")


def json_reply(body: dict[str, Any], status_code: int = 200) -> Response:
    """`body` (plain JSON data, as the core's bodies are) as the JSON response."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status_code, media_type="application/json")


def documented(
    model: type[BaseModel] | None,
    *statuses: int,
    answer: type[BaseModel] | None = None,
    query: Mapping[str, Param] | None = None,
    archive_in: bool = False,
    archive_out: bool = False,
) -> dict[str, Any]:
    """OpenAPI of a route: the body `model` (parsed by `json_body`) or, `archive_in`, an
    archive; the query parameters `query` (read through the core's parsers); its answer's
    model, or, `archive_out`, an archive; and its error answers."""
    extra: dict[str, Any] = {"response_model": answer}
    openapi: dict[str, Any] = {}
    if model is not None:
        schema = {"application/json": {"schema": model.model_json_schema()}}
        openapi["requestBody"] = {"required": True, "content": schema}
    if archive_in:
        openapi["requestBody"] = {"required": True, "description": "An archive of `GET /admin/export`.", "content": ARCHIVE_CONTENT}
    if query:
        openapi["parameters"] = [
            {"name": name, "in": "query", "required": p.required, "schema": p.schema, "description": p.description}
            for name, p in query.items()
        ]
    if openapi:
        extra["openapi_extra"] = openapi
    responses: dict[int | str, dict[str, Any]] = {s: {"model": ValidationErrorBody if s == 400 else ErrorBody} for s in statuses}
    if archive_out:
        extra["response_class"] = Response
        responses[200] = {"description": "The archive.", "content": ARCHIVE_CONTENT}
    extra["responses"] = responses
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
    "/admin/tenants", methods=["GET", "HEAD"], tags=["operators"], **documented(None, 400, 401, 403, answer=OrgPage, query=LISTING_PARAMETERS)
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
    **documented(None, 400, 401, 403, answer=Count, query={n: p for n, p in LISTING_PARAMETERS.items() if n not in ("limit", "after")}),
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


@app.post("/admin/suspend", tags=["operators"], **documented(SuspendOrg, 400, 401, 403, 404, answer=OrgRecord))
async def suspend_org(
    _token: Token,
    body: Annotated[SuspendOrg, Depends(json_body(SuspendOrg))],
    _operator: glue.Operator,
    manager: glue.Tenants,
) -> Response:
    """Suspend an organization: its admins' logins, earlier tokens and token-authorized
    calls are refused with 403 `TENANT_SUSPENDED` until it is resumed; its data is
    untouched. Authorized by the operator token."""
    return json_reply(glue.tenant_body(await manager.suspend_tenant(body.organization_name, body.reason)))


@app.post("/admin/resume", tags=["operators"], **documented(NamedOrg, 400, 401, 403, 404, answer=OrgRecord))
async def resume_org(
    _token: Token,
    body: Annotated[NamedOrg, Depends(json_body(NamedOrg))],
    _operator: glue.Operator,
    manager: glue.Tenants,
) -> Response:
    """Resume a suspended organization: its credentials are accepted again. Authorized by
    the operator token."""
    return json_reply(glue.tenant_body(await manager.resume_tenant(body.organization_name)))


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


@app.api_route("/admin/audit", methods=["GET", "HEAD"], tags=["operators"], **documented(None, 400, 401, 403, answer=AuditPageBody, query=AUDIT_PARAMETERS))
async def audit_log(_token: Token, query: AuditQuery, _operator: glue.Operator, manager: glue.Tenants) -> Response:
    """An organization's audit log, in order: who did what, when, with which outcome, each
    entry chained to the one before by its hash; the next page with `after` set to the
    answer's `next`. Authorized by the operator token."""
    tenant_id, filters = query
    return json_reply(glue.audit_page_body(await manager.audit_log(tenant_id, **filters)))


@app.api_route(
    "/admin/audit/verify",
    methods=["GET", "HEAD"],
    tags=["operators"],
    **documented(None, 400, 401, 403, answer=VerificationBody, query={"organization_id": ORGANIZATION_ID}),
)
async def verify_audit(_token: Token, tenant_id: AuditTenant, _operator: glue.Operator, manager: glue.Tenants) -> Response:
    """Check an organization's audit hash chain: whether an entry was edited, removed or
    put out of order, and the first where it breaks. Authorized by the operator token."""
    return json_reply(glue.verification_body(await manager.verify_audit(tenant_id)))


@app.api_route(
    "/admin/export",
    methods=["GET", "HEAD"],
    tags=["operators"],
    **documented(
        None, 400, 401, 403, 404, archive_out=True, query={"organization_name": Param({"type": "string"}, "The organization's name.", required=True)}
    ),
)
async def export_org(_token: Token, name: OrgName, _operator: glue.Operator, manager: glue.Tenants) -> Response:
    """An organization as one archive (a stream of BSON records: its record, admins,
    collections with their indexes and documents, audit log, and a manifest of counts and
    checksums). Built whole before the answer starts, so a missing organization is a 404.
    Authorized by the operator token."""
    archive = await manager.export_tenant_bytes(name)
    return Response(archive, media_type="application/octet-stream")


@app.post("/admin/import", status_code=201, tags=["operators"], **documented(None, 400, 401, 403, 413, answer=OrgRecord, query=IMPORT_PARAMETERS, archive_in=True))
async def import_org(
    # In this order: the header's presence, the query, the body, then the operator token.
    _token: Token,
    options: ImportOptions,
    archive: Archive,
    _operator: glue.Operator,
    manager: glue.Tenants,
) -> Response:
    """Import an organization from an archive of `GET /admin/export` (up to 16 MiB; larger
    ones with the CLI): it stays hidden until its data matches the archive's manifest, and
    a failure leaves nothing behind. Authorized by the operator token."""
    tenant, _manifest = await manager.import_tenant_bytes(archive, **options)
    return json_reply(glue.tenant_body(tenant), 201)


@app.post("/admin/migrate", tags=["operators"], **documented(None, 400, 401, 403, answer=MigrateReport, query=MIGRATE_PARAMETERS))
async def migrate(
    # In this order: the header's presence, the query, then the operator token.
    _token: Token,
    options: MigrateOptions,
    _operator: glue.Operator,
    manager: glue.Tenants,
) -> Response:
    """Apply the migrations of the declared schema (`TENANT_SCHEMA_FILE`) that each active
    organization lacks, with a ledger per organization: resumable, a failure isolated to
    its organization. 400 when no schema is declared. Authorized by the operator token."""
    return json_reply(glue.migrate_report_body(await manager.migrate(**options)))


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


def login_options(body: Login, request: Request) -> dict[str, Any]:
    """The keyword arguments of a login: the client address, and the organization when the
    body names one (the core's `authenticate_in`/`login_session_in`)."""
    options: dict[str, Any] = {"client": glue.client_address(request)}
    if body.organization_name is not None:
        options["organization_name"] = body.organization_name
    return options


@app.post("/admin/login", tags=["auth"], **documented(Login, 400, 401, 429, answer=LoginResult))
async def login(body: Annotated[Login, Depends(json_body(Login))], request: Request, manager: glue.Tenants) -> Response:
    """Log an admin (a member) in; the token goes in `Authorization: Bearer <token>`.
    Failures count per (email, client address). With `organization_name`, into that
    organization: an email may be a member of several (without it, 400 naming
    `organization_name` when the password opens several)."""
    token = await manager.authenticate(body.email, body.password, **login_options(body, request))
    return reply(LoginResult.of(token))


@app.post("/auth/login", tags=["sessions"], **documented(Login, 400, 401, 403, 429, answer=SessionResult))
async def session_login(body: Annotated[Login, Depends(json_body(Login))], request: Request, manager: glue.Tenants) -> Response:
    """Log in (as `POST /admin/login`: throttled per email and client address, into the
    organization `organization_name` names when given) and open a session: a short access
    token and a refresh token that renews it."""
    session = await manager.login_session(body.email, body.password, **login_options(body, request))
    return json_reply(glue.session_body(session))


@app.post("/auth/refresh", tags=["sessions"], **documented(Refresh, 400, 401, 403, answer=SessionResult))
async def session_refresh(body: Annotated[Refresh, Depends(json_body(Refresh))], manager: glue.Tenants) -> Response:
    """Renew a session: a new access token and refresh token; the one presented is used up.
    Presenting a used one ends its whole session (401)."""
    return json_reply(glue.session_body(await manager.refresh_session(body.refresh_token)))


@app.api_route("/auth/sessions", methods=["GET", "HEAD"], tags=["sessions"], **documented(None, 401, 403, answer=SessionList))
async def list_sessions(token: Token, manager: glue.Tenants) -> Response:
    """The open sessions of the token's admin, newest first."""
    claims = await manager.verify_token(token)
    return json_reply(glue.sessions_body(await manager.sessions(claims)))


@app.post("/auth/logout", tags=["sessions"], **documented(Logout, 400, 401, 403, answer=Ended))
async def logout(token: Token, body: Annotated[Logout, Depends(json_body(Logout))], manager: glue.Tenants) -> Response:
    """End one session of the token's admin: its refresh token stops working (access tokens
    already issued expire on their own). `ended` is false when no open session of the
    admin has the id."""
    claims = await manager.verify_token(token)
    return reply(Ended(ended=await manager.end_session(claims, body.session_id)))


@app.post("/auth/logout-all", tags=["sessions"], **documented(None, 401, 403, answer=EndedCount))
async def logout_all(token: Token, manager: glue.Tenants) -> Response:
    """Log out everywhere: end every session of the token's admin and revoke every access
    token it holds, this one included."""
    claims = await manager.verify_token(token)
    return reply(EndedCount(ended=await manager.end_all_sessions(claims)))


#: How long a JWKS reader may keep the document: well under the lead of a new key
#: (`SIGNING_KEY_LEAD_SECONDS`, 300), as the Rust server answers.
JWKS_CACHE_CONTROL = "public, max-age=60"


@app.api_route("/.well-known/jwks.json", methods=["GET", "HEAD"], tags=["keys"], **documented(None, 503, answer=Jwks))
async def jwks(manager: glue.Tenants) -> Response:
    """The keys that verify access tokens, a JWKS document (RFC 7517): with `JWT_ALGO=EdDSA`
    every key that signs, will sign, or still verifies tokens it signed; `{"keys": []}`
    with an HMAC algorithm. No authorization; `Cache-Control: public, max-age=60`."""
    answer = json_reply(await manager.jwks())
    answer.headers["Cache-Control"] = JWKS_CACHE_CONTROL
    return answer


@app.api_route("/admin/keys", methods=["GET", "HEAD"], tags=["keys"], **documented(None, 400, 401, 403, answer=SigningKeyList))
async def signing_keys(_token: Token, _operator: glue.Operator, manager: glue.Tenants) -> Response:
    """The signing keys' timeline (`JWT_ALGO=EdDSA`), oldest first: when each activates,
    retires and stops verifying; 400 with an HMAC algorithm. Authorized by the operator
    token."""
    return json_reply(glue.signing_keys_body(await manager.signing_keys()))


@app.post("/admin/keys/rotate", tags=["keys"], **documented(None, 400, 401, 403, answer=SigningKey))
async def rotate_signing_key(_token: Token, _operator: glue.Operator, manager: glue.Tenants) -> Response:
    """Rotate the signing keys now (`JWT_ALGO=EdDSA`; no body, one sent is ignored): the new
    key is published at once and signs from `SIGNING_KEY_LEAD_SECONDS` later; the key it
    replaces verifies its tokens until they have all expired; 400 with an HMAC algorithm.
    Authorized by the operator token."""
    return json_reply(glue.signing_key_body(await manager.rotate_signing_key()))


@app.post("/admin/api-keys", status_code=201, tags=["api-keys"], **documented(NewApiKey, 400, 401, 403, 409, answer=CreatedApiKey))
async def create_api_key(
    # In this order: the header's presence, the body, then the credential itself.
    token: Token,
    body: NewApiKeyBody,
    manager: glue.Tenants,
) -> Response:
    """Make an API key for the token's organization, for machine clients: the key (`tnk_...`,
    for `Authorization: Bearer`) is in this answer only; its digest is stored. An admin's
    token only: an API key cannot make keys (403). 400 for a bad name, scope or expiry; 409
    when the organization holds 100 live keys."""
    claims = await manager.verify_credential(token)
    return json_reply(glue.created_api_key_body(await manager.create_api_key(claims, **body)), 201)


@app.api_route("/admin/api-keys", methods=["GET", "HEAD"], tags=["api-keys"], **documented(None, 401, 403, answer=ApiKeyList))
async def list_api_keys(token: Token, manager: glue.Tenants) -> Response:
    """The organization's API keys that are not revoked (expired ones included), oldest
    first, without their secrets. An admin's token only."""
    claims = await manager.verify_credential(token)
    return json_reply(glue.api_keys_body(await manager.api_keys(claims)))


@app.delete("/admin/api-keys/{key_id}", tags=["api-keys"], **documented(None, 400, 401, 403, answer=Revoked))
async def revoke_api_key(token: Token, key_id: str, manager: glue.Tenants) -> Response:
    """Revoke one of the organization's API keys: it stops verifying at once. `revoked` is
    false when it is no live key of the organization. 400 for an id that is not one. An
    admin's token only."""
    claims = await manager.verify_credential(token)
    return reply(Revoked(revoked=await manager.revoke_api_key(claims, key_id)))


@app.api_route("/auth/whoami", methods=["GET", "HEAD"], tags=["api-keys"], **documented(None, 401, 403, answer=WhoAmI))
async def whoami(claims: glue.VerifiedCredential) -> Response:
    """Who a bearer credential, an access token or an API key, speaks for: its admin and
    organization, and for an API key its id and scopes. 401 for a bad, revoked or expired
    one, 403 `TENANT_SUSPENDED` while the organization is suspended."""
    return json_reply(glue.claims_body(claims))


@app.api_route("/admin/members", methods=["GET", "HEAD"], tags=["members"], **documented(None, 401, 403, answer=MemberList))
async def list_members(token: Token, manager: glue.Tenants) -> Response:
    """The organization's members: its first admin, then the others as they joined. Any
    member's token (403 `FORBIDDEN` for an API key)."""
    claims = await manager.verify_credential(token)
    return json_reply(glue.members_body(await manager.members(claims)))


@app.patch("/admin/members/{member_id}", tags=["members"], **documented(MemberRole, 400, 401, 403, 404, 409, answer=MemberEntry))
async def set_member_role(
    # In this order: the header's presence, the body, the credential itself, then the id.
    token: Token,
    role: MemberRoleBody,
    member_id: str,
    manager: glue.Tenants,
) -> Response:
    """Change a member's role. An owner's or an admin's token; only an owner makes an owner
    or changes one (403 `FORBIDDEN`). 404 when the organization has no such member, 409
    `LAST_OWNER` when it would leave the organization without an owner, 400 for a role that
    is none of the three or an id that is not one."""
    claims = await manager.verify_credential(token)
    member = await manager.set_member_role(claims, member_id, role)
    if member is None:
        return glue.response("NOT_FOUND")
    return json_reply(glue.member_body(member))


@app.delete("/admin/members/{member_id}", tags=["members"], **documented(None, 400, 401, 403, 409, answer=Removed))
async def remove_member(token: Token, member_id: str, manager: glue.Tenants) -> Response:
    """Remove a member: its sessions end and its tokens stop verifying. `removed` is false
    when the organization has no such member. An owner's or an admin's token; only an owner
    removes an owner; the first admin cannot be removed, only demoted (403 `FORBIDDEN`);
    409 `LAST_OWNER` for the last owner; 400 for an id that is not one."""
    claims = await manager.verify_credential(token)
    return reply(Removed(removed=await manager.remove_member(claims, member_id)))


@app.post("/admin/invitations", status_code=201, tags=["members"], **documented(NewInvitation, 400, 401, 403, 409, answer=CreatedInvitation))
async def invite_member(
    # In this order: the header's presence, the body, then the credential itself.
    token: Token,
    body: NewInvitationBody,
    manager: glue.Tenants,
) -> Response:
    """Invite an email into the organization with a role: the token (`tni_...`, for `POST
    /auth/accept-invitation`) is in this answer only; its digest is stored, and it works
    once, until it expires (7 days unless `expires_at` says otherwise, at most 30) or is
    revoked. An owner's or an admin's token; only an owner invites an owner. 400 for a bad
    email, role or expiry, or an email that is a member already; 409 when the organization
    holds 100 pending invitations."""
    claims = await manager.verify_credential(token)
    return json_reply(glue.created_invitation_body(await manager.invite_member(claims, **body)), 201)


@app.api_route("/admin/invitations", methods=["GET", "HEAD"], tags=["members"], **documented(None, 401, 403, answer=InvitationList))
async def list_invitations(token: Token, manager: glue.Tenants) -> Response:
    """The organization's pending invitations (neither accepted, revoked nor expired),
    oldest first, without their tokens. An owner's or an admin's token."""
    claims = await manager.verify_credential(token)
    return json_reply(glue.invitations_body(await manager.invitations(claims)))


@app.delete("/admin/invitations/{invitation_id}", tags=["members"], **documented(None, 400, 401, 403, answer=Revoked))
async def revoke_invitation(token: Token, invitation_id: str, manager: glue.Tenants) -> Response:
    """Revoke a pending invitation: its token stops working. `revoked` is false when it is
    no pending invitation of the organization. 400 for an id that is not one. An owner's or
    an admin's token."""
    claims = await manager.verify_credential(token)
    return reply(Revoked(revoked=await manager.revoke_invitation(claims, invitation_id)))


@app.post("/auth/accept-invitation", status_code=201, tags=["members"], **documented(AcceptInvitation, 400, 401, 403, answer=MemberEntry))
async def accept_invitation(body: AcceptedInvitationBody, manager: glue.Tenants) -> Response:
    """Accept an invitation: its email joins the organization with its role and this
    password, and logs in like any member (`POST /auth/login`, naming the organization
    when the email is a member of several). No authorization: the token is the invitee's.
    401 for an unknown, used, expired or revoked invitation; 400 naming `password` for a
    weak one; 403 `TENANT_SUSPENDED` while the organization is suspended."""
    token, password = body
    return json_reply(glue.member_body(await manager.accept_invitation(token, password)), 201)


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
