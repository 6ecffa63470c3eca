"""The exceptions tenantry raises.

Every error is a :class:`TenantryError` carrying the core's details: ``code`` (stable),
``field`` (the input it is about, or None), ``reason`` (the explanation alone) and
``retry_after`` (seconds, for ``TooManyAttempts``). Each kind also subclasses the builtin
it is a case of, so code that knows nothing of tenantry still catches it rightly:

=========================  =========================  ====================
class                      ``code``                   also a
=========================  =========================  ====================
``TenantNotFound``         ``TENANT_NOT_FOUND``       ``LookupError``
``TenantAlreadyExists``    ``TENANT_ALREADY_EXISTS``  ``ValueError``
``InvalidInput``           ``INVALID_INPUT``          ``ValueError``
``InvalidCredentials``     ``INVALID_CREDENTIALS``    ``PermissionError``
``Unauthorized``           ``UNAUTHORIZED``           ``PermissionError``
``Forbidden``              ``FORBIDDEN``              ``PermissionError``
``Conflict``               ``CONFLICT``               ``RuntimeError``
``TooManyAttempts``        ``TOO_MANY_ATTEMPTS``      ``PermissionError``
``ConfigError``            ``CONFIG``                 ``ValueError``
``ManagerClosed``          ``CLOSED``                 ``RuntimeError``
``DatabaseError``          ``DATABASE``               ``ConnectionError``
``InternalError``          ``INTERNAL``               ``RuntimeError``
``TenantSuspended``        ``TENANT_SUSPENDED``       ``PermissionError``
``LastOwner``              ``LAST_OWNER``             ``ValueError``
=========================  =========================  ====================

``BY_CODE`` maps each code to its class; the extension raises through it.
"""

from __future__ import annotations

from typing import ClassVar


class TenantryError(Exception):
    """Base class of every tenantry error."""

    #: The stable code of the kind (the class attribute) or of this error.
    code: ClassVar[str] = ""
    #: The input the error is about (``name``, ``new_name``, ``email``, ``password``...).
    field: str | None = None
    #: The explanation alone, without the field or the kind in front.
    reason: str | None = None
    #: Seconds to wait before trying again (``TooManyAttempts``).
    retry_after: int | None = None


class TenantNotFound(TenantryError, LookupError):
    """No tenant has that name."""

    code = "TENANT_NOT_FOUND"


class TenantAlreadyExists(TenantryError, ValueError):
    """The name (normalized) or the email is taken; see ``field``."""

    code = "TENANT_ALREADY_EXISTS"


class InvalidInput(TenantryError, ValueError):
    """The input was refused before anything was written; see ``field``."""

    code = "INVALID_INPUT"
    #: Every problem of a request read by an HTTP helper (``_http_tenant_query``), as
    #: (field, message, kind), the first one being ``field`` and ``reason``; None otherwise.
    problems: list[tuple[str, str, str]] | None = None


class InvalidCredentials(TenantryError, PermissionError):
    """Unknown email or wrong password (deliberately indistinguishable)."""

    code = "INVALID_CREDENTIALS"


class Unauthorized(TenantryError, PermissionError):
    """The token is malformed, expired, revoked or signed with another key."""

    code = "UNAUTHORIZED"


class Forbidden(TenantryError, PermissionError):
    """The claims are not the named tenant's."""

    code = "FORBIDDEN"


class Conflict(TenantryError, RuntimeError):
    """Another operation on the tenant is in progress, or this one was taken over; retry."""

    code = "CONFLICT"


class TooManyAttempts(TenantryError, PermissionError):
    """Too many failed logins; retry after ``retry_after`` seconds."""

    code = "TOO_MANY_ATTEMPTS"


class ConfigError(TenantryError, ValueError):
    """The configuration is unusable (bad URI, weak secret, unknown setting...)."""

    code = "CONFIG"


class ManagerClosed(TenantryError, RuntimeError):
    """The manager was closed."""

    code = "CLOSED"


class DatabaseError(TenantryError, ConnectionError):
    """MongoDB failed or could not be reached."""

    code = "DATABASE"


class InternalError(TenantryError, RuntimeError):
    """An invariant of the library broke (a bug, or a corrupted document)."""

    code = "INTERNAL"


class TenantSuspended(TenantryError, PermissionError):
    """The tenant is suspended (``suspend_tenant``): its admins' logins, the tokens issued
    before and the scopes opened with them are refused until ``resume_tenant``; its data
    is untouched."""

    code = "TENANT_SUSPENDED"


class LastOwner(TenantryError, ValueError):
    """The change would leave the tenant without an owner: its last owner cannot be
    removed or demoted (promote another member first). Of two owners demoting each other
    at once, one is refused with it. A ``ValueError`` as ``TenantAlreadyExists`` is: the
    request is refused for what the tenant holds, and retrying it changes nothing."""

    code = "LAST_OWNER"


#: Each stable code's class.
BY_CODE: dict[str, type[TenantryError]] = {
    cls.code: cls
    for cls in (
        TenantNotFound,
        TenantAlreadyExists,
        InvalidInput,
        InvalidCredentials,
        Unauthorized,
        Forbidden,
        Conflict,
        TooManyAttempts,
        ConfigError,
        ManagerClosed,
        DatabaseError,
        InternalError,
        TenantSuspended,
        LastOwner,
    )
}

__all__ = ["TenantryError", "BY_CODE", *(cls.__name__ for cls in BY_CODE.values())]
