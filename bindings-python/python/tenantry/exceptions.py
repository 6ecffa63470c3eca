"""The exceptions tenantry raises.

Every error is a :class:`TenantryError` whose ``code`` is the core's stable code string;
catch a subclass for one kind, or the base and branch on ``err.code``:

=========================  =========================
class                      ``code``
=========================  =========================
``TenantNotFound``         ``TENANT_NOT_FOUND``
``TenantAlreadyExists``    ``TENANT_ALREADY_EXISTS`` (``.field``)
``InvalidInput``           ``INVALID_INPUT`` (``.field``)
``InvalidCredentials``     ``INVALID_CREDENTIALS``
``Unauthorized``           ``UNAUTHORIZED``
``Forbidden``              ``FORBIDDEN``
``Conflict``               ``CONFLICT``
``TooManyAttempts``        ``TOO_MANY_ATTEMPTS`` (``.retry_after``)
``ConfigError``            ``CONFIG``
``DatabaseError``          ``DATABASE``
``InternalError``          ``INTERNAL``
=========================  =========================
"""

from tenantry._native import (
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
