//! Request extractors whose failures speak the contract: JSON bodies with field-level
//! validation errors, the `organization_name` query parameter, and the Bearer token.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::{header, request::Parts, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::ApiError;

/// A JSON body, deserialized with the path of the offending field on failure.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                schema("body", rejection.body_text(), "json_invalid")
            }
        })?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
            let path = err.path().to_string();
            rejection(&path, err.into_inner())
        })?;
        // Trailing bytes after the JSON value.
        de.end().map_err(|e| rejection("body", e))?;
        Ok(JsonBody(value))
    }
}

fn rejection(path: &str, err: serde_json::Error) -> ApiError {
    let message = without_position(&err.to_string());
    match err.classify() {
        serde_json::error::Category::Data => match missing_field(&message) {
            Some(field) => schema(field, "field required".into(), "missing"),
            None => schema(path, message, "type_error"),
        },
        _ => schema("body", message, "json_invalid"),
    }
}

fn schema(field: &str, message: String, kind: &'static str) -> ApiError {
    ApiError::Schema {
        field: field.to_owned(),
        message,
        kind,
    }
}

/// serde_json appends " at line L column C"; the field name says more.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}

#[derive(Deserialize)]
struct NameQuery {
    organization_name: Option<String>,
}

/// The required `organization_name` query parameter.
pub struct OrgNameParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for OrgNameParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = Query::<NameQuery>::try_from_uri(&parts.uri)
            .map_err(|e| schema("organization_name", e.body_text(), "type_error"))?;
        query
            .0
            .organization_name
            .map(OrgNameParam)
            .ok_or_else(|| schema("organization_name", "field required".into(), "missing"))
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
            .ok_or(ApiError::NotAuthenticated)?;
        match value.trim().split_once(' ') {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                Ok(Bearer(token.trim().to_owned()))
            }
            _ => Err(ApiError::NotAuthenticated),
        }
    }
}
