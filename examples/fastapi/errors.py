"""Errors to the contract's responses: the core's stable codes, request validation, and
HTTP-level errors (unknown route, missing token). Every error body has `detail` and `code`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from tenantry import (
    Conflict,
    DatabaseError,
    Forbidden,
    InvalidCredentials,
    InvalidInput,
    TenantAlreadyExists,
    TenantNotFound,
    TenantryError,
    TooManyAttempts,
    Unauthorized,
)

log = logging.getLogger("tenantry.http")

#: Status and fixed `detail` per core error class; `None` shows the core's own message.
CORE_ERRORS: dict[type[TenantryError], tuple[int, str | None]] = {
    TenantAlreadyExists: (400, None),
    TenantNotFound: (404, "Organization not found"),
    InvalidCredentials: (401, "Invalid email or password"),
    Unauthorized: (401, "Could not validate credentials"),
    Forbidden: (403, "Not authorized to act on this organization"),
    Conflict: (409, None),
    TooManyAttempts: (429, None),
    DatabaseError: (503, "Database unavailable"),
}

#: Codes of errors raised by the HTTP layer itself, not by the core.
HTTP_CODES = {401: "UNAUTHORIZED", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}

#: Where a request part ends up in a validation error's `loc`, before the field name.
LOCATIONS = {"body", "query", "path", "header", "cookie"}


def validation_response(errors: Sequence[tuple[str, str, str]]) -> JSONResponse:
    """400 in the contract's validation shape, from (field, message, type) triples."""
    field, message, _ = errors[0]
    return JSONResponse(
        {
            "detail": "Validation error",
            "code": "INVALID_INPUT",
            "message": f"{field}: {message}",
            "errors": [{"field": f, "message": m, "type": t} for f, m, t in errors],
        },
        status_code=400,
    )


def error_type(pydantic_type: str) -> str:
    """The contract's error `type` for a pydantic error type."""
    if pydantic_type in ("json_invalid", "missing"):
        return pydantic_type
    if pydantic_type.endswith("_type"):  # string_type, model_type, dict_type...
        return "type_error"
    return "value_error"


def field_of(loc: Sequence[Any]) -> str:
    names = [part for part in loc if isinstance(part, str) and part not in LOCATIONS]
    return names[0] if names else "body"


def request_validation_response(errors: Sequence[Any]) -> JSONResponse:
    return validation_response(
        [(field_of(e["loc"]), str(e["msg"]), error_type(str(e["type"]))) for e in errors]
    )


def core_error_response(err: TenantryError) -> JSONResponse:
    if isinstance(err, InvalidInput):
        return validation_response([(err.field, err.message, "value_error")])
    status, detail = CORE_ERRORS.get(type(err), (500, "Internal server error"))
    body: dict[str, Any] = {"detail": detail or str(err), "code": err.code}
    headers: dict[str, str] = {}
    if isinstance(err, TenantAlreadyExists):
        body["field"] = err.field
    elif isinstance(err, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    elif isinstance(err, TooManyAttempts):
        headers["Retry-After"] = str(err.retry_after)
    if status >= 500:
        # The client gets a fixed message; the cause goes to the log only.
        log.error("core error", extra={"fields": {"code": err.code, "error": str(err)}})
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the contract's shape."""

    @app.exception_handler(TenantryError)
    async def on_core_error(request: Request, exc: TenantryError) -> JSONResponse:
        return core_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return request_validation_response(exc.errors())

    @app.exception_handler(HTTPException)
    async def on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
        default = "INVALID_INPUT" if exc.status_code < 500 else "INTERNAL"
        return JSONResponse(
            {"detail": exc.detail, "code": HTTP_CODES.get(exc.status_code, default)},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(Exception)
    async def on_bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"fields": {"path": request.url.path}})
        return JSONResponse({"detail": "Internal server error", "code": "INTERNAL"}, status_code=500)
