//! Python classes of the core's audit log types: [`tenantry::AuditEntry`],
//! [`tenantry::AuditPage`] and [`tenantry::AuditVerification`], and the conversion of an
//! entry's `detail` (BSON) to Python.
//!
//! Like the classes of `types.rs` they wrap the core value unchanged and convert on
//! attribute access: the tenant's id becomes a 24-digit hex string, instants aware UTC
//! `datetime`s. `AuditEntry` is plain data (comparable, hashable, picklable, `to_dict()`);
//! `AuditPage` and `AuditVerification` are reads of the moment, comparable but neither
//! hashable nor picklable, as `TenantPage` is.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyIterator, PyList, PyString, PyTuple};
use tenantry::mongodb::bson::{self, Bson, Document};

use crate::config::to_python;
use crate::types::quoted;

/// A BSON value as Python data: documents as dicts, arrays as lists, numbers, strings,
/// booleans and null as themselves, instants as aware UTC `datetime`s, object ids as
/// 24-digit hex strings, binary data as `bytes`; anything else as its relaxed Extended
/// JSON (`{"$numberDecimal": "1.5"}`).
pub(crate) fn bson_to_python<'py>(py: Python<'py>, value: &Bson) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Bson::Null | Bson::Undefined => py.None().into_bound(py),
        Bson::Boolean(b) => PyBool::new(py, *b).to_owned().into_any(),
        Bson::Int32(n) => n.into_pyobject(py)?.into_any(),
        Bson::Int64(n) => n.into_pyobject(py)?.into_any(),
        Bson::Double(f) => f.into_pyobject(py)?.into_any(),
        Bson::String(s) => PyString::new(py, s).into_any(),
        Bson::ObjectId(id) => PyString::new(py, &id.to_hex()).into_any(),
        Bson::DateTime(t) => match t.to_chrono().into_pyobject(py) {
            Ok(t) => t.into_any(),
            // Outside `datetime`'s years 1 to 9999: as its Extended JSON.
            Err(_) => to_python(py, &value.clone().into_relaxed_extjson())?,
        },
        Bson::Binary(b) => PyBytes::new(py, &b.bytes).into_any(),
        Bson::Document(d) => document_to_python(py, d)?.into_any(),
        Bson::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(bson_to_python(py, item)?)?;
            }
            list.into_any()
        }
        other => to_python(py, &other.clone().into_relaxed_extjson())?,
    })
}

/// A BSON document as a dict (see [`bson_to_python`]).
pub(crate) fn document_to_python<'py>(
    py: Python<'py>,
    document: &Document,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in document {
        dict.set_item(key, bson_to_python(py, value)?)?;
    }
    Ok(dict)
}

/// One event of a tenant's audit log.
#[pyclass(frozen, eq, module = "tenantry._native", name = "AuditEntry")]
#[derive(PartialEq)]
pub(crate) struct PyAuditEntry(pub(crate) tenantry::AuditEntry);

impl PyAuditEntry {
    /// The entry as canonical Extended JSON: every BSON type kept, for pickling.
    fn canonical(&self) -> PyResult<String> {
        let document = bson::to_document(&self.0)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        Ok(Bson::Document(document)
            .into_canonical_extjson()
            .to_string())
    }

    /// An entry pickled by [`canonical`](Self::canonical).
    pub(crate) fn from_canonical(json: &str) -> PyResult<Self> {
        let bad = |e: String| pyo3::exceptions::PyValueError::new_err(e);
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
        let Bson::Document(document) = Bson::try_from(value).map_err(|e| bad(e.to_string()))?
        else {
            return Err(bad("not an audit entry".to_owned()));
        };
        bson::from_document(document)
            .map(PyAuditEntry)
            .map_err(|e| bad(e.to_string()))
    }
}

#[pymethods]
impl PyAuditEntry {
    /// The tenant's id (24 hex digits).
    #[getter]
    fn tenant_id(&self) -> String {
        self.0.tenant.to_hex()
    }
    #[getter]
    fn seq(&self) -> i64 {
        self.0.seq
    }
    #[getter]
    fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    #[getter]
    fn actor(&self) -> &str {
        &self.0.actor
    }
    #[getter]
    fn op(&self) -> &str {
        &self.0.op
    }
    #[getter]
    fn outcome(&self) -> &str {
        &self.0.outcome
    }
    /// A new dict on each access: the entry itself cannot change.
    #[getter]
    fn detail<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        document_to_python(py, &self.0.detail)
    }
    #[getter]
    fn prev(&self) -> &str {
        &self.0.prev
    }
    #[getter]
    fn hash(&self) -> &str {
        &self.0.hash
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("tenant_id", self.tenant_id())?;
        d.set_item("seq", self.seq())?;
        d.set_item("at", self.at())?;
        d.set_item("actor", self.actor())?;
        d.set_item("op", self.op())?;
        d.set_item("outcome", self.outcome())?;
        d.set_item("detail", self.detail(py)?)?;
        d.set_item("prev", self.prev())?;
        d.set_item("hash", self.hash())?;
        Ok(d)
    }
    /// Equal entries have the same tenant, place and hash (which covers every other field).
    fn __hash__(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        (self.0.tenant.bytes(), self.0.seq, &self.0.hash).hash(&mut hasher);
        hasher.finish()
    }
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let restore = py.import("tenantry._native")?.getattr("_restore")?;
        let json = self.canonical()?;
        PyTuple::new(
            py,
            [
                restore,
                PyTuple::new(py, ["AuditEntry", json.as_str()])?.into_any(),
            ],
        )
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "AuditEntry(seq={}, at={}, actor={}, op={}, outcome={})",
            self.0.seq,
            quoted(py, &self.0.at.to_rfc3339())?,
            quoted(py, &self.0.actor)?,
            quoted(py, &self.0.op)?,
            quoted(py, &self.0.outcome)?,
        ))
    }
}

/// One page of `audit_log`, in order: its entries and the cursor of the next.
#[pyclass(frozen, eq, module = "tenantry._native", name = "AuditPage")]
#[derive(PartialEq)]
pub(crate) struct PyAuditPage(pub(crate) tenantry::AuditPage);

impl PyAuditPage {
    fn entry_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.0.entries.iter().cloned().map(PyAuditEntry))
    }
}

#[pymethods]
impl PyAuditPage {
    #[getter]
    fn entries<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.entry_list(py)
    }
    #[getter]
    fn next(&self) -> Option<i64> {
        self.0.next
    }
    fn __len__(&self) -> usize {
        self.0.entries.len()
    }
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyIterator>> {
        self.entry_list(py)?.try_iter()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let entries: PyResult<Vec<_>> = self
            .0
            .entries
            .iter()
            .map(|e| PyAuditEntry(e.clone()).to_dict(py))
            .collect();
        d.set_item("entries", entries?)?;
        d.set_item("next", self.next())?;
        Ok(d)
    }
    fn __repr__(&self) -> String {
        let seqs: Vec<String> = self.0.entries.iter().map(|e| e.seq.to_string()).collect();
        let next = self.0.next.map_or("None".to_owned(), |n| n.to_string());
        format!("AuditPage(seqs=[{}], next={next})", seqs.join(", "))
    }
}

/// What `verify_audit` found: entries read, and where the chain breaks if it does.
#[pyclass(frozen, eq, module = "tenantry._native", name = "AuditVerification")]
#[derive(PartialEq, Eq)]
pub(crate) struct PyAuditVerification(pub(crate) tenantry::AuditVerification);

#[pymethods]
impl PyAuditVerification {
    #[getter]
    fn entries(&self) -> u64 {
        self.0.entries
    }
    #[getter]
    fn intact(&self) -> bool {
        self.0.is_intact()
    }
    #[getter]
    fn broken(&self) -> Option<(i64, String)> {
        self.0.broken.clone()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("entries", self.entries())?;
        d.set_item("intact", self.intact())?;
        d.set_item("broken", self.broken())?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let broken = match &self.0.broken {
            Some((seq, why)) => format!("({seq}, {})", quoted(py, why)?),
            None => "None".to_owned(),
        };
        Ok(format!(
            "AuditVerification(entries={}, intact={}, broken={broken})",
            self.0.entries,
            if self.intact() { "True" } else { "False" },
        ))
    }
}
