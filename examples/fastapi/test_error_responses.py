"""The contract's status, body and headers for every core error code, including the kinds
a black-box test cannot provoke (TOO_MANY_ATTEMPTS, DATABASE, INTERNAL). No server needed:
the binding's sample errors go through the app's one mapping."""

from __future__ import annotations

import json

import pytest

from errors import core_error_response
from tenantry import TenantryError
from tenantry._native import _raise_sample_error

EXPECTED = {
    "TENANT_NOT_FOUND": (404, "Organization not found"),
    "TENANT_ALREADY_EXISTS": (400, "email is already registered"),
    "INVALID_INPUT": (400, "Validation error"),
    "INVALID_CREDENTIALS": (401, "Invalid email or password"),
    "UNAUTHORIZED": (401, "Could not validate credentials"),
    "FORBIDDEN": (403, "Not authorized to act on this organization"),
    "CONFLICT": (409, "another operation on this organization is in progress; retry shortly"),
    "TOO_MANY_ATTEMPTS": (429, "too many failed login attempts; retry in 42 s"),
    "DATABASE": (503, "Database unavailable"),
    "CONFIG": (500, "Internal server error"),
    "INTERNAL": (500, "Internal server error"),
}


def sample(code: str) -> TenantryError:
    with pytest.raises(TenantryError) as caught:
        _raise_sample_error(code)
    return caught.value


@pytest.mark.parametrize(("code", "status", "detail"), [(c, *v) for c, v in EXPECTED.items()])
def test_core_error_response(code: str, status: int, detail: str) -> None:
    response = core_error_response(sample(code))
    body = json.loads(bytes(response.body))
    assert response.status_code == status
    assert (body["detail"], body["code"]) == (detail, code)


def test_extra_fields_and_headers() -> None:
    invalid = json.loads(bytes(core_error_response(sample("INVALID_INPUT")).body))
    assert invalid["message"] == "password: is too short"
    assert invalid["errors"] == [{"field": "password", "message": "is too short", "type": "value_error"}]
    taken = json.loads(bytes(core_error_response(sample("TENANT_ALREADY_EXISTS")).body))
    assert taken["field"] == "email"
    assert core_error_response(sample("UNAUTHORIZED")).headers["www-authenticate"] == "Bearer"
    assert core_error_response(sample("TOO_MANY_ATTEMPTS")).headers["retry-after"] == "42"
    assert "www-authenticate" not in core_error_response(sample("INVALID_CREDENTIALS")).headers
