//! Python classes of the core's value types: [`tenantry::Tenant`], [`tenantry::TenantPage`],
//! [`tenantry::Claims`], [`tenantry::AccessToken`], [`tenantry::RecoveryReport`],
//! [`tenantry::RecoveryFailure`], [`tenantry::MoveProgress`], [`tenantry::Session`],
//! [`tenantry::SessionInfo`], [`tenantry::SigningKeyInfo`], [`tenantry::ApiKey`],
//! [`tenantry::ApiKeyInfo`], [`tenantry::Member`], [`tenantry::InvitationInfo`] and
//! [`tenantry::Invitation`]; and [`Json`], a JSON document handed to Python as plain data
//! (the JWKS).
//!
//! Each wraps the core value unchanged and converts on attribute access only: ids become
//! 24-digit hex strings, instants aware UTC `datetime`s, states, layouts and roles their
//! names, durations seconds. They are frozen plain data: comparable, `to_dict()`, hashable and
//! picklable (but `Claims`, neither; `MoveProgress`, a report of the moment with a float
//! rate, neither; `TenantPage`, a read of the moment that only the core builds, neither;
//! `Session`, `ApiKey` and `Invitation`, which hold a secret, neither; `SessionInfo`,
//! `SigningKeyInfo`, `ApiKeyInfo`, `Member` and `InvitationInfo`, which the core does not
//! serialize, not picklable). A `Claims` comes
//! only from `verify_token`/`decode_token`/`verify_api_key`/`verify_credential`, which is
//! what makes it proof of a checked credential: it cannot be built, changed or unpickled
//! from Python.

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyIterator, PyList, PyString, PyTuple};

/// `repr()` of a string, the way Python writes it.
pub(crate) fn quoted(py: Python<'_>, s: &str) -> PyResult<String> {
    Ok(PyString::new(py, s).repr()?.to_string())
}

/// `(tenantry._native._restore, (kind, json))`: how a value is pickled.
fn reduce<'py, T: serde::Serialize>(
    py: Python<'py>,
    kind: &str,
    value: &T,
) -> PyResult<Bound<'py, PyTuple>> {
    let json = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    let restore = py.import("tenantry._native")?.getattr("_restore")?;
    PyTuple::new(
        py,
        [restore, PyTuple::new(py, [kind, json.as_str()])?.into_any()],
    )
}

/// Rebuild a pickled value.
#[pyfunction]
#[pyo3(name = "_restore")]
pub(crate) fn restore(py: Python<'_>, kind: &str, json: &str) -> PyResult<Py<PyAny>> {
    let bad = |e: serde_json::Error| pyo3::exceptions::PyValueError::new_err(e.to_string());
    Ok(match kind {
        "Tenant" => Py::new(py, PyTenant(serde_json::from_str(json).map_err(bad)?))?.into_any(),
        "AccessToken" => {
            Py::new(py, PyAccessToken(serde_json::from_str(json).map_err(bad)?))?.into_any()
        }
        "RecoveryReport" => Py::new(
            py,
            PyRecoveryReport(serde_json::from_str(json).map_err(bad)?),
        )?
        .into_any(),
        "RecoveryFailure" => Py::new(
            py,
            PyRecoveryFailure(serde_json::from_str(json).map_err(bad)?),
        )?
        .into_any(),
        "AuditEntry" => Py::new(py, crate::audit::PyAuditEntry::from_canonical(json)?)?.into_any(),
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "nothing named {other} can be unpickled"
            )))
        }
    })
}

/// The field names of a core type, for the tests that check each class against it.
#[pyfunction]
#[pyo3(name = "_core_fields")]
pub(crate) fn core_fields(kind: &str) -> PyResult<Vec<String>> {
    Ok(match kind {
        "Tenant" => tenantry::Tenant::field_names(),
        "Claims" => tenantry::Claims::field_names(),
        "AccessToken" => tenantry::AccessToken::field_names(),
        "RecoveryReport" => tenantry::RecoveryReport::field_names(),
        "RecoveryFailure" => tenantry::RecoveryFailure::field_names(),
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "no core type {other}"
            )))
        }
    })
}

/// A tenant, as `create_tenant`, `get_tenant` and `update_tenant` return it.
#[pyclass(frozen, eq, hash, module = "tenantry._native", name = "Tenant")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct PyTenant(pub(crate) tenantry::Tenant);

#[pymethods]
impl PyTenant {
    #[getter]
    fn id(&self) -> String {
        self.0.id.to_hex()
    }
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    #[getter]
    fn collection_name(&self) -> &str {
        &self.0.collection_name
    }
    #[getter]
    fn database(&self) -> &str {
        &self.0.database
    }
    #[getter]
    fn namespace(&self) -> String {
        self.0.namespace()
    }
    #[getter]
    fn layout(&self) -> &'static str {
        self.0.layout.as_str()
    }
    #[getter]
    fn cluster(&self) -> &str {
        &self.0.cluster
    }
    #[getter]
    fn admin_email(&self) -> &str {
        &self.0.admin_email
    }
    #[getter]
    fn admin_id(&self) -> String {
        self.0.admin_id.to_hex()
    }
    #[getter]
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    #[getter]
    fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    #[getter]
    fn state(&self) -> &'static str {
        self.0.state.as_str()
    }
    #[getter]
    fn deleted_at(&self) -> Option<DateTime<Utc>> {
        self.0.deleted_at
    }
    #[getter]
    fn purge_after(&self) -> Option<DateTime<Utc>> {
        self.0.purge_after
    }
    #[getter]
    fn suspended_at(&self) -> Option<DateTime<Utc>> {
        self.0.suspended_at
    }
    #[getter]
    fn suspended_reason(&self) -> Option<&str> {
        self.0.suspended_reason.as_deref()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", self.id())?;
        d.set_item("name", self.name())?;
        d.set_item("collection_name", self.collection_name())?;
        d.set_item("database", self.database())?;
        d.set_item("layout", self.layout())?;
        d.set_item("cluster", self.cluster())?;
        d.set_item("admin_email", self.admin_email())?;
        d.set_item("admin_id", self.admin_id())?;
        d.set_item("created_at", self.created_at())?;
        d.set_item("updated_at", self.updated_at())?;
        d.set_item("state", self.state())?;
        d.set_item("deleted_at", self.deleted_at())?;
        d.set_item("purge_after", self.purge_after())?;
        d.set_item("suspended_at", self.suspended_at())?;
        d.set_item("suspended_reason", self.suspended_reason())?;
        Ok(d)
    }
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        reduce(py, "Tenant", &self.0)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Tenant(name={}, id={}, collection_name={}, admin_email={}, state={}{}{})",
            quoted(py, &self.0.name)?,
            quoted(py, &self.id())?,
            quoted(py, &self.0.collection_name)?,
            quoted(py, &self.0.admin_email)?,
            quoted(py, self.state())?,
            match self.0.purge_after {
                Some(until) => format!(", purge_after={}", quoted(py, &until.to_rfc3339())?),
                None => String::new(),
            },
            match self.0.suspended_at {
                Some(since) => format!(", suspended_at={}", quoted(py, &since.to_rfc3339())?),
                None => String::new(),
            },
        ))
    }
}

/// One page of `list_tenants`, in creation order: its tenants and the cursor of the next.
#[pyclass(frozen, eq, module = "tenantry._native", name = "TenantPage")]
#[derive(PartialEq, Eq)]
pub(crate) struct PyTenantPage(pub(crate) tenantry::TenantPage);

impl PyTenantPage {
    fn tenant_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.0.tenants.iter().cloned().map(PyTenant))
    }
}

#[pymethods]
impl PyTenantPage {
    #[getter]
    fn tenants<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.tenant_list(py)
    }
    #[getter]
    fn next(&self) -> Option<&str> {
        self.0.next.as_deref()
    }
    fn __len__(&self) -> usize {
        self.0.tenants.len()
    }
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyIterator>> {
        self.tenant_list(py)?.try_iter()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let tenants: PyResult<Vec<_>> = self
            .0
            .tenants
            .iter()
            .map(|t| PyTenant(t.clone()).to_dict(py))
            .collect();
        d.set_item("tenants", tenants?)?;
        d.set_item("next", self.next())?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let names: PyResult<Vec<String>> =
            self.0.tenants.iter().map(|t| quoted(py, &t.name)).collect();
        let next = match &self.0.next {
            Some(cursor) => quoted(py, cursor)?,
            None => "None".to_owned(),
        };
        Ok(format!(
            "TenantPage(tenants=[{}], next={next})",
            names?.join(", ")
        ))
    }
}

/// What a checked token or API key says; the credential the tenant's operations take.
#[pyclass(frozen, eq, hash, module = "tenantry._native", name = "Claims")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct PyClaims(pub(crate) tenantry::Claims);

#[pymethods]
impl PyClaims {
    #[getter]
    fn admin_id(&self) -> String {
        self.0.admin_id().to_hex()
    }
    #[getter]
    fn tenant_id(&self) -> String {
        self.0.tenant_id().to_hex()
    }
    #[getter]
    fn tenant_name(&self) -> &str {
        self.0.tenant_name()
    }
    #[getter]
    fn token_version(&self) -> i64 {
        self.0.token_version()
    }
    #[getter]
    fn issued_at(&self) -> DateTime<Utc> {
        self.0.issued_at()
    }
    #[getter]
    fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at()
    }
    #[getter]
    fn collection_name(&self) -> Option<&str> {
        self.0.collection_name()
    }
    #[getter]
    fn database(&self) -> Option<&str> {
        self.0.database()
    }
    #[getter]
    fn layout(&self) -> Option<&'static str> {
        self.0.layout().map(tenantry::Layout::as_str)
    }
    #[getter]
    fn cluster(&self) -> Option<&str> {
        self.0.cluster()
    }
    /// The API key the claims were verified from (`verify_api_key`); `None` for a token.
    #[getter]
    fn api_key_id(&self) -> Option<String> {
        self.0.api_key_id().map(|id| id.to_hex())
    }
    /// The API key's scopes, sorted; `None` for a token (which may do all its admin may).
    #[getter]
    fn scopes(&self) -> Option<Vec<String>> {
        self.0.scopes().map(<[String]>::to_vec)
    }
    /// The member's role (`owner`, `admin` or `member`) when `verify_token` checked the
    /// claims; `None` after `decode_token` and for an API key's claims.
    #[getter]
    fn role(&self) -> Option<&'static str> {
        self.0.role().map(tenantry::Role::as_str)
    }
    /// Whether the claims allow `scope`: an API key's when it was made with it, an admin's
    /// token always.
    fn has_scope(&self, scope: &str) -> bool {
        self.0.has_scope(scope)
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("admin_id", self.admin_id())?;
        d.set_item("tenant_id", self.tenant_id())?;
        d.set_item("tenant_name", self.tenant_name())?;
        d.set_item("token_version", self.token_version())?;
        d.set_item("issued_at", self.issued_at())?;
        d.set_item("expires_at", self.expires_at())?;
        d.set_item("collection_name", self.collection_name())?;
        d.set_item("database", self.database())?;
        d.set_item("layout", self.layout())?;
        d.set_item("cluster", self.cluster())?;
        d.set_item("api_key_id", self.api_key_id())?;
        d.set_item("scopes", self.scopes())?;
        d.set_item("role", self.role())?;
        Ok(d)
    }
    fn __reduce__(&self) -> PyResult<()> {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "Claims cannot be pickled: they are a credential, made only by verify_token; \
             pickle the token and verify it again",
        ))
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        // An API key's claims say so (its id is no secret: the key's prefix shows it).
        let key = match (self.api_key_id(), self.0.scopes()) {
            (Some(id), Some(scopes)) => {
                let scopes: PyResult<Vec<String>> = scopes.iter().map(|s| quoted(py, s)).collect();
                format!(
                    ", api_key_id={}, scopes=[{}]",
                    quoted(py, &id)?,
                    scopes?.join(", ")
                )
            }
            _ => String::new(),
        };
        let role = match self.role() {
            Some(role) => format!(", role={}", quoted(py, role)?),
            None => String::new(),
        };
        Ok(format!(
            "Claims(tenant_name={}, tenant_id={}, admin_id={}, expires_at={}{role}{key})",
            quoted(py, self.0.tenant_name())?,
            quoted(py, &self.tenant_id())?,
            quoted(py, &self.admin_id())?,
            quoted(py, &self.0.expires_at().to_rfc3339())?,
        ))
    }
}

/// A freshly issued access token and the ids it carries. Its `repr` never shows the token.
#[pyclass(frozen, eq, hash, module = "tenantry._native", name = "AccessToken")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct PyAccessToken(pub(crate) tenantry::AccessToken);

#[pymethods]
impl PyAccessToken {
    #[getter]
    fn access_token(&self) -> &str {
        &self.0.access_token
    }
    #[getter]
    fn token_type(&self) -> &str {
        &self.0.token_type
    }
    #[getter]
    fn admin_id(&self) -> String {
        self.0.admin_id.to_hex()
    }
    #[getter]
    fn tenant_id(&self) -> String {
        self.0.tenant_id.to_hex()
    }
    #[getter]
    fn tenant_name(&self) -> &str {
        &self.0.tenant_name
    }
    #[getter]
    fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("access_token", self.access_token())?;
        d.set_item("token_type", self.token_type())?;
        d.set_item("admin_id", self.admin_id())?;
        d.set_item("tenant_id", self.tenant_id())?;
        d.set_item("tenant_name", self.tenant_name())?;
        d.set_item("expires_at", self.expires_at())?;
        Ok(d)
    }
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        reduce(py, "AccessToken", &self.0)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "AccessToken(access_token='***', tenant_name={}, tenant_id={}, admin_id={}, expires_at={})",
            quoted(py, &self.0.tenant_name)?,
            quoted(py, &self.tenant_id())?,
            quoted(py, &self.admin_id())?,
            quoted(py, &self.0.expires_at.to_rfc3339())?,
        ))
    }
}

/// What `recover()` found and did.
#[pyclass(frozen, eq, hash, module = "tenantry._native", name = "RecoveryReport")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct PyRecoveryReport(pub(crate) tenantry::RecoveryReport);

#[pymethods]
impl PyRecoveryReport {
    #[getter]
    fn completed(&self) -> usize {
        self.0.completed
    }
    #[getter]
    fn rolled_back(&self) -> usize {
        self.0.rolled_back
    }
    #[getter]
    fn adopted(&self) -> usize {
        self.0.adopted
    }
    #[getter]
    fn not_adopted(&self) -> Vec<String> {
        self.0.not_adopted.clone()
    }
    #[getter]
    fn swept_keys(&self) -> usize {
        self.0.swept_keys
    }
    #[getter]
    fn swept_tombstones(&self) -> usize {
        self.0.swept_tombstones
    }
    #[getter]
    fn purged(&self) -> usize {
        self.0.purged
    }
    #[getter]
    fn swept_fences(&self) -> usize {
        self.0.swept_fences
    }
    #[getter]
    fn moved_documents(&self) -> u64 {
        self.0.moved_documents
    }
    #[getter]
    fn orphan_collections(&self) -> Vec<String> {
        self.0.orphan_collections.clone()
    }
    #[getter]
    fn failed(&self) -> Vec<PyRecoveryFailure> {
        self.0
            .failed
            .iter()
            .cloned()
            .map(PyRecoveryFailure)
            .collect()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("completed", self.completed())?;
        d.set_item("rolled_back", self.rolled_back())?;
        d.set_item("adopted", self.adopted())?;
        d.set_item("not_adopted", self.not_adopted())?;
        d.set_item("swept_keys", self.swept_keys())?;
        d.set_item("swept_tombstones", self.swept_tombstones())?;
        d.set_item("purged", self.purged())?;
        d.set_item("swept_fences", self.swept_fences())?;
        d.set_item("moved_documents", self.moved_documents())?;
        d.set_item("orphan_collections", self.orphan_collections())?;
        let failed: PyResult<Vec<_>> = self
            .0
            .failed
            .iter()
            .map(|f| PyRecoveryFailure(f.clone()).to_dict(py))
            .collect();
        d.set_item("failed", failed?)?;
        Ok(d)
    }
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        reduce(py, "RecoveryReport", &self.0)
    }
    fn __repr__(&self) -> String {
        let r = &self.0;
        format!(
            "RecoveryReport(completed={}, rolled_back={}, adopted={}, not_adopted={:?}, swept_keys={}, swept_tombstones={}, purged={}, swept_fences={}, moved_documents={}, orphan_collections={:?}, failed={})",
            r.completed, r.rolled_back, r.adopted, r.not_adopted, r.swept_keys, r.swept_tombstones, r.purged, r.swept_fences, r.moved_documents, r.orphan_collections, r.failed.len(),
        )
    }
}

/// One tenant `recover()` could not fix, with its error's code.
#[pyclass(
    frozen,
    eq,
    hash,
    module = "tenantry._native",
    name = "RecoveryFailure"
)]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct PyRecoveryFailure(pub(crate) tenantry::RecoveryFailure);

#[pymethods]
impl PyRecoveryFailure {
    #[getter]
    fn tenant_id(&self) -> Option<String> {
        self.0.tenant_id.map(|id| id.to_hex())
    }
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    #[getter]
    fn code(&self) -> &str {
        &self.0.code
    }
    #[getter]
    fn message(&self) -> &str {
        &self.0.message
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("tenant_id", self.tenant_id())?;
        d.set_item("name", self.name())?;
        d.set_item("code", self.code())?;
        d.set_item("message", self.message())?;
        Ok(d)
    }
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        reduce(py, "RecoveryFailure", &self.0)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "RecoveryFailure(name={}, code={})",
            quoted(py, &self.0.name)?,
            quoted(py, &self.0.code)?
        ))
    }
}

/// How a move, an export or an import is going: what `progress=` callbacks are called
/// with and `move_tenant_progress` yields.
#[pyclass(frozen, eq, module = "tenantry._native", name = "MoveProgress")]
#[derive(PartialEq)]
pub(crate) struct PyMoveProgress(pub(crate) tenantry::MoveProgress);

#[pymethods]
impl PyMoveProgress {
    /// A move's `copy`, `catch-up`; an export's `export`; an import's `import`, `verify`;
    /// and `done`, last.
    #[getter]
    fn phase(&self) -> &'static str {
        self.0.phase
    }
    #[getter]
    fn copied(&self) -> u64 {
        self.0.copied
    }
    #[getter]
    fn total(&self) -> u64 {
        self.0.total
    }
    #[getter]
    fn rate(&self) -> f64 {
        self.0.rate
    }
    /// Seconds left at the current rate.
    #[getter]
    fn eta(&self) -> Option<f64> {
        self.0.eta.map(|d| d.as_secs_f64())
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("phase", self.phase())?;
        d.set_item("copied", self.copied())?;
        d.set_item("total", self.total())?;
        d.set_item("rate", self.rate())?;
        d.set_item("eta", self.eta())?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let eta = match self.eta() {
            Some(seconds) => format!("{seconds:.1}"),
            None => "None".to_owned(),
        };
        Ok(format!(
            "MoveProgress(phase={}, copied={}, total={}, rate={:.1}, eta={eta})",
            quoted(py, self.0.phase)?,
            self.0.copied,
            self.0.total,
            self.0.rate,
        ))
    }
}

/// A session's tokens, as `login_session` and `refresh_session` return them: the access
/// token and the refresh token that renews it. Its `repr` shows neither token. Comparable,
/// `to_dict()`; neither hashable nor picklable (it holds a secret the core never
/// serializes).
#[pyclass(frozen, eq, module = "tenantry._native", name = "Session")]
#[derive(PartialEq, Eq)]
pub(crate) struct PySession(pub(crate) tenantry::Session);

#[pymethods]
impl PySession {
    #[getter]
    fn access(&self) -> PyAccessToken {
        PyAccessToken(self.0.access.clone())
    }
    #[getter]
    fn refresh_token(&self) -> &str {
        &self.0.refresh_token
    }
    #[getter]
    fn session_id(&self) -> String {
        self.0.session_id.to_hex()
    }
    #[getter]
    fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("access", self.access().to_dict(py)?)?;
        d.set_item("refresh_token", self.refresh_token())?;
        d.set_item("session_id", self.session_id())?;
        d.set_item("expires_at", self.expires_at())?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Session(session_id={}, refresh_token='***', access={}, expires_at={})",
            quoted(py, &self.session_id())?,
            self.access().__repr__(py)?,
            quoted(py, &self.0.expires_at.to_rfc3339())?,
        ))
    }
}

/// An open session, as `sessions` lists it.
#[pyclass(frozen, eq, hash, module = "tenantry._native", name = "SessionInfo")]
#[derive(PartialEq, Eq)]
pub(crate) struct PySessionInfo(pub(crate) tenantry::SessionInfo);

impl std::hash::Hash for PySessionInfo {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let s = &self.0;
        (s.id, s.created_at, s.refreshed_at, s.expires_at, &s.client).hash(state);
    }
}

#[pymethods]
impl PySessionInfo {
    #[getter]
    fn id(&self) -> String {
        self.0.id.to_hex()
    }
    #[getter]
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    #[getter]
    fn refreshed_at(&self) -> DateTime<Utc> {
        self.0.refreshed_at
    }
    #[getter]
    fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    #[getter]
    fn client(&self) -> Option<&str> {
        self.0.client.as_deref()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", self.id())?;
        d.set_item("created_at", self.created_at())?;
        d.set_item("refreshed_at", self.refreshed_at())?;
        d.set_item("expires_at", self.expires_at())?;
        d.set_item("client", self.client())?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let client = match &self.0.client {
            Some(client) => quoted(py, client)?,
            None => "None".to_owned(),
        };
        Ok(format!(
            "SessionInfo(id={}, created_at={}, refreshed_at={}, expires_at={}, client={client})",
            quoted(py, &self.id())?,
            quoted(py, &self.0.created_at.to_rfc3339())?,
            quoted(py, &self.0.refreshed_at.to_rfc3339())?,
            quoted(py, &self.0.expires_at.to_rfc3339())?,
        ))
    }
}

/// A signing key of the `EdDSA` timeline, as `signing_keys` lists it and
/// `rotate_signing_key` returns it: its `kid`, algorithm and times, never its private half.
#[pyclass(frozen, eq, hash, module = "tenantry._native", name = "SigningKeyInfo")]
#[derive(PartialEq, Eq)]
pub(crate) struct PySigningKeyInfo(pub(crate) tenantry::SigningKeyInfo);

impl std::hash::Hash for PySigningKeyInfo {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let k = &self.0;
        (
            &k.kid,
            &k.algorithm,
            k.created_at,
            k.activates_at,
            k.retires_at,
            k.verifies_until,
        )
            .hash(state);
    }
}

#[pymethods]
impl PySigningKeyInfo {
    #[getter]
    fn kid(&self) -> &str {
        &self.0.kid
    }
    #[getter]
    fn algorithm(&self) -> &str {
        &self.0.algorithm
    }
    #[getter]
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    #[getter]
    fn activates_at(&self) -> DateTime<Utc> {
        self.0.activates_at
    }
    #[getter]
    fn retires_at(&self) -> Option<DateTime<Utc>> {
        self.0.retires_at
    }
    #[getter]
    fn verifies_until(&self) -> Option<DateTime<Utc>> {
        self.0.verifies_until
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("kid", self.kid())?;
        d.set_item("algorithm", self.algorithm())?;
        d.set_item("created_at", self.created_at())?;
        d.set_item("activates_at", self.activates_at())?;
        d.set_item("retires_at", self.retires_at())?;
        d.set_item("verifies_until", self.verifies_until())?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let time = |t: Option<&DateTime<Utc>>| match t {
            Some(t) => quoted(py, &t.to_rfc3339()),
            None => Ok("None".to_owned()),
        };
        Ok(format!(
            "SigningKeyInfo(kid={}, algorithm={}, created_at={}, activates_at={}, retires_at={}, verifies_until={})",
            quoted(py, &self.0.kid)?,
            quoted(py, &self.0.algorithm)?,
            time(Some(&self.0.created_at))?,
            time(Some(&self.0.activates_at))?,
            time(self.0.retires_at.as_ref())?,
            time(self.0.verifies_until.as_ref())?,
        ))
    }
}

/// A tenant's API key as `api_keys` lists it (and `ApiKey.info` shows it): everything but
/// its secret.
#[pyclass(frozen, eq, hash, module = "tenantry._native", name = "ApiKeyInfo")]
#[derive(PartialEq, Eq)]
pub(crate) struct PyApiKeyInfo(pub(crate) tenantry::ApiKeyInfo);

impl std::hash::Hash for PyApiKeyInfo {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let k = &self.0;
        (
            k.id,
            &k.prefix,
            &k.name,
            &k.scopes,
            k.created_by,
            k.created_at,
            k.expires_at,
            k.last_used_at,
        )
            .hash(state);
    }
}

#[pymethods]
impl PyApiKeyInfo {
    #[getter]
    fn id(&self) -> String {
        self.0.id.to_hex()
    }
    #[getter]
    fn prefix(&self) -> &str {
        &self.0.prefix
    }
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    #[getter]
    fn scopes(&self) -> Vec<String> {
        self.0.scopes.clone()
    }
    #[getter]
    fn created_by(&self) -> String {
        self.0.created_by.to_hex()
    }
    #[getter]
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    #[getter]
    fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    #[getter]
    fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", self.id())?;
        d.set_item("prefix", self.prefix())?;
        d.set_item("name", self.name())?;
        d.set_item("scopes", self.scopes())?;
        d.set_item("created_by", self.created_by())?;
        d.set_item("created_at", self.created_at())?;
        d.set_item("expires_at", self.expires_at())?;
        d.set_item("last_used_at", self.last_used_at())?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let time = |t: Option<&DateTime<Utc>>| match t {
            Some(t) => quoted(py, &t.to_rfc3339()),
            None => Ok("None".to_owned()),
        };
        let scopes: PyResult<Vec<String>> = self.0.scopes.iter().map(|s| quoted(py, s)).collect();
        Ok(format!(
            "ApiKeyInfo(id={}, prefix={}, name={}, scopes=[{}], created_by={}, created_at={}, expires_at={}, last_used_at={})",
            quoted(py, &self.id())?,
            quoted(py, &self.0.prefix)?,
            quoted(py, &self.0.name)?,
            scopes?.join(", "),
            quoted(py, &self.created_by())?,
            time(Some(&self.0.created_at))?,
            time(self.0.expires_at.as_ref())?,
            time(self.0.last_used_at.as_ref())?,
        ))
    }
}

/// An API key just made, as `create_api_key` returns it: the key itself, shown this once
/// (only its digest is stored), and what will be listed of it. Its `repr` shows the key's
/// prefix only, as the core's `Debug` does. Comparable, `to_dict()`; neither hashable nor
/// picklable (it holds a secret the core never serializes).
#[pyclass(frozen, eq, module = "tenantry._native", name = "ApiKey")]
#[derive(PartialEq, Eq)]
pub(crate) struct PyApiKey(pub(crate) tenantry::ApiKey);

#[pymethods]
impl PyApiKey {
    #[getter]
    fn key(&self) -> &str {
        &self.0.key
    }
    #[getter]
    fn info(&self) -> PyApiKeyInfo {
        PyApiKeyInfo(self.0.info.clone())
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("key", self.key())?;
        d.set_item("info", self.info().to_dict(py)?)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "ApiKey(key={}, info={})",
            quoted(py, &format!("{}_***", self.0.info.prefix))?,
            self.info().__repr__(py)?,
        ))
    }
}

/// A member of a tenant, as `members` lists it, `set_member_role` and `accept_invitation`
/// return it.
#[pyclass(frozen, eq, hash, module = "tenantry._native", name = "Member")]
#[derive(PartialEq, Eq)]
pub(crate) struct PyMember(pub(crate) tenantry::Member);

impl std::hash::Hash for PyMember {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let m = &self.0;
        (m.id, &m.email, m.role, m.first_admin, m.created_at).hash(state);
    }
}

#[pymethods]
impl PyMember {
    #[getter]
    fn id(&self) -> String {
        self.0.id.to_hex()
    }
    #[getter]
    fn email(&self) -> &str {
        &self.0.email
    }
    #[getter]
    fn role(&self) -> &'static str {
        self.0.role.as_str()
    }
    #[getter]
    fn first_admin(&self) -> bool {
        self.0.first_admin
    }
    #[getter]
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", self.id())?;
        d.set_item("email", self.email())?;
        d.set_item("role", self.role())?;
        d.set_item("first_admin", self.first_admin())?;
        d.set_item("created_at", self.created_at())?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Member(id={}, email={}, role={}, first_admin={}, created_at={})",
            quoted(py, &self.id())?,
            quoted(py, &self.0.email)?,
            quoted(py, self.role())?,
            if self.0.first_admin { "True" } else { "False" },
            quoted(py, &self.0.created_at.to_rfc3339())?,
        ))
    }
}

/// A pending invitation as `invitations` lists it (and `Invitation.info` shows it):
/// everything but its secret.
#[pyclass(frozen, eq, hash, module = "tenantry._native", name = "InvitationInfo")]
#[derive(PartialEq, Eq)]
pub(crate) struct PyInvitationInfo(pub(crate) tenantry::InvitationInfo);

impl std::hash::Hash for PyInvitationInfo {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let i = &self.0;
        (
            i.id,
            &i.prefix,
            &i.email,
            i.role,
            i.invited_by,
            i.created_at,
            i.expires_at,
        )
            .hash(state);
    }
}

#[pymethods]
impl PyInvitationInfo {
    #[getter]
    fn id(&self) -> String {
        self.0.id.to_hex()
    }
    #[getter]
    fn prefix(&self) -> &str {
        &self.0.prefix
    }
    #[getter]
    fn email(&self) -> &str {
        &self.0.email
    }
    #[getter]
    fn role(&self) -> &'static str {
        self.0.role.as_str()
    }
    #[getter]
    fn invited_by(&self) -> String {
        self.0.invited_by.to_hex()
    }
    #[getter]
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    #[getter]
    fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", self.id())?;
        d.set_item("prefix", self.prefix())?;
        d.set_item("email", self.email())?;
        d.set_item("role", self.role())?;
        d.set_item("invited_by", self.invited_by())?;
        d.set_item("created_at", self.created_at())?;
        d.set_item("expires_at", self.expires_at())?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "InvitationInfo(id={}, prefix={}, email={}, role={}, invited_by={}, created_at={}, expires_at={})",
            quoted(py, &self.id())?,
            quoted(py, &self.0.prefix)?,
            quoted(py, &self.0.email)?,
            quoted(py, self.role())?,
            quoted(py, &self.invited_by())?,
            quoted(py, &self.0.created_at.to_rfc3339())?,
            quoted(py, &self.0.expires_at.to_rfc3339())?,
        ))
    }
}

/// An invitation just made, as `invite_member` returns it: its token, shown this once
/// (only its digest is stored), and what will be listed of it. Its `repr` shows the
/// token's prefix only, as the core's `Debug` does. Comparable, `to_dict()`; neither
/// hashable nor picklable (it holds a secret the core never serializes).
#[pyclass(frozen, eq, module = "tenantry._native", name = "Invitation")]
#[derive(PartialEq, Eq)]
pub(crate) struct PyInvitation(pub(crate) tenantry::Invitation);

#[pymethods]
impl PyInvitation {
    #[getter]
    fn token(&self) -> &str {
        &self.0.token
    }
    #[getter]
    fn info(&self) -> PyInvitationInfo {
        PyInvitationInfo(self.0.info.clone())
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("token", self.token())?;
        d.set_item("info", self.info().to_dict(py)?)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Invitation(token={}, info={})",
            quoted(py, &format!("{}_***", self.0.info.prefix))?,
            self.info().__repr__(py)?,
        ))
    }
}

/// A JSON document (the core's `serde_json::Value`, such as the JWKS), converted into
/// plain Python data (dicts, lists, strings, numbers) once the GIL is held.
pub(crate) struct Json(pub(crate) serde_json::Value);

impl<'py> IntoPyObject<'py> for Json {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::config::to_python(py, &self.0)
    }
}
