"""Request and response bodies of the HTTP contract (tests/contract/CONTRACT.md) and of
its extensions (a layout and a cluster at create, the operator's move).

Requests declare types only: a field that is not a string is refused here, everything
else about its value (names, emails, passwords, layouts, clusters) is the core's to judge.
"""

from __future__ import annotations

from datetime import datetime

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


class Login(BaseModel):
    email: str
    password: str


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
