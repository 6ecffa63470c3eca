"""tenantry: multi-tenancy over MongoDB, asyncio-native.

One collection per tenant, journaled create/rename/delete, bcrypt + JWT admin auth. The
work happens in the Rust core; this package is its thin binding::

    manager = await TenantManager.connect(mongo_uri=..., jwt_secret=...)
    tenant = await manager.create_tenant("Acme", "admin@acme.example", "s3cret-pass")

See ``examples/quickstart.py`` and the README.
"""

from tenantry._native import (
    AccessToken,
    Claims,
    RecoveryFailure,
    RecoveryReport,
    Tenant,
    TenantManager,
    __version__,
)
from tenantry.exceptions import (
    Conflict,
    ConfigError,
    DatabaseError,
    Forbidden,
    InternalError,
    InvalidCredentials,
    InvalidInput,
    TenantAlreadyExists,
    TenantNotFound,
    TenantryError,
    TooManyAttempts,
    Unauthorized,
)

__all__ = [
    "__version__",
    "TenantManager",
    "Tenant",
    "Claims",
    "AccessToken",
    "RecoveryFailure",
    "RecoveryReport",
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
]
