//! Request extractors whose failures speak the contract. What a body or a query must hold is
//! checked by the core (`tenantry::http::json_object`, `query_param`), as the FastAPI and
//! Express servers have it checked, so all three refuse the same requests alike.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, StatusCode};
use serde::de::DeserializeOwned;
use tenantry::http::Problem;
use tenantry::TenantManager;

use crate::error::ApiError;

/// A request body of string fields.
pub trait Schema: DeserializeOwned {
    /// Its fields, `(name, optional)`, in the order problems are reported.
    const FIELDS: &'static [(&'static str, bool)];
}

/// A JSON body checked against `T`'s schema.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: Schema> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::Http("PAYLOAD_TOO_LARGE")
            } else {
                problem("body", rejection.body_text(), "json_invalid")
            }
        })?;
        let object = tenantry::http::json_object(&bytes, T::FIELDS).map_err(ApiError::Schema)?;
        // The core checked every field: only string fields remain to be read.
        serde_json::from_value(object.into())
            .map(JsonBody)
            .map_err(|e| problem("body", e.to_string(), "type_error"))
    }
}

fn problem(field: &str, message: String, kind: &'static str) -> ApiError {
    ApiError::Schema(vec![Problem::new(field, message, kind)])
}

/// The required `organization_name` query parameter, given exactly once.
pub struct OrgNameParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for OrgNameParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        tenantry::http::query_param(query, "organization_name")
            .map(OrgNameParam)
            .map_err(|p| ApiError::Schema(vec![p]))
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub struct Bearer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Http("NOT_AUTHENTICATED"))?;
        match value.trim().split_once(' ') {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                Ok(Bearer(token.trim().to_owned()))
            }
            _ => Err(ApiError::Http("NOT_AUTHENTICATED")),
        }
    }
}

/// The client a login comes from, for its throttle: the connection's address, or
/// `X-Forwarded-For`'s when the connection is a trusted proxy's
/// (`TenantManager::client_address`).
pub struct ClientAddress(pub String);

impl FromRequestParts<TenantManager> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, m: &TenantManager) -> Result<Self, ApiError> {
        let ConnectInfo(peer) = ConnectInfo::<SocketAddr>::from_request_parts(parts, m)
            .await
            .map_err(|e| tenantry::Error::Internal(e.to_string()))?;
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        Ok(ClientAddress(
            m.client_address(peer.ip(), forwarded).to_string(),
        ))
    }
}

/// The listing query of `GET /admin/tenants` (and its count), parsed by the core.
pub struct TenantQueryParams(pub tenantry::TenantQuery);

impl<S: Send + Sync> FromRequestParts<S> for TenantQueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        tenantry::http::tenant_query(query)
            .map(TenantQueryParams)
            .map_err(ApiError::Schema)
    }
}

/// The tenant and query of `GET /admin/audit`, parsed by the core.
pub struct AuditParams(
    pub tenantry::mongodb::bson::oid::ObjectId,
    pub tenantry::AuditQuery,
);

impl<S: Send + Sync> FromRequestParts<S> for AuditParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        tenantry::http::audit_query(query)
            .map(|(id, q)| AuditParams(id, q))
            .map_err(ApiError::Schema)
    }
}

/// The organization id of `GET /admin/audit/verify`.
pub struct AuditTenant(pub tenantry::mongodb::bson::oid::ObjectId);

impl<S: Send + Sync> FromRequestParts<S> for AuditTenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        tenantry::http::audit_tenant(query)
            .map(AuditTenant)
            .map_err(ApiError::Schema)
    }
}

/// The options of `POST /admin/import`, from its query string.
pub struct ImportParams(pub tenantry::ImportOptions);

impl<S: Send + Sync> FromRequestParts<S> for ImportParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        tenantry::http::import_options(query)
            .map(ImportParams)
            .map_err(ApiError::Schema)
    }
}

/// The options of `POST /admin/migrate`, from its query string (parsed by the core).
pub struct MigrateParams(pub tenantry::MigrateOptions);

impl<S: Send + Sync> FromRequestParts<S> for MigrateParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        tenantry::http::migrate_options(query)
            .map(MigrateParams)
            .map_err(ApiError::Schema)
    }
}

/// A request body of raw bytes (an archive), within the server's body limit.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::Http("PAYLOAD_TOO_LARGE")
                } else {
                    problem("body", rejection.body_text(), "json_invalid")
                }
            })
    }
}
