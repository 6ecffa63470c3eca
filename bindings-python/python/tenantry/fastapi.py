"""FastAPI glue for tenantry (needs ``fastapi``, not installed with tenantry).

- :func:`lifespan`: connect (by default from the environment), run ``recover()`` once, keep
  the manager on ``app.state.tenants`` for the requests, close it at shutdown;
- :data:`VerifiedClaims`: a dependency giving the verified claims of the request's
  ``Authorization: Bearer`` token (401 with ``WWW-Authenticate: Bearer`` without one);
- :data:`VerifiedCredential`: the same for a bearer credential of either kind, an access
  token or a tenant's API key (``tnk_...``, ``manager.verify_credential``), and
  :func:`require_scope`, a dependency factory admitting only claims with the scopes a
  route needs (an API key made with them, an admin's token always; 403 ``FORBIDDEN``
  otherwise), and :func:`require_role`, one admitting only a member's token with at least
  the role a route needs (``member`` < ``admin`` < ``owner``; 403 ``FORBIDDEN`` below it
  and for an API key);
- :data:`Operator`: a dependency admitting only the operator (the request's bearer token
  is the ``operator_token`` setting), for routes of administration calls such as
  ``manager.move_tenant``;
- :func:`tenant_collection` (with ``lifespan(driver=...)``) and :func:`collection_of`:
  dependencies giving the claims' tenant's collection on the application's own driver
  (pymongo or motor), with no extra round trip (a ``ConfinedCollection`` for a tenant in
  the ``shared`` layout);
- :func:`client_address`: the request's client for the login throttle (``X-Forwarded-For``
  only from the manager's trusted proxies);
- :func:`tenant_query`, :func:`tenant_body` and :func:`page_body`: the listing query of
  the operator endpoints (``GET /admin/tenants``) read from the raw query string, and the
  bodies they answer with, all the core's, so that every server answers alike;
  :func:`audit_query`, :func:`audit_tenant`, :func:`audit_page_body` and
  :func:`verification_body` the same for the audit log (``GET /admin/audit``,
  ``GET /admin/audit/verify``), :func:`import_options` for ``POST /admin/import``,
  :func:`migrate_options` and :func:`migrate_report_body` for ``POST /admin/migrate``;
  :func:`session_body` and :func:`sessions_body` the bodies of the sessions endpoints
  (``POST /auth/login``, ``POST /auth/refresh``, ``GET /auth/sessions``);
  :func:`signing_key_body` and :func:`signing_keys_body` those of the signing keys'
  operator endpoints (``POST /admin/keys/rotate``, ``GET /admin/keys``; the JWKS of
  ``GET /.well-known/jwks.json`` is ``await manager.jwks()`` as it is);
  :func:`new_api_key` the body of ``POST /admin/api-keys`` read by the core, and
  :func:`created_api_key_body`, :func:`api_key_body`, :func:`api_keys_body` and
  :func:`claims_body` the bodies of the API keys' endpoints (``POST /admin/api-keys``,
  ``GET /admin/api-keys``, ``GET /auth/whoami``); :func:`member_role`,
  :func:`new_invitation` and :func:`accepted_invitation` the bodies of ``PATCH
  /admin/members/{member_id}``, ``POST /admin/invitations`` and ``POST
  /auth/accept-invitation`` read by the core, and :func:`members_body`,
  :func:`member_body`, :func:`invitations_body`, :func:`invitation_body` and
  :func:`created_invitation_body` the bodies of the members' endpoints;
- :func:`install`: exception handlers answering tenantry's errors, request validation
  errors and unknown routes from the core's HTTP error table, as the Rust and Express
  servers do.

::

    app = FastAPI(lifespan=glue.lifespan(driver=lambda s: AsyncMongoClient(s["mongo_uri"])))
    glue.install(app)
    Notes = Annotated[AsyncCollection[dict[str, Any]], Depends(glue.tenant_collection)]

    @app.get("/notes")
    async def notes(claims: glue.VerifiedClaims, notes: Notes) -> list[dict[str, Any]]:
        ...

    @app.get("/orders")
    async def orders(claims: Annotated[Claims, Depends(glue.require_scope("orders:read"))]) -> ...:
        ...  # an API key with the scope, or an admin's token

    @app.post("/billing")
    async def billing(claims: Annotated[Claims, Depends(glue.require_role("admin"))]) -> ...:
        ...  # a token of an admin or an owner of the tenant
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match

from tenantry import (
    HOME_CLUSTER,
    ApiKey,
    ApiKeyInfo,
    AuditPage,
    AuditVerification,
    Claims,
    Forbidden,
    InvalidInput,
    Invitation,
    InvitationInfo,
    Member,
    MigrateReport,
    Session,
    SessionInfo,
    SigningKeyInfo,
    Tenant,
    TenantManager,
    TenantPage,
    TenantryError,
)
from tenantry._native import (
    _http_accepted_invitation,
    _http_api_key_body,
    _http_api_keys_body,
    _http_audit_page_body,
    _http_audit_query,
    _http_audit_tenant,
    _http_claims_body,
    _http_created_api_key_body,
    _http_created_invitation_body,
    _http_import_options,
    _http_invitation_body,
    _http_invitations_body,
    _http_member_body,
    _http_member_role,
    _http_members_body,
    _http_method_not_allowed,
    _http_migrate_options,
    _http_migrate_report_body,
    _http_new_api_key,
    _http_new_invitation,
    _http_page_body,
    _http_response,
    _http_session_body,
    _http_sessions_body,
    _http_signing_key_body,
    _http_signing_keys_body,
    _http_tenant_body,
    _http_tenant_query,
    _http_validation_response,
    _http_verification_body,
)

__all__ = [
    "ROLES",
    "NotAuthenticated",
    "Operator",
    "Tenants",
    "api_key_body",
    "api_keys_body",
    "audit_page_body",
    "audit_query",
    "audit_tenant",
    "bearer_token",
    "VerifiedClaims",
    "VerifiedCredential",
    "accepted_invitation",
    "claims_body",
    "client_address",
    "created_api_key_body",
    "created_invitation_body",
    "collection_of",
    "error_response",
    "import_options",
    "install",
    "invitation_body",
    "invitations_body",
    "lifespan",
    "manager",
    "manager_of",
    "member_body",
    "member_role",
    "members_body",
    "migrate_options",
    "migrate_report_body",
    "new_api_key",
    "new_invitation",
    "operator",
    "page_body",
    "require_role",
    "require_scope",
    "session_body",
    "sessions_body",
    "signing_key_body",
    "signing_keys_body",
    "tenant_body",
    "tenant_collection",
    "tenant_query",
    "verification_body",
    "verified_claims",
    "verified_credential",
]

log = logging.getLogger("tenantry")

#: Where the manager lives on ``app.state``.
STATE_KEY = "tenants"
#: Where the application's own driver client lives on ``app.state`` (``lifespan(driver=)``).
DRIVER_KEY = "tenants_driver"


def manager_of(request: Request) -> TenantManager:
    """The application's manager (set by :func:`lifespan`), from a request."""
    tenants = getattr(request.app.state, STATE_KEY, None)
    if not isinstance(tenants, TenantManager):
        raise RuntimeError(f"no TenantManager on app.state.{STATE_KEY}: use tenantry.fastapi.lifespan")
    return tenants


async def manager(request: Request) -> TenantManager:
    """The application's manager, as a dependency. Every dependency here is ``async def``:
    FastAPI runs a plain ``def`` one in its thread pool, a thread hop per request that cost
    the example a third of its throughput."""
    return manager_of(request)


#: ``manager: Tenants`` in a route's signature: the application's manager.
Tenants = Annotated[TenantManager, Depends(manager)]


def lifespan(
    connect: Callable[[], Awaitable[TenantManager]] = TenantManager.from_env,
    *,
    recover: bool = True,
    driver: Callable[[dict[str, Any]], Any] | None = None,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A FastAPI lifespan: connect, ``recover()`` once, serve, close.

    ``driver``, given the manager's resolved settings, makes the application's own MongoDB
    client (``lambda s: AsyncMongoClient(s["mongo_uri"])``): it is kept on ``app.state``
    for :func:`tenant_collection` and closed at shutdown.
    """

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        async with await connect() as tenants:
            if recover:
                report = await tenants.recover()
                for failure in report.failed:
                    log.error("not recovered: %s (%s): %s", failure.name, failure.code, failure.message)
            setattr(app.state, STATE_KEY, tenants)
            client = driver(tenants.settings) if driver is not None else None
            setattr(app.state, DRIVER_KEY, client)
            try:
                yield
            finally:
                if client is not None:
                    closed = client.close()
                    if inspect.isawaitable(closed):
                        await closed

    return run


class NotAuthenticated(Exception):
    """The request has no ``Authorization: Bearer`` token."""


_bearer = HTTPBearer(auto_error=False, description="The access_token of a login")


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The request's bearer token, unchecked (401 without one)."""
    if credentials is None:
        raise NotAuthenticated()
    return credentials.credentials


async def verified_claims(request: Request, token: Annotated[str, Depends(bearer_token)]) -> Claims:
    """The verified claims of the request's bearer token (an access token only: an API key
    is refused, 401; :func:`verified_credential` takes both)."""
    return await manager_of(request).verify_token(token)


#: ``claims: VerifiedClaims`` in a route's signature.
VerifiedClaims = Annotated[Claims, Depends(verified_claims)]


async def verified_credential(request: Request, token: Annotated[str, Depends(bearer_token)]) -> Claims:
    """The verified claims of the request's bearer credential of either kind: a tenant's
    API key (``tnk_...``), whose claims carry its ``api_key_id`` and ``scopes``, or an
    access token (``manager.verify_credential``). 401 without one or for a bad, revoked or
    expired one, 403 ``TENANT_SUSPENDED`` while its tenant is suspended. An API key's
    claims reach the tenant's data (``manager.collection(claims, client)``) and are
    refused by the calls that manage the tenant (403 ``FORBIDDEN``)."""
    return await manager_of(request).verify_credential(token)


#: ``claims: VerifiedCredential`` in a route's signature: a token or an API key.
VerifiedCredential = Annotated[Claims, Depends(verified_credential)]


def require_scope(scope: str, *more: str) -> Callable[[Claims], Awaitable[Claims]]:
    """A dependency giving the verified claims of the request's bearer credential (as
    :data:`VerifiedCredential`) when they allow ``scope`` and every one of ``more``: an API
    key made with them, an admin's token always (it may do all its admin may). Otherwise
    ``Forbidden``, which :func:`install` answers with the table's 403 ``FORBIDDEN``::

        OrdersReader = Annotated[Claims, Depends(glue.require_scope("orders:read"))]

        @app.get("/orders")
        async def orders(claims: OrdersReader) -> ...:
    """
    needed = (scope, *more)

    async def dependency(claims: VerifiedCredential) -> Claims:
        for one in needed:
            if not claims.has_scope(one):
                raise _forbidden(f"the credential lacks the scope {one!r}")
        return claims

    return dependency


#: The roles of a tenant's members, from the least to the most: each may do all the roles
#: before it may.
ROLES = ("member", "admin", "owner")


def require_role(role: str) -> Callable[[Claims], Awaitable[Claims]]:
    """A dependency giving the verified claims of the request's bearer credential (as
    :data:`VerifiedCredential`) when they are a member's token with ``role`` or a role
    above it (``member`` < ``admin`` < ``owner``). Otherwise ``Forbidden``, which
    :func:`install` answers with the table's 403 ``FORBIDDEN``, for a role below and for
    an API key (whose claims have no role: it never manages the tenant)::

        Admin = Annotated[Claims, Depends(glue.require_role("admin"))]

        @app.post("/billing")
        async def billing(claims: Admin) -> ...:

    The role is the one ``verify_token`` read (``Claims.role``), as fresh as its
    revocation check; the manager's own calls that manage the tenant (members, API keys,
    rename, delete) check the role again, in the database. ``InvalidInput`` (a
    ``ValueError``) here for a ``role`` that is none of the three.
    """
    if role not in ROLES:
        err = InvalidInput(f"invalid role: must be {', '.join(reversed(ROLES))}")
        err.field, err.reason = "role", f"must be {', '.join(reversed(ROLES))}"
        raise err
    least = ROLES.index(role)

    async def dependency(claims: VerifiedCredential) -> Claims:
        if claims.role is None:
            raise _forbidden(f"an API key has no role: this takes a member's token with role {role}")
        if ROLES.index(claims.role) < least:
            raise _forbidden(f"a member with role {claims.role} may not do this: that takes {role}")
        return claims

    return dependency


def _forbidden(reason: str) -> Forbidden:
    """A ``Forbidden`` as the core raises one: ``code``, ``reason``, no ``field``."""
    err = Forbidden(f"forbidden: {reason}")
    err.reason = reason
    return err


async def operator(request: Request, token: Annotated[str, Depends(bearer_token)]) -> None:
    """Admit the operator only: the request's bearer token must be the manager's
    ``operator_token`` (401 without a token or with another one, 403 when none is set:
    operator calls are off). The comparison is the core's, in constant time."""
    manager_of(request).check_operator(token)


#: ``_: Operator`` in a route's signature: only the operator gets through. (FastAPI
#: resolves dependencies in the order of the parameters, so where it stands decides
#: whether the token is checked before or after a body parsed by a dependency.)
Operator = Annotated[None, Depends(operator)]


def collection_of(client: Any) -> Callable[[Request, Claims], Awaitable[Any]]:
    """A dependency giving the claims' tenant's collection on ``client`` (a pymongo
    ``MongoClient``/``AsyncMongoClient`` or a motor client)."""

    async def dependency(request: Request, claims: VerifiedClaims) -> Any:
        return manager_of(request).collection(claims, client)

    return dependency


async def tenant_collection(request: Request, claims: VerifiedClaims) -> Any:
    """The verified claims' tenant's collection on the client ``lifespan(driver=...)``
    made: ``notes: Annotated[AsyncCollection, Depends(tenant_collection)]``. That client is
    the home cluster's: a tenant placed on another cluster is refused here rather than
    served from the wrong one (``manager.collection(claims, client)`` takes that cluster's
    client)."""
    client = getattr(request.app.state, DRIVER_KEY, None)
    if client is None:
        raise RuntimeError("no driver client: use tenantry.fastapi.lifespan(driver=...)")
    if claims.cluster not in (None, HOME_CLUSTER):
        raise RuntimeError(
            f"the tenant's data is on cluster {claims.cluster!r}, the driver client of "
            "lifespan(driver=...) is the home cluster's: use manager.collection(claims, <that cluster's client>)"
        )
    return manager_of(request).collection(claims, client)


def client_address(request: Request) -> str:
    """The request's client, for ``authenticate(client=...)``."""
    peer = request.client.host if request.client else "0.0.0.0"
    return manager_of(request).client_address(peer, request.headers.get("x-forwarded-for"))


T = TypeVar("T")


P = TypeVar("P", str, bytes)


def _parsed(parse: Callable[[P], T], raw: P, where: str = "query") -> T:
    """``parse(raw)`` (a raw query string, or a body), the core's ``InvalidInput`` turned
    into the ``RequestValidationError`` of its problems (every one, in ``where``), which
    :func:`install` answers with the table's 400."""
    try:
        return parse(raw)
    except InvalidInput as err:
        problems = err.problems or [(err.field or where, err.reason or str(err), "value_error")]
        errors = [{"loc": (where, field), "msg": message, "type": kind} for field, message, kind in problems]
        raise RequestValidationError(errors) from None


def tenant_query(raw_query: str) -> dict[str, Any]:
    """The keyword arguments of ``manager.list_tenants`` that a request's raw query string
    gives (``state=deleted&limit=50``, without ``?``): only the parameters given, parsed by
    the core as every server of the contract parses them (``state``, ``layout``,
    ``cluster``, ``name_prefix``, ``created_after`` and ``created_before`` in RFC 3339,
    ``limit``, ``after``; each at most once; others ignored). A query that does not parse
    raises ``RequestValidationError`` with every problem, which :func:`install` answers
    with the table's 400. The page size and the cursor are checked when the query runs."""
    return _parsed(_http_tenant_query, raw_query)


def audit_query(raw_query: str) -> tuple[str, dict[str, Any]]:
    """The tenant's id and the keyword arguments of ``manager.audit_log`` that the raw
    query string of ``GET /admin/audit`` gives, parsed by the core: ``organization_id``
    (required, 24 hex digits), then ``op``, ``since`` and ``until`` in RFC 3339,
    ``limit``, ``after`` (a whole number), only those given; each at most once; others
    ignored. Raises ``RequestValidationError`` as :func:`tenant_query` does::

        tenant_id, kwargs = glue.audit_query(request.url.query)
        page = await manager.audit_log(tenant_id, **kwargs)
    """
    return _parsed(_http_audit_query, raw_query)


def audit_tenant(raw_query: str) -> str:
    """The tenant's id of ``GET /admin/audit/verify`` (its required ``organization_id``),
    parsed by the core; raises ``RequestValidationError`` as :func:`tenant_query` does."""
    return _parsed(_http_audit_tenant, raw_query)


def import_options(raw_query: str) -> dict[str, Any]:
    """The keyword arguments of ``manager.import_tenant_bytes`` that the raw query string
    of ``POST /admin/import`` gives, parsed by the core: ``organization_name`` as
    ``name``, ``email`` as ``admin_email``, ``layout`` and ``cluster``, only those given;
    each at most once; others ignored. Raises ``RequestValidationError`` as
    :func:`tenant_query` does."""
    return _parsed(_http_import_options, raw_query)


def migrate_options(raw_query: str) -> dict[str, Any]:
    """The keyword arguments of ``manager.migrate`` that the raw query string of ``POST
    /admin/migrate`` gives, parsed by the core: ``dry_run`` and ``stop_on_failure``
    (``true`` or ``false``; False when left out), ``parallelism`` (a whole number, only
    when given; its range is checked when the run starts); each at most once; others
    ignored. Raises ``RequestValidationError`` as :func:`tenant_query` does."""
    return _parsed(_http_migrate_options, raw_query)


def migrate_report_body(report: MigrateReport) -> dict[str, Any]:
    """What ``POST /admin/migrate`` answers: the core's ``{"tenants", "applied",
    "up_to_date", "not_started", "failed": [{"organization_id", "organization_name",
    "migration", "code", "message"}]}``."""
    return _http_migrate_report_body(report)


def tenant_body(tenant: Tenant) -> dict[str, Any]:
    """A tenant as the operator endpoints show it (``POST /admin/restore``,
    ``/admin/suspend``, ``/admin/resume``): the core's JSON object, times in RFC 3339,
    UTC, to the millisecond, None for a time (or a suspension's reason) not set."""
    return _http_tenant_body(tenant)


def page_body(page: TenantPage) -> dict[str, Any]:
    """A page of tenants as ``GET /admin/tenants`` answers it: ``{"tenants": [...], "next":
    ...}``, each tenant as :func:`tenant_body` shows it."""
    return _http_page_body(page)


def audit_page_body(page: AuditPage) -> dict[str, Any]:
    """A page of audit entries as ``GET /admin/audit`` answers it: the core's ``{"entries":
    [{seq, at, actor, op, outcome, detail, prev, hash}], "next": ...}``, times in RFC 3339,
    UTC, to the millisecond, ``detail`` in relaxed Extended JSON."""
    return _http_audit_page_body(page)


def verification_body(verification: AuditVerification) -> dict[str, Any]:
    """What ``GET /admin/audit/verify`` answers: the core's ``{"entries": n, "intact":
    bool, "broken": {"seq": n, "reason": "..."} or None}``."""
    return _http_verification_body(verification)


def session_body(session: Session) -> dict[str, Any]:
    """A session's tokens as ``POST /auth/login`` and ``POST /auth/refresh`` answer them:
    the core's ``{"access_token", "token_type", "expires_in", "refresh_token",
    "session_id", "session_expires_at", "admin_id", "organization_id",
    "organization_name"}`` (``expires_in`` in seconds from now)."""
    return _http_session_body(session)


def sessions_body(sessions: Sequence[SessionInfo]) -> dict[str, Any]:
    """An admin's open sessions as ``GET /auth/sessions`` answers them: the core's
    ``{"sessions": [{"session_id", "created_at", "refreshed_at", "expires_at",
    "client"}]}``, in the order given, times in RFC 3339, UTC, to the millisecond."""
    return _http_sessions_body(list(sessions))


def signing_key_body(key: SigningKeyInfo) -> dict[str, Any]:
    """A signing key as ``POST /admin/keys/rotate`` answers it: the core's ``{"kid",
    "alg", "created_at", "activates_at", "retires_at", "verifies_until"}``, times in RFC
    3339, UTC, to the millisecond, None for a time not set (the last key's retirement)."""
    return _http_signing_key_body(key)


def signing_keys_body(keys: Sequence[SigningKeyInfo]) -> dict[str, Any]:
    """The signing keys' timeline as ``GET /admin/keys`` answers it: the core's ``{"keys":
    [...]}``, each as :func:`signing_key_body` shows it, in the order given
    (``manager.signing_keys()``: oldest first)."""
    return _http_signing_keys_body(list(keys))


def new_api_key(body: bytes) -> dict[str, Any]:
    """The keyword arguments of ``manager.create_api_key`` that a ``POST /admin/api-keys``
    body gives, read by the core as every server reads it: ``name`` (a string),
    ``scopes`` (an array of strings) and ``expires_at`` (RFC 3339, optional; an aware UTC
    ``datetime`` or None). A body that does not read (not JSON, not an object, a field
    missing or of the wrong type, a date that does not parse) raises
    ``RequestValidationError`` with every problem, which :func:`install` answers with the
    table's 400; what the core judges then (an empty name, a bad scope, a past expiry) is
    ``create_api_key``'s ``InvalidInput``::

        key = await manager.create_api_key(claims, **glue.new_api_key(await request.body()))
    """
    return _parsed(_http_new_api_key, body, "body")


def api_key_body(key: ApiKeyInfo) -> dict[str, Any]:
    """An API key as ``GET /admin/api-keys`` lists it: the core's ``{"id", "prefix",
    "name", "scopes", "created_by", "created_at", "expires_at", "last_used_at"}``, never
    its secret; times in RFC 3339, UTC, to the millisecond, None for a time not set."""
    return _http_api_key_body(key)


def created_api_key_body(key: ApiKey) -> dict[str, Any]:
    """What ``POST /admin/api-keys`` answers: :func:`api_key_body` of the new key and its
    ``"key"``, shown this once."""
    return _http_created_api_key_body(key)


def api_keys_body(keys: Sequence[ApiKeyInfo]) -> dict[str, Any]:
    """A tenant's API keys as ``GET /admin/api-keys`` answers them: the core's
    ``{"api_keys": [...]}``, each as :func:`api_key_body` shows it, in the order given
    (``manager.api_keys()``: oldest first)."""
    return _http_api_keys_body(list(keys))


def claims_body(claims: Claims) -> dict[str, Any]:
    """Who a credential speaks for, as ``GET /auth/whoami`` answers it: the core's
    ``{"admin_id", "organization_id", "organization_name", "api_key_id", "scopes", "role",
    "expires_at"}`` (``api_key_id`` and ``scopes`` None for a token, ``role`` None for an
    API key)."""
    return _http_claims_body(claims)


def members_body(members: Sequence[Member]) -> dict[str, Any]:
    """A tenant's members as ``GET /admin/members`` answers them: the core's ``{"members":
    [...]}``, each as :func:`member_body` shows it, in the order given
    (``manager.members()``: the first admin first)."""
    return _http_members_body(list(members))


def member_body(member: Member) -> dict[str, Any]:
    """A member as ``GET /admin/members`` lists it and ``PATCH
    /admin/members/{member_id}`` and ``POST /auth/accept-invitation`` answer it: the core's
    ``{"id", "email", "role", "first_admin", "created_at"}``, the time in RFC 3339, UTC,
    to the millisecond."""
    return _http_member_body(member)


def member_role(body: bytes) -> str:
    """The role a ``PATCH /admin/members/{member_id}`` body (``{"role": ...}``) gives, read
    by the core as every server reads it: ``owner``, ``admin`` or ``member``. A body that
    does not read (not JSON, not an object, ``role`` missing, not a string or none of the
    three) raises ``RequestValidationError`` with every problem, as :func:`new_api_key`
    does::

        member = await manager.set_member_role(claims, member_id, glue.member_role(await request.body()))
    """
    return _parsed(_http_member_role, body, "body")


def new_invitation(body: bytes) -> dict[str, Any]:
    """The keyword arguments of ``manager.invite_member`` (after the claims) that a ``POST
    /admin/invitations`` body gives, read by the core as every server reads it: ``email``
    (a string), ``role`` (``owner``, ``admin`` or ``member``) and ``expires_at`` (RFC 3339,
    optional; an aware UTC ``datetime`` or None). A body that does not read raises
    ``RequestValidationError`` with every problem, as :func:`new_api_key` does; what the
    core judges then (the email, an expiry in the past or too far) is ``invite_member``'s
    ``InvalidInput``::

        invitation = await manager.invite_member(claims, **glue.new_invitation(await request.body()))
    """
    return _parsed(_http_new_invitation, body, "body")


def invitation_body(invitation: InvitationInfo) -> dict[str, Any]:
    """A pending invitation as ``GET /admin/invitations`` lists it: the core's ``{"id",
    "prefix", "email", "role", "invited_by", "created_at", "expires_at"}``, never its
    token; times in RFC 3339, UTC, to the millisecond."""
    return _http_invitation_body(invitation)


def created_invitation_body(invitation: Invitation) -> dict[str, Any]:
    """What ``POST /admin/invitations`` answers: :func:`invitation_body` of the new
    invitation and its ``"token"``, shown this once."""
    return _http_created_invitation_body(invitation)


def invitations_body(invitations: Sequence[InvitationInfo]) -> dict[str, Any]:
    """A tenant's pending invitations as ``GET /admin/invitations`` answers them: the
    core's ``{"invitations": [...]}``, each as :func:`invitation_body` shows it, in the
    order given (``manager.invitations()``: oldest first)."""
    return _http_invitations_body(list(invitations))


def accepted_invitation(body: bytes) -> tuple[str, str]:
    """The token and the password a ``POST /auth/accept-invitation`` body (``{"token",
    "password"}``) gives, read by the core as every server reads it. A body that does not
    read raises ``RequestValidationError`` with every problem, as :func:`new_api_key`
    does; the token and the password are ``accept_invitation``'s to judge::

        token, password = glue.accepted_invitation(await request.body())
        member = await manager.accept_invitation(token, password)
    """
    return _parsed(_http_accepted_invitation, body, "body")


def response(kind: str, *, field: str | None = None, reason: str | None = None, retry_after: int | None = None) -> JSONResponse:
    """The table's response of an error kind."""
    found = _http_response(kind, field, reason, retry_after) or _http_response("INTERNAL")
    assert found is not None
    return _json(found)


def _json(found: tuple[int, list[tuple[str, str]], str]) -> JSONResponse:
    status, headers, body = found
    return JSONResponse(json.loads(body), status_code=status, headers=dict(headers))


def error_response(err: TenantryError) -> JSONResponse:
    """The table's response of a tenantry error."""
    if err.code in ("DATABASE", "INTERNAL", "CONFIG", "CLOSED"):
        # The client gets the table's fixed message; the cause goes to the log only.
        log.error("%s: %s", err.code, err)
    return response(err.code, field=err.field, reason=err.reason, retry_after=err.retry_after)


#: Where a request part ends up in a validation error's ``loc``, before the field name.
_LOCATIONS = {"body", "query", "path", "header", "cookie"}


def _kind(pydantic_type: str) -> str:
    # pydantic's types, and the core's own kinds (a body or a query it read) as they are.
    if pydantic_type in ("json_invalid", "missing", "type_error", "value_error"):
        return pydantic_type
    if pydantic_type.endswith("_type"):  # string_type, model_type, dict_type...
        return "type_error"
    return "value_error"


def _field(loc: Sequence[Any]) -> str:
    names = [part for part in loc if isinstance(part, str) and part not in _LOCATIONS]
    return names[0] if names else "body"


def validation_response(errors: Sequence[Any]) -> JSONResponse:
    """The table's response to a request that does not match its schema."""
    problems = [(_field(e["loc"]), str(e["msg"]), _kind(str(e["type"]))) for e in errors]
    return _json(_http_validation_response(problems))


def _allowed(request: Request, methods: list[str]) -> list[str]:
    """The methods of every route of the request's path: Starlette's 405 names only the
    first route it matched (``GET /items`` and ``POST /items`` are two routes)."""
    allowed = list(methods)
    for route in request.app.router.routes:
        if isinstance(route, BaseRoute) and route.matches(request.scope)[0] == Match.PARTIAL:
            allowed.extend(m for m in getattr(route, "methods", None) or () if m not in allowed)
    return allowed


#: HTTP errors of the framework itself, by status.
_HTTP_KINDS = {401: "NOT_AUTHENTICATED", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}


def install(app: FastAPI) -> None:
    """Answer every error from the core's HTTP error table, and route paths exactly as the
    Rust and Express servers do (no redirect from ``/path/`` to ``/path``)."""
    app.router.redirect_slashes = False

    @app.exception_handler(TenantryError)
    async def on_error(request: Request, exc: TenantryError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(NotAuthenticated)
    async def on_no_token(request: Request, exc: NotAuthenticated) -> JSONResponse:
        return response("NOT_AUTHENTICATED")

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(exc.errors())

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, exc: HTTPException) -> JSONResponse:
        allow = (exc.headers or {}).get("Allow")
        if exc.status_code == 405 and allow is not None:
            methods = [m.strip() for m in allow.split(",")]
            return _json(_http_method_not_allowed(_allowed(request, methods)))
        kind = _HTTP_KINDS.get(exc.status_code, "INTERNAL" if exc.status_code >= 500 else "NOT_FOUND")
        answer = response(kind)
        for name, value in (exc.headers or {}).items():
            answer.headers[name] = value
        return answer

    @app.exception_handler(Exception)
    async def on_bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return response("INTERNAL")
