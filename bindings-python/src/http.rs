//! The core's HTTP helpers ([`tenantry::http`]), for the FastAPI glue: the error table,
//! the listing query of the operator endpoints and the bodies they answer with.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tenantry::http::TENANT_QUERY_PARAMS;

use crate::config::to_python;
use crate::error::to_py_err;
use crate::types::{PyTenant, PyTenantPage};

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

/// The keyword arguments of `list_tenants` that a query string gives (`state=deleted&limit=50`,
/// without `?`), parsed by the core: only the parameters given, states and layouts by name,
/// times as aware UTC `datetime`s. A query that does not parse raises `InvalidInput` about
/// its first problem, with every problem as (field, message, kind) in `problems`.
#[pyfunction]
#[pyo3(name = "_http_tenant_query")]
pub(crate) fn tenant_query<'py>(py: Python<'py>, raw_query: &str) -> PyResult<Bound<'py, PyDict>> {
    let query = match tenantry::http::tenant_query(raw_query) {
        Ok(query) => query,
        Err(problems) => return Err(refused(py, &problems)),
    };
    let kwargs = PyDict::new(py);
    if let Some(state) = query.state {
        kwargs.set_item("state", state.as_str())?;
    }
    if let Some(layout) = query.layout {
        kwargs.set_item("layout", layout.as_str())?;
    }
    if let Some(cluster) = &query.cluster {
        kwargs.set_item("cluster", cluster)?;
    }
    if let Some(prefix) = &query.name_prefix {
        kwargs.set_item("name_prefix", prefix)?;
    }
    if let Some(time) = query.created_after {
        kwargs.set_item("created_after", time)?;
    }
    if let Some(time) = query.created_before {
        kwargs.set_item("created_before", time)?;
    }
    if let Some(limit) = query.limit {
        kwargs.set_item("limit", limit)?;
    }
    if let Some(cursor) = &query.after {
        kwargs.set_item("after", cursor)?;
    }
    Ok(kwargs)
}

/// The `InvalidInput` of a query's problems: the first one's field and message, and all of
/// them in `problems`.
fn refused(py: Python<'_>, problems: &[tenantry::http::Problem]) -> PyErr {
    let first = problems.first();
    // The core names a parameter of its list; the error's field is a `&'static str`.
    let field = first
        .and_then(|p| TENANT_QUERY_PARAMS.iter().find(|name| **name == p.field))
        .copied()
        .unwrap_or("query");
    let message = first.map_or_else(|| "is invalid".to_owned(), |p| p.message.clone());
    let err = to_py_err(py, tenantry::Error::InvalidInput { field, message });
    let listed: Vec<(&str, &str, &str)> = problems
        .iter()
        .map(|p| (p.field.as_str(), p.message.as_str(), p.kind))
        .collect();
    let attached = PyList::new(py, listed).and_then(|list| err.value(py).setattr("problems", list));
    match attached {
        Ok(()) => err,
        Err(failed) => failed,
    }
}

/// A tenant as the operator endpoints show it: the core's JSON (times in RFC 3339, UTC, to
/// the millisecond; `None` for a time not set) as a dict.
#[pyfunction]
#[pyo3(name = "_http_tenant_body")]
pub(crate) fn tenant_body<'py>(
    py: Python<'py>,
    tenant: &Bound<'py, PyTenant>,
) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, &tenantry::http::tenant_body(&tenant.get().0))
}

/// A page of tenants as `GET /admin/tenants` answers it: `{"tenants": [...], "next": ...}`.
#[pyfunction]
#[pyo3(name = "_http_page_body")]
pub(crate) fn page_body<'py>(
    py: Python<'py>,
    page: &Bound<'py, PyTenantPage>,
) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, &tenantry::http::page_body(&page.get().0))
}
