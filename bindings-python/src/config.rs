//! Keyword arguments to the core's [`tenantry::Settings`]: values are converted to plain
//! data and handed over; every name, default and check is the core's (an unknown name or a
//! value of the wrong kind is a `ConfigError`).

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Value};
use tenantry::Settings;

fn value(v: &Bound<'_, PyAny>) -> Result<Value, String> {
    if v.is_none() {
        Ok(Value::Null)
    } else if v.is_instance_of::<PyBool>() {
        Ok(Value::Bool(v.extract::<bool>().map_err(|e| e.to_string())?))
    } else if v.is_instance_of::<PyInt>() {
        match v.extract::<i64>() {
            Ok(n) => Ok(n.into()),
            Err(_) => Ok(v
                .extract::<u64>()
                .map_err(|_| "is out of range".to_owned())?
                .into()),
        }
    } else if v.is_instance_of::<PyFloat>() {
        let f: f64 = v.extract().map_err(|e: PyErr| e.to_string())?;
        serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| format!("{f} is not a number"))
    } else if v.is_instance_of::<PyString>() {
        Ok(Value::String(
            v.extract::<String>().map_err(|e| e.to_string())?,
        ))
    } else if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        v.try_iter()
            .map_err(|e| e.to_string())?
            .map(|item| value(&item.map_err(|e| e.to_string())?))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array)
    } else {
        Err(format!(
            "has an unsupported type {}",
            v.get_type().name().map_err(|e| e.to_string())?
        ))
    }
}

/// The settings keyword arguments give.
pub(crate) fn settings(kwargs: Option<&Bound<'_, PyDict>>) -> tenantry::Result<Settings> {
    let mut map = Map::new();
    for (k, v) in kwargs.into_iter().flat_map(|d| d.iter()) {
        let key: String = k
            .extract()
            .map_err(|_| tenantry::Error::Config("setting names are strings".into()))?;
        let v = value(&v).map_err(|e| tenantry::Error::Config(format!("{key}: {e}")))?;
        map.insert(key, v);
    }
    Settings::from_map(map)
}

/// A JSON value as a Python object.
pub(crate) fn to_python<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u.into_pyobject(py)?.into_any(),
            (None, Some(i)) => i.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, item) in map {
                dict.set_item(k, to_python(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// Every setting's name and environment variable ([`Settings::FIELDS`]), for the tests that
/// check the stubs against them.
#[pyfunction]
#[pyo3(name = "_settings_fields")]
pub(crate) fn settings_fields() -> Vec<(&'static str, &'static str)> {
    Settings::FIELDS.iter().map(|s| (s.name, s.env)).collect()
}
