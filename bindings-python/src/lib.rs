//! `tenantry._native`: the Python extension module of the `tenantry` wheel.
//!
//! A thin layer over the Rust core (crate `tenantry`): each file mirrors one core module and
//! only converts types. `manager.rs` wraps `TenantManager`, `types.rs` the value types,
//! `audit.rs` the audit log's, `archive.rs` the archive's manifest and exports and imports
//! to and from files and `bytes`, `scope.rs` the `Confinement` and `Location` of a
//! tenant's data, `moves.rs` the progress reports of moves, exports and imports (a callback
//! on the event loop; for a move, also an async iterator), `error.rs` the error enum,
//! `config.rs` the `Settings`, `http.rs` the HTTP helpers (the error table, the operator
//! endpoints' queries and bodies, the bodies of the sessions, signing keys, API keys and
//! members endpoints),
//! `schema.rs` the per-tenant schema, the migrations written in Python and the report of a
//! run;
//! `runtime.rs` owns the one tokio runtime every async method runs on, and the bridge that
//! hands results to asyncio. The Python package (`python/tenantry`) re-exports these with
//! type stubs, defines the exception classes, and holds the FastAPI glue.

mod archive;
mod audit;
mod config;
mod error;
mod http;
mod manager;
mod moves;
mod runtime;
mod schema;
mod scope;
mod types;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_native")]
fn native_module(module: &Bound<'_, PyModule>) -> PyResult<()> {
    runtime::init(module)?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add("HOME_CLUSTER", tenantry::HOME_CLUSTER)?;
    module.add("DEFAULT_COLLECTION", tenantry::DEFAULT_COLLECTION)?;
    module.add_class::<manager::PyTenantManager>()?;
    module.add_class::<types::PyTenant>()?;
    module.add_class::<types::PyTenantPage>()?;
    module.add_class::<types::PyClaims>()?;
    module.add_class::<types::PyAccessToken>()?;
    module.add_class::<types::PyRecoveryReport>()?;
    module.add_class::<types::PyRecoveryFailure>()?;
    module.add_class::<types::PyMoveProgress>()?;
    module.add_class::<types::PySession>()?;
    module.add_class::<types::PySessionInfo>()?;
    module.add_class::<types::PySigningKeyInfo>()?;
    module.add_class::<types::PyApiKey>()?;
    module.add_class::<types::PyApiKeyInfo>()?;
    module.add_class::<types::PyMember>()?;
    module.add_class::<types::PyInvitationInfo>()?;
    module.add_class::<types::PyInvitation>()?;
    module.add_class::<audit::PyAuditEntry>()?;
    module.add_class::<audit::PyAuditPage>()?;
    module.add_class::<audit::PyAuditVerification>()?;
    module.add_class::<archive::PyArchiveManifest>()?;
    module.add_class::<moves::PyMoveProgressIterator>()?;
    module.add_class::<scope::PyConfinement>()?;
    module.add_class::<scope::PyLocation>()?;
    module.add_class::<schema::PyMigrationTenant>()?;
    module.add_class::<schema::PyMigrateReport>()?;
    module.add_class::<schema::PyMigrationFailure>()?;
    module.add_function(wrap_pyfunction!(types::restore, module)?)?;
    module.add_function(wrap_pyfunction!(types::core_fields, module)?)?;
    module.add_function(wrap_pyfunction!(error::raise_sample_error, module)?)?;
    module.add_function(wrap_pyfunction!(error::error_codes, module)?)?;
    module.add_function(wrap_pyfunction!(config::settings_fields, module)?)?;
    module.add_function(wrap_pyfunction!(http::response, module)?)?;
    module.add_function(wrap_pyfunction!(http::validation_response, module)?)?;
    module.add_function(wrap_pyfunction!(http::method_not_allowed, module)?)?;
    module.add_function(wrap_pyfunction!(http::tenant_query, module)?)?;
    module.add_function(wrap_pyfunction!(http::tenant_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::page_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::audit_query, module)?)?;
    module.add_function(wrap_pyfunction!(http::audit_tenant, module)?)?;
    module.add_function(wrap_pyfunction!(http::audit_page_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::verification_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::import_options, module)?)?;
    module.add_function(wrap_pyfunction!(http::migrate_options, module)?)?;
    module.add_function(wrap_pyfunction!(http::migrate_report_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::session_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::sessions_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::signing_key_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::signing_keys_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::new_api_key, module)?)?;
    module.add_function(wrap_pyfunction!(http::api_key_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::created_api_key_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::api_keys_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::claims_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::member_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::members_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::member_role, module)?)?;
    module.add_function(wrap_pyfunction!(http::new_invitation, module)?)?;
    module.add_function(wrap_pyfunction!(http::invitation_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::created_invitation_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::invitations_body, module)?)?;
    module.add_function(wrap_pyfunction!(http::accepted_invitation, module)?)?;
    module.add_function(wrap_pyfunction!(runtime::sample_panic, module)?)?;
    Ok(())
}
