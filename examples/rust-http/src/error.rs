//! How errors become HTTP responses: one table, from the core's stable codes.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Everything a handler can fail with.
#[derive(Debug)]
pub enum ApiError {
    /// A core error, mapped by its code.
    Core(tenantry::Error),
    /// The request does not match the schema.
    Schema {
        field: String,
        message: String,
        kind: &'static str,
    },
    /// No `Authorization: Bearer` header.
    NotAuthenticated,
    /// The body is over the limit.
    TooLarge,
}

impl From<tenantry::Error> for ApiError {
    fn from(e: tenantry::Error) -> Self {
        ApiError::Core(e)
    }
}

fn validation(field: &str, message: &str, kind: &str) -> Value {
    json!({
        "detail": "Validation error",
        "code": "INVALID_INPUT",
        "message": format!("{field}: {message}"),
        "errors": [{ "field": field, "message": message, "type": kind }],
    })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use tenantry::Error as E;
        let bearer = || [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))];
        let (status, body) = match self {
            ApiError::Schema {
                field,
                message,
                kind,
            } => (StatusCode::BAD_REQUEST, validation(&field, &message, kind)),
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({ "detail": "Request body too large", "code": "INVALID_INPUT" }),
            ),
            ApiError::NotAuthenticated => {
                let body = json!({ "detail": "Not authenticated", "code": "UNAUTHORIZED" });
                return (StatusCode::UNAUTHORIZED, bearer(), Json(body)).into_response();
            }
            ApiError::Core(e) => {
                let code = e.code();
                match &e {
                    E::InvalidInput { field, message } => (
                        StatusCode::BAD_REQUEST,
                        validation(field, message, "value_error"),
                    ),
                    E::AlreadyExists { field, message } => (
                        StatusCode::BAD_REQUEST,
                        json!({ "detail": message, "code": code, "field": field }),
                    ),
                    E::NotFound { .. } => (
                        StatusCode::NOT_FOUND,
                        json!({ "detail": "Organization not found", "code": code }),
                    ),
                    E::InvalidCredentials => (
                        StatusCode::UNAUTHORIZED,
                        json!({ "detail": "Invalid email or password", "code": code }),
                    ),
                    E::Unauthorized { reason } => {
                        tracing::info!(reason, "token refused");
                        let body =
                            json!({ "detail": "Could not validate credentials", "code": code });
                        return (StatusCode::UNAUTHORIZED, bearer(), Json(body)).into_response();
                    }
                    E::Forbidden { .. } => (
                        StatusCode::FORBIDDEN,
                        json!({ "detail": "Not authorized to act on this organization", "code": code }),
                    ),
                    E::Conflict { message } => (
                        StatusCode::CONFLICT,
                        json!({ "detail": message, "code": code }),
                    ),
                    E::TooManyAttempts { retry_after_secs } => {
                        let body = json!({ "detail": e.to_string(), "code": code });
                        let retry = [(header::RETRY_AFTER, retry_after_secs.to_string())];
                        return (StatusCode::TOO_MANY_REQUESTS, retry, Json(body)).into_response();
                    }
                    E::Database(cause) => {
                        tracing::error!(error = %e, cause = %cause, "database error");
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            json!({ "detail": "Database unavailable", "code": code }),
                        )
                    }
                    _ => {
                        tracing::error!(error = %e, "internal error");
                        (
                            StatusCode::INTERNAL_SERVER_ERROR,
                            json!({ "detail": "Internal server error", "code": code }),
                        )
                    }
                }
            }
        };
        (status, Json(body)).into_response()
    }
}
