//! Python classes of the core's value types: [`tenantry::Tenant`], [`tenantry::Claims`],
//! [`tenantry::AccessToken`], [`tenantry::RecoveryReport`].
//!
//! Each wraps the core value unchanged and converts on attribute access only: ids become
//! 24-digit hex strings, instants aware UTC `datetime`s. The classes are frozen (immutable,
//! shareable across threads) and cannot be built from Python: a `Claims` can only come
//! from `verify_token`/`decode_token`, which is what makes it proof of a checked token.

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::PyString;

/// `repr()` of a string, the way Python writes it.
fn quoted(py: Python<'_>, s: &str) -> PyResult<String> {
    Ok(PyString::new(py, s).repr()?.to_string())
}

/// A tenant (organization), as `create_tenant`, `get_tenant` and `update_tenant` return it.
#[pyclass(frozen, eq, module = "tenantry._native", name = "Tenant")]
#[derive(PartialEq)]
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
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Tenant(name={}, collection_name={}, admin_email={}, id={})",
            quoted(py, &self.0.name)?,
            quoted(py, &self.0.collection_name)?,
            quoted(py, &self.0.admin_email)?,
            quoted(py, &self.0.id.to_hex())?,
        ))
    }
}

/// What a checked token says; the credential `update_tenant` and `delete_tenant` take.
#[pyclass(frozen, eq, module = "tenantry._native", name = "Claims")]
#[derive(PartialEq)]
pub(crate) struct PyClaims(pub(crate) tenantry::Claims);

#[pymethods]
impl PyClaims {
    #[getter]
    fn admin_id(&self) -> String {
        self.0.admin_id().to_hex()
    }
    #[getter]
    fn organization_id(&self) -> String {
        self.0.tenant_id().to_hex()
    }
    #[getter]
    fn organization_name(&self) -> &str {
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
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Claims(organization_name={}, organization_id={}, admin_id={}, expires_at={})",
            quoted(py, self.0.tenant_name())?,
            quoted(py, &self.0.tenant_id().to_hex())?,
            quoted(py, &self.0.admin_id().to_hex())?,
            quoted(py, &self.0.expires_at().to_rfc3339())?,
        ))
    }
}

/// A freshly issued access token and the ids it carries. Its `repr` never shows the token.
#[pyclass(frozen, module = "tenantry._native", name = "AccessToken")]
pub(crate) struct PyAccessToken(pub(crate) tenantry::AccessToken);

#[pymethods]
impl PyAccessToken {
    #[getter]
    fn access_token(&self) -> &str {
        &self.0.access_token
    }
    #[getter]
    fn token_type(&self) -> &'static str {
        self.0.token_type
    }
    #[getter]
    fn admin_id(&self) -> String {
        self.0.admin_id.to_hex()
    }
    #[getter]
    fn organization_id(&self) -> String {
        self.0.organization_id.to_hex()
    }
    #[getter]
    fn organization_name(&self) -> &str {
        &self.0.organization_name
    }
    #[getter]
    fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "AccessToken(access_token='***', organization_name={}, organization_id={}, admin_id={}, expires_at={})",
            quoted(py, &self.0.organization_name)?,
            quoted(py, &self.0.organization_id.to_hex())?,
            quoted(py, &self.0.admin_id.to_hex())?,
            quoted(py, &self.0.expires_at.to_rfc3339())?,
        ))
    }
}

/// What `recover()` found and did.
#[pyclass(frozen, eq, module = "tenantry._native", name = "RecoveryReport")]
#[derive(PartialEq)]
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
    fn __repr__(&self) -> String {
        let r = &self.0;
        format!(
            "RecoveryReport(completed={}, rolled_back={}, adopted={}, not_adopted={:?}, swept_keys={}, swept_tombstones={}, orphan_collections={:?}, failed={})",
            r.completed, r.rolled_back, r.adopted, r.not_adopted, r.swept_keys, r.swept_tombstones, r.orphan_collections, r.failed.len(),
        )
    }
}

/// One tenant `recover()` could not fix, with its error's code.
#[pyclass(frozen, eq, module = "tenantry._native", name = "RecoveryFailure")]
#[derive(PartialEq)]
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
    fn code(&self) -> &'static str {
        self.0.code
    }
    #[getter]
    fn message(&self) -> &str {
        &self.0.message
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "RecoveryFailure(name={}, code={})",
            quoted(py, &self.0.name)?,
            quoted(py, self.0.code)?
        ))
    }
}
