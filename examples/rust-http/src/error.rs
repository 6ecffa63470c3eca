//! How errors become HTTP responses: the core's table (`tenantry::http`), shared with the
//! FastAPI and Express servers, for the core's errors and the server's own.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Everything a handler can fail with.
#[derive(Debug)]
pub enum ApiError {
    /// A core error.
    Core(tenantry::Error),
    /// The request does not match the schema.
    Schema(Vec<tenantry::http::Problem>),
    /// A kind of the table the server finds itself: `NOT_AUTHENTICATED`, `NOT_FOUND`,
    /// `PAYLOAD_TOO_LARGE`.
    Http(&'static str),
    /// 405, with the methods the path takes.
    MethodNotAllowed(&'static [&'static str]),
}

impl From<tenantry::Error> for ApiError {
    fn from(e: tenantry::Error) -> Self {
        ApiError::Core(e)
    }
}

fn answer(r: tenantry::http::Response) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Json(r.body)).into_response();
    for (name, value) in r.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

fn table(kind: &str) -> tenantry::http::Response {
    tenantry::http::response(kind, None, None, None).expect("a kind of the table")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Core(e) => {
                if matches!(e.code(), "DATABASE" | "INTERNAL" | "CONFIG" | "CLOSED") {
                    let cause = std::error::Error::source(&e).map(ToString::to_string);
                    tracing::error!(error = %e, cause, "server error");
                }
                answer(tenantry::http::error_response(&e))
            }
            ApiError::Schema(problems) => {
                let problems: Vec<_> = problems
                    .iter()
                    .map(|p| (p.field.as_str(), p.message.as_str(), p.kind))
                    .collect();
                answer(tenantry::http::validation_response(&problems))
            }
            ApiError::Http(kind) => answer(table(kind)),
            ApiError::MethodNotAllowed(allowed) => {
                answer(tenantry::http::method_not_allowed(allowed))
            }
        }
    }
}
