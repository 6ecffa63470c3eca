"""Request and response bodies of the HTTP contract (tests/contract/CONTRACT.md) and of
its extensions (a layout and a cluster at create, the operator's calls: move, list, count,
restore, purge, the audit log, import, migrate, suspend, resume; the sessions: login,
refresh, list, logout, logout everywhere; the signing keys: the JWKS, the list, rotate;
the API keys: create, list, revoke, and who a credential speaks for; the members and
invitations: list, change a role, remove, invite, list and revoke invitations, accept one,
and logins that name the organization).

Requests declare types only: a field that is not a string is refused here, everything
else about its value (names, emails, passwords, layouts, clusters) is the core's to judge.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from tenantry import AccessToken, Tenant


class CreateOrg(BaseModel):
    organization_name: str
    email: str
    password: str
    layout: str | None = Field(
        default=None,
        description="Extension: the tenant's layout, `collection` (the default), `database` or `shared`.",
        examples=["shared"],
    )
    cluster: str | None = Field(
        default=None, description="Extension: the cluster to place the tenant on (one of the configured `CLUSTERS`)."
    )


class MoveOrg(BaseModel):
    organization_name: str
    layout: str | None = Field(
        default=None, description="The layout to move to: `collection`, `database` or `shared`.", examples=["database"]
    )
    cluster: str | None = Field(default=None, description="The cluster to move to.")


class NamedOrg(BaseModel):
    """The organization an operator call acts on (restore, purge, resume)."""

    organization_name: str


class SuspendOrg(BaseModel):
    """The organization to suspend, and why."""

    organization_name: str
    reason: str | None = Field(
        default=None,
        description="Why (one line, at most 500 characters), kept on the record and in the audit log.",
        examples=["unpaid invoice"],
    )


class Login(BaseModel):
    email: str
    password: str
    organization_name: str | None = Field(
        default=None,
        description=(
            "Extension: the organization to log into, for an email that is a member of several "
            "(without it, the one the password opens; 400 naming `organization_name` when it opens several)."
        ),
        examples=["Acme Corp"],
    )


class Refresh(BaseModel):
    """`POST /auth/refresh` body."""

    refresh_token: str = Field(
        description="The refresh token of the last answer of `POST /auth/login` or `POST /auth/refresh`."
    )


class Logout(BaseModel):
    """`POST /auth/logout` body."""

    session_id: str = Field(
        description="A `session_id` of `GET /auth/sessions` (or of a login's answer).", examples=["6650f1c2a4b5c6d7e8f90123"]
    )


class UpdateOrg(BaseModel):
    organization_name: str
    email: str
    password: str
    new_organization_name: str | None = None


class Org(BaseModel):
    organization_name: str
    collection_name: str
    admin_email: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, tenant: Tenant) -> Org:
        return cls(
            organization_name=tenant.name,
            collection_name=tenant.collection_name,
            admin_email=tenant.admin_email,
            created_at=tenant.created_at,
            updated_at=tenant.updated_at,
        )


class Placement(BaseModel):
    """Where an organization's data is (the operator calls' answer)."""

    organization_name: str
    collection_name: str
    database: str
    layout: str
    cluster: str

    @classmethod
    def of(cls, tenant: Tenant) -> Placement:
        return cls(
            organization_name=tenant.name,
            collection_name=tenant.collection_name,
            database=tenant.database,
            layout=tenant.layout,
            cluster=tenant.cluster,
        )


class OrgRecord(BaseModel):
    """An organization as the operator calls show it (the core's ``tenant_body``); times
    in RFC 3339, UTC, to the millisecond. Documentation only: the body is the core's."""

    organization_id: str
    organization_name: str
    admin_email: str
    collection_name: str
    database: str
    layout: str
    cluster: str
    state: str = Field(description="`active`, or `deleted` (softly: restorable until `purge_after`).")
    created_at: str
    updated_at: str
    deleted_at: str | None = Field(description="When a soft delete made it `deleted`.")
    purge_after: str | None = Field(description="Until when it can be restored; purged after.")
    suspended_at: str | None = Field(description="Set while the organization is suspended (`POST /admin/suspend`).")
    suspended_reason: str | None = Field(description="Why, as the operator said.")


class OrgPage(BaseModel):
    """A page of organizations in creation order (the core's ``page_body``)."""

    tenants: list[OrgRecord]
    next: str | None = Field(description="The `after` of the next page; null on the last one.")


class Count(BaseModel):
    count: int


class AuditEntryBody(BaseModel):
    """One event of an organization's audit log (the core's ``audit_page_body``), chained to
    the one before by its hash. Documentation only: the body is the core's."""

    seq: int = Field(description="Its place in the organization's chain, from 1.")
    at: str = Field(description="When it was written: RFC 3339, UTC, to the millisecond.")
    actor: str = Field(description="`admin:<id>`, `operator`, `retention` or `anonymous`.", examples=["operator"])
    op: str = Field(description="`create`, `rename`, `email_change`, `password_change`, `delete`, `restore`, `purge`, `move`, `login`, `import`, `suspend`, `resume`.")
    outcome: str = Field(description="`ok`, or the code of the error the operation ended with.")
    detail: dict[str, Any] = Field(description="What else is worth keeping, in relaxed Extended JSON; never a secret.")
    prev: str = Field(description="The hash of the entry before (64 zeros for the first).")
    hash: str = Field(description="SHA-256 (hex) over the entry's fields, `prev` included.")


class AuditPageBody(BaseModel):
    """A page of an organization's audit log, in order (the core's ``audit_page_body``)."""

    entries: list[AuditEntryBody]
    next: int | None = Field(description="The `after` of the next page; null on the last one.")


class BrokenAt(BaseModel):
    seq: int
    reason: str


class VerificationBody(BaseModel):
    """What a walk of an audit log's hash chain found (the core's ``verification_body``)."""

    entries: int = Field(description="Entries read.")
    intact: bool
    broken: BrokenAt | None = Field(description="Where the chain first breaks, and how; null when whole.")


class MigrationFailure(BaseModel):
    """A failed organization of a migration run."""

    organization_id: str
    organization_name: str
    migration: str = Field(description="The migration that failed.")
    code: str = Field(description="The error's code.")
    message: str


class MigrateReport(BaseModel):
    """What a migration run did (the core's ``migrate_report_body``). Documentation only:
    the body is the core's."""

    tenants: int = Field(description="Organizations looked at.")
    applied: int = Field(description="Migrations applied (in a dry run: that would be), over every organization.")
    up_to_date: int = Field(description="Organizations that had nothing to apply.")
    not_started: int = Field(description="Organizations not started (after a failure, with `stop_on_failure`).")
    failed: list[MigrationFailure]


class LoginResult(BaseModel):
    access_token: str
    token_type: str
    admin_id: str
    organization_id: str
    organization_name: str

    @classmethod
    def of(cls, token: AccessToken) -> LoginResult:
        return cls(
            access_token=token.access_token,
            token_type=token.token_type,
            admin_id=token.admin_id,
            organization_id=token.tenant_id,
            organization_name=token.tenant_name,
        )


class SessionResult(BaseModel):
    """`POST /auth/login` and `POST /auth/refresh` answer (the core's ``session_body``).
    Documentation only: the body is the core's."""

    access_token: str = Field(description="A short access token, for `Authorization: Bearer`.")
    token_type: str = Field(examples=["bearer"])
    expires_in: int = Field(description="Seconds until the access token expires.", examples=[900])
    refresh_token: str = Field(description="Renews the access token at `POST /auth/refresh`; works once.")
    session_id: str
    session_expires_at: str = Field(description="When the session ends, whatever its refreshes: RFC 3339, UTC, to the millisecond.")
    admin_id: str
    organization_id: str
    organization_name: str


class SessionEntry(BaseModel):
    """One open session (the core's ``sessions_body``); times in RFC 3339, UTC, to the
    millisecond."""

    session_id: str
    created_at: str = Field(description="When its login was.")
    refreshed_at: str = Field(description="When it was last refreshed (its login's time if never).")
    expires_at: str = Field(description="When it ends, whatever its refreshes.")
    client: str | None = Field(description="The client address of its login.")


class SessionList(BaseModel):
    """`GET /auth/sessions` answer: the admin's open sessions, newest first."""

    sessions: list[SessionEntry]


class Ended(BaseModel):
    """`POST /auth/logout` answer: whether an open session of the admin had the id."""

    ended: bool


class EndedCount(BaseModel):
    """`POST /auth/logout-all` answer: how many sessions were open."""

    ended: int


class Jwk(BaseModel):
    """One published key of `GET /.well-known/jwks.json` (RFC 7517/8037, an Ed25519 public
    key). Documentation only: the document is the core's."""

    kty: str = Field(examples=["OKP"])
    crv: str = Field(examples=["Ed25519"])
    x: str = Field(description="The public key, base64url.")
    kid: str = Field(description="The `kid` of the tokens it verifies.")
    alg: str = Field(examples=["EdDSA"])
    use: str = Field(examples=["sig"])


class Jwks(BaseModel):
    """`GET /.well-known/jwks.json` answer: empty with an HMAC algorithm."""

    keys: list[Jwk]


class SigningKey(BaseModel):
    """A signing key as an operator sees it (the core's ``signing_key_body``); times in RFC
    3339, UTC, to the millisecond. Documentation only: the body is the core's."""

    kid: str
    alg: str = Field(examples=["EdDSA"])
    created_at: str = Field(description="When it was made and published.")
    activates_at: str = Field(description="When it starts signing.")
    retires_at: str | None = Field(description="When it stops signing (the next key's activation); null while it is the newest.")
    verifies_until: str | None = Field(description="When its tokens stop verifying and it is unpublished; null while it is the newest.")


class SigningKeyList(BaseModel):
    """`GET /admin/keys` answer: the timeline, oldest first (the core's ``signing_keys_body``)."""

    keys: list[SigningKey]


class NewApiKey(BaseModel):
    """`POST /admin/api-keys` body. Documentation only: the body is read by the core
    (``tenantry.fastapi.new_api_key``), as every server reads it."""

    name: str = Field(description="For people: 1 to 100 characters.", examples=["ci deploys"])
    scopes: list[str] = Field(
        description="1 to 32 scopes, each 1 to 64 of `A-Z a-z 0-9 : . _ -`; what they allow is the application's.",
        examples=[["orders:read", "orders:write"]],
    )
    expires_at: str | None = Field(
        default=None,
        description="When the key stops verifying (RFC 3339, in the future); never when left out or null.",
        examples=["2030-01-01T00:00:00Z"],
    )


class ApiKeyEntry(BaseModel):
    """A tenant's API key as listed (the core's ``api_key_body``): never its secret; times
    in RFC 3339, UTC, to the millisecond. Documentation only: the body is the core's."""

    id: str = Field(description="The key's id, for `DELETE /admin/api-keys/{key_id}`.")
    prefix: str = Field(description="`tnk_<id>`: how the key begins, naming it without revealing it.")
    name: str
    scopes: list[str] = Field(description="Sorted, without repeats.")
    created_by: str = Field(description="The id of the admin who made it.")
    created_at: str
    expires_at: str | None = Field(description="When it stops verifying; null if never.")
    last_used_at: str | None = Field(description="When it was last used, to the minute; null if never.")


class CreatedApiKey(ApiKeyEntry):
    """`POST /admin/api-keys` answer (the core's ``created_api_key_body``): the key as it
    will be listed, and the key itself, shown this once."""

    key: str = Field(
        description="The key, `tnk_<id>_<secret>`, for `Authorization: Bearer <key>`: only its digest is stored, it cannot be shown again."
    )


class ApiKeyList(BaseModel):
    """`GET /admin/api-keys` answer: the organization's keys that are not revoked (expired
    ones included), oldest first (the core's ``api_keys_body``)."""

    api_keys: list[ApiKeyEntry]


class Revoked(BaseModel):
    """`DELETE /admin/api-keys/{key_id}` answer: whether it was a live key of the
    organization (and `DELETE /admin/invitations/{invitation_id}`'s: whether it was a
    pending invitation of the organization)."""

    revoked: bool


class WhoAmI(BaseModel):
    """`GET /auth/whoami` answer (the core's ``claims_body``): who a credential speaks for.
    Documentation only: the body is the core's."""

    admin_id: str = Field(description="The admin (for an API key: the admin who made it).")
    organization_id: str
    organization_name: str
    api_key_id: str | None = Field(description="The API key's id; null for an access token.")
    scopes: list[str] | None = Field(description="The API key's scopes; null for an access token (which may do all its admin may).")
    role: str | None = Field(description="The member's role, `owner`, `admin` or `member`; null for an API key.")
    expires_at: str = Field(description="When the credential expires (far in the future for an API key that never does).")


def role_field() -> Any:
    """A member's role, as documented."""
    return Field(description="`owner` (everything), `admin` (members and API keys, but no owner) or `member` (the data).", examples=["admin"])


class MemberEntry(BaseModel):
    """A member of the organization (the core's ``member_body``); the time in RFC 3339, UTC,
    to the millisecond. Documentation only: the body is the core's."""

    id: str = Field(description="The member's id (its tokens' `admin_id`), for `/admin/members/{member_id}`.")
    email: str
    role: str = role_field()
    first_admin: bool = Field(description="Whether it is the admin that created the organization (it cannot be removed, only demoted).")
    created_at: str = Field(description="When it joined.")


class MemberList(BaseModel):
    """`GET /admin/members` answer: the first admin, then the others as they joined (the
    core's ``members_body``)."""

    members: list[MemberEntry]


class MemberRole(BaseModel):
    """`PATCH /admin/members/{member_id}` body. Documentation only: the body is read by the
    core (``tenantry.fastapi.member_role``), as every server reads it."""

    role: str = role_field()


class Removed(BaseModel):
    """`DELETE /admin/members/{member_id}` answer: whether the organization had the member."""

    removed: bool


class NewInvitation(BaseModel):
    """`POST /admin/invitations` body. Documentation only: the body is read by the core
    (``tenantry.fastapi.new_invitation``), as every server reads it."""

    email: str = Field(description="The email to invite.", examples=["new.member@acme.com"])
    role: str = Field(description="The role it will have: `owner` (an owner's token only), `admin` or `member`.", examples=["member"])
    expires_at: str | None = Field(
        default=None,
        description="When the invitation stops working (RFC 3339, in the future, at most 30 days away); 7 days when left out or null.",
        examples=["2030-01-01T00:00:00Z"],
    )


class InvitationEntry(BaseModel):
    """A pending invitation as listed (the core's ``invitation_body``): never its token;
    times in RFC 3339, UTC, to the millisecond. Documentation only: the body is the core's."""

    id: str = Field(description="The invitation's id, for `DELETE /admin/invitations/{invitation_id}`.")
    prefix: str = Field(description="`tni_<id>`: how its token begins, naming it without revealing it.")
    email: str
    role: str = role_field()
    invited_by: str = Field(description="The id of the member who invited.")
    created_at: str
    expires_at: str = Field(description="When it stops working.")


class CreatedInvitation(InvitationEntry):
    """`POST /admin/invitations` answer (the core's ``created_invitation_body``): the
    invitation as it will be listed, and its token, shown this once."""

    token: str = Field(
        description="The token, `tni_<id>_<secret>`, for the invitee's `POST /auth/accept-invitation`: only its digest is stored, it cannot be shown again; it works once."
    )


class InvitationList(BaseModel):
    """`GET /admin/invitations` answer: the organization's pending invitations, oldest first
    (the core's ``invitations_body``)."""

    invitations: list[InvitationEntry]


class AcceptInvitation(BaseModel):
    """`POST /auth/accept-invitation` body. Documentation only: the body is read by the core
    (``tenantry.fastapi.accepted_invitation``), as every server reads it."""

    token: str = Field(description="The `token` of `POST /admin/invitations`.")
    password: str = Field(description="The new member's password.", examples=["securepassword123"])


class Message(BaseModel):
    message: str


class Health(BaseModel):
    status: str


class ErrorBody(BaseModel):
    detail: str
    code: str
    field: str | None = None


class FieldError(BaseModel):
    field: str
    message: str
    type: str


class ValidationErrorBody(BaseModel):
    detail: str
    code: str
    message: str
    errors: list[FieldError]
