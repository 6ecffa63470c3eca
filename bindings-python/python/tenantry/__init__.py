"""tenantry: multi-tenancy over MongoDB, asyncio-native.

Journaled create/rename/delete of tenants with their own data, bcrypt + JWT admin auth.
The work happens in the Rust core; this package is its thin binding::

    async with await TenantManager.connect(mongo_uri=..., jwt_secret=...) as manager:
        tenant = await manager.create_tenant("Acme", "admin@acme.example", "s3cret-pass")

``tenantry.fastapi`` holds the FastAPI glue. See ``examples/quickstart.py`` and the README.
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
    ManagerClosed,
    TenantAlreadyExists,
    TenantNotFound,
    TenantryError,
    TooManyAttempts,
    Unauthorized,
)

__all__ = [
    "__version__",
    "TenantManager",
    "Settings",
    "Tenant",
    "Claims",
    "AccessToken",
    "RecoveryFailure",
    "RecoveryReport",
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
]
