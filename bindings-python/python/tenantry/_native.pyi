"""Type stubs of the compiled extension ``tenantry._native`` (the Rust core's binding).

Async methods return an ``asyncio.Future`` (await it, pass it to ``asyncio.gather`` or
``asyncio.wait_for``; it is not a coroutine, so ``asyncio.create_task`` does not take it:
use ``asyncio.ensure_future``). The work runs on the extension's own tokio runtime, off
the event loop and without the GIL.
"""

import asyncio
from datetime import datetime
from typing import final

__all__ = [
    "__version__",
    "TenantManager",
    "Tenant",
    "Claims",
    "AccessToken",
    "RecoveryReport",
    "RecoveryFailure",
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
    "DatabaseError",
    "InternalError",
    "_error_codes",
    "_raise_sample_error",
    "_sample_panic",
]

__version__: str

@final
class Tenant:
    """A tenant (organization). Immutable; compares equal field by field."""

    @property
    def id(self) -> str:
        """Stable id of the tenant record (24 hex digits)."""
    @property
    def name(self) -> str:
        """The organization's name as given at creation or last rename."""
    @property
    def collection_name(self) -> str:
        """The tenant's own collection, ``org_<slug>``."""
    @property
    def database(self) -> str:
        """The database holding the collection (the master database)."""
    @property
    def namespace(self) -> str:
        """``database.collection_name``."""
    @property
    def admin_email(self) -> str:
        """The admin's email."""
    @property
    def admin_id(self) -> str:
        """The admin's stable id (24 hex digits)."""
    @property
    def created_at(self) -> datetime:
        """When the tenant was created (aware, UTC)."""
    @property
    def updated_at(self) -> datetime:
        """When the tenant was last changed (aware, UTC)."""

@final
class Claims:
    """What a checked token says. Only ``verify_token``/``decode_token`` make one; it is
    the credential ``update_tenant``, ``rename_tenant`` and ``delete_tenant`` take."""

    @property
    def admin_id(self) -> str:
        """The admin's id (stable across email changes)."""
    @property
    def organization_id(self) -> str:
        """The tenant's id (stable across renames)."""
    @property
    def organization_name(self) -> str:
        """The tenant's name: current after ``verify_token``, as issued after ``decode_token``."""
    @property
    def token_version(self) -> int:
        """The admin's token version at issue; a password change bumps it."""
    @property
    def issued_at(self) -> datetime:
        """When the token was issued (aware, UTC)."""
    @property
    def expires_at(self) -> datetime:
        """When the token expires (aware, UTC)."""

@final
class AccessToken:
    """A freshly issued access token; ``repr`` never shows the token itself."""

    @property
    def access_token(self) -> str:
        """The JWT, to send as ``Authorization: Bearer <token>``."""
    @property
    def token_type(self) -> str:
        """Always ``"bearer"``."""
    @property
    def admin_id(self) -> str: ...
    @property
    def organization_id(self) -> str: ...
    @property
    def organization_name(self) -> str: ...
    @property
    def expires_at(self) -> datetime:
        """When the token expires (aware, UTC)."""

@final
class RecoveryReport:
    """What ``recover()`` found and did."""

    @property
    def completed(self) -> int:
        """Interrupted operations carried to their end."""
    @property
    def rolled_back(self) -> int:
        """Interrupted operations undone."""
    @property
    def adopted(self) -> int:
        """Records of the original service given their normalized keys."""
    @property
    def not_adopted(self) -> list[str]:
        """Records that could not be adopted, with the reason."""
    @property
    def swept_keys(self) -> int:
        """Keys no tenant or admin refers to any more, removed."""
    @property
    def swept_tombstones(self) -> int:
        """Tombstones older than the retention, dropped."""
    @property
    def orphan_collections(self) -> list[str]:
        """``org_*`` collections no tenant claims (never dropped automatically)."""
    @property
    def failed(self) -> list[RecoveryFailure]:
        """Tenants that could not be recovered; the others were recovered all the same."""

@final
class RecoveryFailure:
    """One tenant ``recover()`` could not fix."""

    @property
    def tenant_id(self) -> str | None:
        """The tenant's id (None for a failed sweep)."""
    @property
    def name(self) -> str:
        """The tenant's name, or what failed."""
    @property
    def code(self) -> str:
        """The stable code of the error."""
    @property
    def message(self) -> str:
        """The error's message."""

@final
class TenantManager:
    """Creates, finds, updates, renames and deletes tenants, and authenticates their admins.

    Share one per process; it holds the MongoDB connection pool.
    """

    @staticmethod
    def connect(
        *,
        mongo_uri: str,
        jwt_secret: str,
        master_db: str | None = None,
        jwt_algorithm: str | None = None,
        jwt_expire_minutes: int | None = None,
        bcrypt_cost: int | None = None,
        jwt_issuer: str | None = None,
        jwt_audience: str | None = None,
        jwt_leeway_seconds: int | None = None,
        min_password_chars: int | None = None,
        operation_lease_seconds: int | None = None,
        login_max_failures: int | None = None,
        login_window_seconds: int | None = None,
        login_lockout_seconds: int | None = None,
    ) -> asyncio.Future[TenantManager]:
        """Connect and prepare the master database (indexes, adoption of seed records).

        An argument left at ``None`` takes the core's default: ``master_db="master_db"``,
        ``jwt_algorithm="HS256"`` (or HS384, HS512), ``jwt_expire_minutes=1440``,
        ``bcrypt_cost=12``, no issuer or audience, ``jwt_leeway_seconds=30``,
        ``min_password_chars=8``, ``operation_lease_seconds=30``; the login throttle locks
        an email (or a ``client``) for ``login_lockout_seconds=300`` after
        ``login_max_failures=10`` failures within ``login_window_seconds=900``, and
        ``login_max_failures=0`` turns it off. The core validates the whole configuration:
        a bad value raises ``ConfigError`` when awaited.
        """
    @staticmethod
    def from_env() -> asyncio.Future[TenantManager]:
        """Connect with the environment's settings: ``MONGO_URI`` (or ``MONGODB_URI``),
        ``MASTER_DB``, ``JWT_SECRET`` (required), ``JWT_ALGO``, ``JWT_EXPIRE_MINUTES``,
        ``BCRYPT_COST``, ``LOGIN_MAX_FAILURES``, ``JWT_ISSUER``, ``JWT_AUDIENCE``."""
    @property
    def master_db(self) -> str: ...
    @property
    def jwt_algorithm(self) -> str: ...
    @property
    def jwt_expire_minutes(self) -> int: ...
    @property
    def bcrypt_cost(self) -> int: ...
    @property
    def login_max_failures(self) -> int:
        """Failed logins that lock an email (or client); 0 when the throttle is off."""
    def create_tenant(self, name: str, email: str, password: str) -> asyncio.Future[Tenant]:
        """Create a tenant, its admin and its collection, all or nothing.

        Raises ``InvalidInput`` (``.field``) or ``TenantAlreadyExists`` (``.field`` is
        ``"organization_name"`` or ``"email"``)."""
    def get_tenant(self, name: str) -> asyncio.Future[Tenant]:
        """Find a tenant by name (any spelling with the same normalized key).

        Raises ``TenantNotFound`` or ``InvalidInput``."""
    def update_tenant(
        self,
        claims: Claims,
        name: str,
        *,
        email: str | None = None,
        password: str | None = None,
        new_name: str | None = None,
    ) -> asyncio.Future[Tenant]:
        """Change the acting admin's email and/or password, and/or rename the tenant
        (its collection moves with all its data). A password different from the current
        one revokes earlier tokens.

        Raises ``Forbidden`` (claims of another tenant), ``Unauthorized`` (revoked
        claims), ``TenantAlreadyExists``, ``InvalidInput``, ``Conflict``."""
    def rename_tenant(self, claims: Claims, name: str, new_name: str) -> asyncio.Future[Tenant]:
        """Shorthand for ``update_tenant(claims, name, new_name=new_name)``."""
    def delete_tenant(self, claims: Claims, name: str) -> asyncio.Future[None]:
        """Delete the tenant: its collection, its admins and its record."""
    def authenticate(
        self, email: str, password: str, *, client: str | None = None
    ) -> asyncio.Future[AccessToken]:
        """Log an admin in. Raises ``InvalidCredentials`` for an unknown email or a wrong
        password alike (same bcrypt work, same error), and ``TooManyAttempts`` while the
        email, or ``client`` (an IP address or any key the application trusts), is locked
        after repeated failures."""
    def verify_token(self, token: str) -> asyncio.Future[Claims]:
        """Check signature, algorithm, expiry and revocation. Raises ``Unauthorized``."""
    def decode_token(self, token: str) -> Claims:
        """Check signature, algorithm and expiry only (no database: a revoked token
        passes). Raises ``Unauthorized``."""
    def client_address(self, peer: str, forwarded_for: str | None = None) -> str:
        """The client a request comes from, for ``authenticate(client=...)``: ``peer``, or
        the address ``forwarded_for`` (an ``X-Forwarded-For`` header) gives when ``peer``
        is one of ``TRUSTED_PROXIES``. Raises ``ValueError`` for a ``peer`` that is not an
        IP address."""
    def ping(self) -> asyncio.Future[None]:
        """Whether the database answers; raises ``DatabaseError`` if not."""
    def recover(self) -> asyncio.Future[RecoveryReport]:
        """Finish or undo interrupted lifecycle operations whose lease ran out; a tenant
        that cannot be fixed is listed in ``failed``, the others are recovered."""
    def tenant_collection_name(self, claims: Claims) -> asyncio.Future[str]:
        """The claims' tenant's own collection name (in ``master_db``), for use with the
        application's own MongoDB driver."""
    def tenant_namespace(self, claims: Claims) -> asyncio.Future[str]:
        """``database.collection`` of the claims' tenant's own collection."""

class TenantryError(Exception):
    """Base class of every tenantry error."""

    code: str
    """The core's stable code, e.g. ``"TENANT_NOT_FOUND"``."""

class TenantNotFound(TenantryError): ...

class TenantAlreadyExists(TenantryError):
    field: str
    """The input whose value is taken: ``"organization_name"`` or ``"email"``."""
    message: str
    """The explanation (also ``str(err)``)."""

class InvalidInput(TenantryError):
    field: str
    """The rejected input field."""
    message: str
    """Why it was rejected, without the field name (``str(err)`` has both)."""

class InvalidCredentials(TenantryError): ...

class Unauthorized(TenantryError): ...

class Forbidden(TenantryError): ...

class Conflict(TenantryError): ...

class TooManyAttempts(TenantryError):
    retry_after: int
    """Seconds until logins for the account are accepted again."""

class ConfigError(TenantryError): ...

class DatabaseError(TenantryError): ...

class InternalError(TenantryError): ...

def _error_codes() -> list[str]:
    """Testing aid: every code the core can give an error."""

def _raise_sample_error(code: str) -> None:
    """Testing aid: raise what the binding makes of a sample core error with ``code``."""

def _sample_panic() -> asyncio.Future[None]:
    """Testing aid: a future whose Rust side panics (it raises ``InternalError``)."""
