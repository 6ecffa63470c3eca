"""tenantry: multi-tenancy over MongoDB, asyncio-native.

Journaled create/rename/delete of tenants with their own data, bcrypt + JWT admin auth.
The work happens in the Rust core; this package is its thin binding::

    async with await TenantManager.connect(mongo_uri=..., jwt_secret=...) as manager:
        tenant = await manager.create_tenant("Acme", "admin@acme.example", "s3cret-pass")

A tenant's data is in its own collection, its own database or, stamped, in collections
shared with other tenants (its ``layout``); ``manager.collection(claims, client)`` gives
it on the application's own driver, a :class:`ConfinedCollection` in the shared layout;
``await manager.move_tenant(name, layout=..., cluster=...)`` moves it there online.
With ``deleted_retention_seconds`` set, deletes are soft (``restore_tenant``,
``purge_tenant``); ``list_tenants`` pages through the tenants, ``count_tenants`` counts them.
``suspend_tenant`` refuses a tenant's logins and tokens (``TenantSuspended``) until
``resume_tenant``, its data untouched. ``login_session`` opens a session (a short access
token and a refresh token that ``refresh_session`` rotates); ``sessions``,
``end_session`` and ``end_all_sessions`` list and end an admin's sessions. Tokens carry
a ``kid``; with ``jwt_algorithm="EdDSA"`` they are signed by rotating Ed25519 keys,
published by ``jwks()`` (``signing_keys``, ``rotate_signing_key``). ``create_api_key``
makes a tenant's API key for machine clients (``tnk_...``, shown once, with scopes and an
optional expiry; ``api_keys``, ``revoke_api_key``): ``verify_api_key`` (or
``verify_credential``, for a token or a key) gives claims that reach the tenant's data and
carry the key's scopes (``claims.has_scope``), never managing the tenant.
A tenant has members with roles (``owner``, ``admin``, ``member``; ``claims.role``):
``invite_member`` makes a single-use invitation (``tni_...``) that ``accept_invitation``
turns into a member; ``members``, ``set_member_role``, ``remove_member``, ``invitations``
and ``revoke_invitation`` manage them (its last owner is never removed or demoted:
``LastOwner``), and ``authenticate(..., organization_name=...)`` logs an email that is a
member of several tenants into one.
Every event of a tenant goes to its hash-chained audit log (``audit_log``,
``verify_audit``); ``export_tenant`` writes a tenant as one archive, ``import_tenant``
brings it back, here or on another deployment. ``set_schema`` declares the indexes and
migrations every tenant's data follows (declarative ones, or Python functions of a
:class:`MigrationTenant`), ``await manager.migrate()`` applies them to every tenant.

``tenantry.fastapi`` holds the FastAPI glue. See ``examples/quickstart.py`` and the README.
"""

from tenantry._native import (
    DEFAULT_COLLECTION,
    HOME_CLUSTER,
    AccessToken,
    ApiKey,
    ApiKeyInfo,
    ArchiveManifest,
    AuditEntry,
    AuditPage,
    AuditVerification,
    Claims,
    Confinement,
    Invitation,
    InvitationInfo,
    Location,
    Member,
    MigrateReport,
    MigrationFailure,
    MigrationTenant,
    MoveProgress,
    MoveProgressIterator,
    RecoveryFailure,
    RecoveryReport,
    Session,
    SessionInfo,
    SigningKeyInfo,
    Tenant,
    TenantManager,
    TenantPage,
    __version__,
)
from tenantry._confined import ConfinedCollection
from tenantry.settings import Settings
from tenantry.exceptions import (
    BY_CODE,
    Conflict,
    ConfigError,
    DatabaseError,
    Forbidden,
    InternalError,
    InvalidCredentials,
    InvalidInput,
    LastOwner,
    ManagerClosed,
    TenantAlreadyExists,
    TenantNotFound,
    TenantryError,
    TenantSuspended,
    TooManyAttempts,
    Unauthorized,
)

__all__ = [
    "__version__",
    "TenantManager",
    "Settings",
    "Tenant",
    "TenantPage",
    "Claims",
    "AccessToken",
    "Session",
    "SessionInfo",
    "SigningKeyInfo",
    "ApiKey",
    "ApiKeyInfo",
    "Member",
    "Invitation",
    "InvitationInfo",
    "RecoveryFailure",
    "RecoveryReport",
    "MoveProgress",
    "MoveProgressIterator",
    "MigrateReport",
    "MigrationFailure",
    "MigrationTenant",
    "AuditEntry",
    "AuditPage",
    "AuditVerification",
    "ArchiveManifest",
    "Location",
    "Confinement",
    "ConfinedCollection",
    "DEFAULT_COLLECTION",
    "HOME_CLUSTER",
    "BY_CODE",
    "TenantryError",
    "TenantNotFound",
    "TenantAlreadyExists",
    "InvalidInput",
    "InvalidCredentials",
    "Unauthorized",
    "Forbidden",
    "Conflict",
    "TooManyAttempts",
    "ConfigError",
    "ManagerClosed",
    "DatabaseError",
    "InternalError",
    "TenantSuspended",
    "LastOwner",
]
