//! The core's HTTP error table ([`tenantry::http`]), for the FastAPI glue.

use pyo3::prelude::*;

/// A response: status, headers and the JSON body (as text).
type Response = (u16, Vec<(String, String)>, String);

fn convert(r: tenantry::http::Response) -> Response {
    (r.status, r.headers, r.body.to_string())
}

/// The response of an error given by its parts (an exception's `code`, `field`, `reason`,
/// `retry_after`, or a server's own request error such as `NOT_AUTHENTICATED`).
#[pyfunction]
#[pyo3(name = "_http_response", signature = (kind, field = None, reason = None, retry_after = None))]
pub(crate) fn response(
    kind: &str,
    field: Option<&str>,
    reason: Option<&str>,
    retry_after: Option<u64>,
) -> Option<Response> {
    tenantry::http::response(kind, field, reason, retry_after).map(convert)
}

/// The response to a request that does not match its schema, from its problems as
/// (field, message, kind).
#[pyfunction]
#[pyo3(name = "_http_validation_response")]
pub(crate) fn validation_response(problems: Vec<(String, String, String)>) -> Response {
    let problems: Vec<(&str, &str, &str)> = problems
        .iter()
        .map(|(f, m, k)| (f.as_str(), m.as_str(), k.as_str()))
        .collect();
    convert(tenantry::http::validation_response(&problems))
}

/// The 405 response, `Allow` listing `allowed` in the order every server uses.
#[pyfunction]
#[pyo3(name = "_http_method_not_allowed")]
pub(crate) fn method_not_allowed(allowed: Vec<String>) -> Response {
    let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
    convert(tenantry::http::method_not_allowed(&allowed))
}
