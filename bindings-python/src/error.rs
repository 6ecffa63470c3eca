//! Python exceptions of the core's [`tenantry::Error`]: a `TenantryError` base with one
//! subclass per stable code, and the one conversion from the core error.
//!
//! Every instance carries `.code` (the core's stable code) and, where the core has them,
//! `.field`, `.message` (the reason alone) and `.retry_after`. Each subclass also has its code as a class attribute, so
//! `except TenantNotFound` and `err.code == TenantNotFound.code` read the same.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;
use tenantry::Error;

create_exception!(
    tenantry.exceptions,
    TenantryError,
    PyException,
    "Base class of every tenantry error; `.code` is the core's stable code."
);
create_exception!(
    tenantry.exceptions,
    TenantNotFound,
    TenantryError,
    "No tenant (or admin) answers to that name or id."
);
create_exception!(
    tenantry.exceptions,
    TenantAlreadyExists,
    TenantryError,
    "The organization name (normalized) or the admin email is taken; see `.field`."
);
create_exception!(
    tenantry.exceptions,
    InvalidInput,
    TenantryError,
    "The input was rejected before anything was written; see `.field`."
);
create_exception!(
    tenantry.exceptions,
    InvalidCredentials,
    TenantryError,
    "Unknown email or wrong password (deliberately indistinguishable)."
);
create_exception!(
    tenantry.exceptions,
    Unauthorized,
    TenantryError,
    "The token is malformed, expired, revoked or signed with another key."
);
create_exception!(
    tenantry.exceptions,
    Forbidden,
    TenantryError,
    "The token is valid but its holder may not act on this tenant."
);
create_exception!(
    tenantry.exceptions,
    Conflict,
    TenantryError,
    "Another lifecycle operation on the same tenant is in progress; retry later."
);
create_exception!(
    tenantry.exceptions,
    TooManyAttempts,
    TenantryError,
    "Too many failed logins; retry after `.retry_after` seconds."
);
create_exception!(
    tenantry.exceptions,
    ConfigError,
    TenantryError,
    "The configuration is unusable (bad URI, weak secret, unsupported algorithm...)."
);
create_exception!(
    tenantry.exceptions,
    DatabaseError,
    TenantryError,
    "MongoDB failed or could not be reached."
);
create_exception!(
    tenantry.exceptions,
    InternalError,
    TenantryError,
    "An invariant of the library broke (a bug, or a corrupted document)."
);

/// The subclass of each stable code: the one table both registration and conversion read.
fn subclasses(py: Python<'_>) -> [(&'static str, Bound<'_, PyType>); 11] {
    [
        ("TENANT_NOT_FOUND", py.get_type::<TenantNotFound>()),
        (
            "TENANT_ALREADY_EXISTS",
            py.get_type::<TenantAlreadyExists>(),
        ),
        ("INVALID_INPUT", py.get_type::<InvalidInput>()),
        ("INVALID_CREDENTIALS", py.get_type::<InvalidCredentials>()),
        ("UNAUTHORIZED", py.get_type::<Unauthorized>()),
        ("FORBIDDEN", py.get_type::<Forbidden>()),
        ("CONFLICT", py.get_type::<Conflict>()),
        ("TOO_MANY_ATTEMPTS", py.get_type::<TooManyAttempts>()),
        ("CONFIG", py.get_type::<ConfigError>()),
        ("DATABASE", py.get_type::<DatabaseError>()),
        ("INTERNAL", py.get_type::<InternalError>()),
    ]
}

/// Add the exception classes to the module, each subclass with its code as a class attribute.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("TenantryError", py.get_type::<TenantryError>())?;
    for (code, class) in subclasses(py) {
        class.setattr("code", code)?;
        module.add(class.name()?, class)?;
    }
    Ok(())
}

/// The Python exception of a core error, with its attributes set on the instance.
pub(crate) fn to_py_err(py: Python<'_>, err: Error) -> PyErr {
    let code = err.code();
    // A code added to the core before this table learns it still arrives, as the base.
    let class = subclasses(py)
        .into_iter()
        .find(|(c, _)| *c == code)
        .map(|(_, class)| class)
        .unwrap_or_else(|| py.get_type::<TenantryError>());
    let py_err = PyErr::from_type(class, err.to_string());
    match set_attributes(py_err.value(py), &err) {
        Ok(()) => py_err,
        Err(attr_err) => attr_err,
    }
}

fn set_attributes(
    value: &Bound<'_, pyo3::exceptions::PyBaseException>,
    err: &Error,
) -> PyResult<()> {
    value.setattr("code", err.code())?;
    if let Some(field) = err.field() {
        value.setattr("field", field)?;
    }
    match err {
        // The reason without the field name, for callers that show field and reason apart.
        Error::InvalidInput { message, .. } | Error::AlreadyExists { message, .. } => {
            value.setattr("message", message)?;
        }
        Error::TooManyAttempts { retry_after_secs } => {
            value.setattr("retry_after", *retry_after_secs)?;
        }
        _ => {}
    }
    Ok(())
}

/// Raise the exception the binding makes of the core's sample error with the given code
/// ([`Error::sample`]).
///
/// A testing aid: some kinds (`TOO_MANY_ATTEMPTS`, `INTERNAL`) cannot be provoked from
/// outside, yet their conversion deserves a test like the others.
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

/// Every code the core can give an error ([`Error::CODES`]); the tests check the
/// exception classes against it.
#[pyfunction]
#[pyo3(name = "_error_codes")]
pub(crate) fn error_codes() -> Vec<&'static str> {
    Error::CODES.to_vec()
}
