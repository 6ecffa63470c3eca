//! Core errors as Python exceptions: the classes are defined in Python
//! (`tenantry/exceptions.py`, where each also subclasses the matching builtin), and this is
//! the one conversion from the core's [`tenantry::Error`] to them.
//!
//! Every instance carries exactly the core's details: `.code`, `.field`, `.reason` and
//! `.retry_after` (seconds), as `Error::code()`, `field()`, `reason()` and
//! `retry_after()` give them.
//!
//! The other way, [`from_py_err`]: an exception raised by Python code the core runs (a
//! migration written in Python) as the core error it reports.

use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use tenantry::Error;

/// `tenantry.exceptions.BY_CODE`, looked up once (after the package has been imported).
fn classes(py: Python<'_>) -> PyResult<&Bound<'_, PyDict>> {
    static BY_CODE: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    let by_code = BY_CODE.get_or_try_init(py, || {
        let module = py.import("tenantry.exceptions")?;
        Ok::<_, PyErr>(module.getattr("BY_CODE")?.cast_into::<PyDict>()?.unbind())
    })?;
    Ok(by_code.bind(py))
}

/// The Python exception of a core error.
pub(crate) fn to_py_err(py: Python<'_>, err: Error) -> PyErr {
    match build(py, &err) {
        Ok(exception) => exception,
        Err(failed) => failed,
    }
}

fn build(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let by_code = classes(py)?;
    let class = match by_code.get_item(err.code())? {
        Some(class) => class,
        // A code added to the core before the package learns it still arrives, as the base.
        None => py.import("tenantry.exceptions")?.getattr("TenantryError")?,
    };
    let exception = class.call1((err.to_string(),))?;
    exception.setattr("code", err.code())?;
    exception.setattr("field", err.field())?;
    exception.setattr("reason", err.reason())?;
    exception.setattr("retry_after", err.retry_after().map(|d| d.as_secs()))?;
    Ok(PyErr::from_value(exception))
}

/// The core error of an exception raised by Python code the core runs: a tenantry
/// exception as the error of its `code`, with its `reason` (or text), `field` and
/// `retry_after`; any other as `INTERNAL`, naming the exception's type and text. A
/// `DATABASE` error keeps its code only: the core words those itself.
pub(crate) fn from_py_err(exception: &Bound<'_, PyAny>) -> Error {
    let text = exception.str().map(|s| s.to_string()).unwrap_or_default();
    let Some(code) = code_of(exception) else {
        let kind = exception
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "exception".to_owned());
        return Error::Internal(if text.is_empty() {
            kind
        } else {
            format!("{kind}: {text}")
        });
    };
    let attribute = |name: &str| exception.getattr(name).ok().filter(|v| !v.is_none());
    let reason = attribute("reason")
        .and_then(|r| r.extract::<String>().ok())
        .unwrap_or_else(|| text.clone());
    let field = attribute("field").and_then(|f| f.extract::<String>().ok());
    match code.as_str() {
        "TENANT_NOT_FOUND" => Error::NotFound {
            // The core's text names the tenant after its prefix.
            name: text
                .strip_prefix("tenant not found: ")
                .unwrap_or(&text)
                .to_owned(),
        },
        "TENANT_ALREADY_EXISTS" => Error::AlreadyExists {
            field: interned(field, "name"),
            message: reason,
        },
        "INVALID_INPUT" => Error::InvalidInput {
            field: interned(field, "migration"),
            message: reason,
        },
        "TENANT_SUSPENDED" => Error::Suspended {
            name: text
                .strip_prefix("tenant suspended: ")
                .unwrap_or(&text)
                .to_owned(),
        },
        "INVALID_CREDENTIALS" => Error::InvalidCredentials,
        "UNAUTHORIZED" => Error::Unauthorized { reason },
        "FORBIDDEN" => Error::Forbidden { message: reason },
        "CONFLICT" => Error::Conflict { message: reason },
        "TOO_MANY_ATTEMPTS" => Error::TooManyAttempts {
            retry_after_secs: attribute("retry_after")
                .and_then(|s| s.extract::<u64>().ok())
                .unwrap_or(0),
        },
        "CONFIG" => Error::Config(reason),
        "CLOSED" => Error::Closed,
        "LAST_OWNER" => Error::LastOwner,
        "DATABASE" => Error::Database(tenantry::mongodb::error::Error::from(
            std::io::Error::other(reason),
        )),
        // INTERNAL, and a code this build does not know.
        _ => Error::Internal(reason),
    }
}

/// The `code` of a tenantry exception; None for any other.
fn code_of(exception: &Bound<'_, PyAny>) -> Option<String> {
    let py = exception.py();
    let base = py
        .import("tenantry.exceptions")
        .and_then(|m| m.getattr("TenantryError"))
        .ok()?;
    if !exception.is_instance(&base).unwrap_or(false) {
        return None;
    }
    exception
        .getattr("code")
        .and_then(|c| c.extract::<String>())
        .ok()
        .filter(|c| !c.is_empty())
}

/// `field` as the core's errors name their field, a `&'static str`: each name an
/// application's exceptions carry is kept once (the first 64; `default` beyond, and
/// without a name).
fn interned(field: Option<String>, default: &'static str) -> &'static str {
    static KEPT: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let Some(field) = field else {
        return default;
    };
    let mut kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(name) = kept.iter().find(|name| **name == field) {
        return name;
    }
    if kept.len() >= 64 {
        return default;
    }
    let name: &'static str = Box::leak(field.into_boxed_str());
    kept.push(name);
    name
}

/// Raise the exception of the core's sample error with the given code ([`Error::sample`]):
/// for tests of the kinds a healthy server never produces.
#[pyfunction]
#[pyo3(name = "_raise_sample_error")]
pub(crate) fn raise_sample_error(py: Python<'_>, code: &str) -> PyResult<()> {
    match Error::sample(code) {
        Some(err) => Err(to_py_err(py, err)),
        None => Err(pyo3::exceptions::PyValueError::new_err(format!(
            "unknown error code {code:?}"
        ))),
    }
}

/// Every code the core can give an error ([`Error::CODES`]).
#[pyfunction]
#[pyo3(name = "_error_codes")]
pub(crate) fn error_codes() -> Vec<&'static str> {
    Error::CODES.to_vec()
}
