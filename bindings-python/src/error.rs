//! Core errors as Python exceptions: the classes are defined in Python
//! (`tenantry/exceptions.py`, where each also subclasses the matching builtin), and this is
//! the one conversion from the core's [`tenantry::Error`] to them.
//!
//! Every instance carries exactly the core's details: `.code`, `.field`, `.reason` and
//! `.retry_after` (seconds), as `Error::code()`, `field()`, `reason()` and
//! `retry_after()` give them.

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
