//! `TenantManager`: the core [`tenantry::TenantManager`] as an asyncio class.
//!
//! Each async method clones the manager (an `Arc` inside), moves owned arguments into a
//! core future and returns it as an awaitable through [`runtime::future_into_py`]. Nothing
//! here blocks while holding the GIL: the synchronous methods (`decode_token`,
//! `check_tenant_name`, `check_operator`, `locate`, `collection`, `client_address`, the
//! settings, `set_schema`) do no I/O. The progress reports of a move, an export, an import
//! or a migration run go through `moves.rs`; exports and imports to and from files and
//! `bytes` are `archive.rs`'s; the schema and the migrations written in Python,
//! `schema.rs`'s.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyDict, PyInt, PyTzInfo};
use tenantry::mongodb::bson::oid::ObjectId;
use tenantry::mongodb::bson::Document;
use tenantry::{
    AuditQuery, Config, ImportOptions, MigrateOptions, MoveTarget, NewApiKey, NewInvitation, Role,
    TenantManager, TenantOptions, TenantQuery, TenantUpdate, DEFAULT_COLLECTION, MAX_PAGE,
};

use crate::archive;
use crate::audit::{PyAuditPage, PyAuditVerification};
use crate::config::{settings, to_python};
use crate::error::to_py_err;
use crate::moves::{self, PyMoveProgressIterator};
use crate::runtime;
use crate::schema::{self, PyMigrateReport};
use crate::scope::{self, PyLocation};
use crate::types::{
    Json, PyAccessToken, PyApiKey, PyApiKeyInfo, PyClaims, PyInvitation, PyInvitationInfo,
    PyMember, PyRecoveryReport, PySession, PySessionInfo, PySigningKeyInfo, PyTenant, PyTenantPage,
};

/// Creates, finds, updates, renames and deletes tenants, and authenticates their admins.
#[pyclass(frozen, module = "tenantry._native", name = "TenantManager")]
pub(crate) struct PyTenantManager {
    inner: TenantManager,
    /// The event loop of the migration runs going on (`schema.rs`).
    runs: Arc<schema::Runs>,
}

impl PyTenantManager {
    /// The configuration is read here, on the caller's thread (the environment is Python's
    /// to change, under the GIL), but a bad one fails the future, so that every error of
    /// `connect` arrives the same way: when it is awaited.
    fn connect_with(
        py: Python<'_>,
        config: tenantry::Result<Config>,
    ) -> PyResult<Bound<'_, PyAny>> {
        runtime::future_into_py(py, async move {
            let inner = TenantManager::connect(config?).await?;
            let runs = Arc::default();
            Ok(PyTenantManager { inner, runs })
        })
    }

    fn claims_of(claims: &Bound<'_, PyClaims>) -> tenantry::Claims {
        claims.get().0.clone()
    }
}

#[pymethods]
impl PyTenantManager {
    /// Connect with keyword settings (every field of the core's `Settings`); those left out
    /// take the core's defaults.
    #[staticmethod]
    #[pyo3(signature = (**settings))]
    fn connect<'py>(
        py: Python<'py>,
        settings: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let config = crate::config::settings(settings).and_then(tenantry::Settings::into_config);
        Self::connect_with(py, config)
    }

    /// Connect with the settings of the environment, keyword settings taking precedence.
    #[staticmethod]
    #[pyo3(signature = (**overrides))]
    fn from_env<'py>(
        py: Python<'py>,
        overrides: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::connect_with(py, settings(overrides).and_then(Config::from_env_with))
    }

    /// The settings in force, after defaults (the JWT secret left out): what an
    /// application building its own driver client needs (`mongo_uri`, `master_db`).
    #[getter]
    fn settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let map = self.inner.config().settings().to_map();
        to_python(py, &serde_json::Value::Object(map))
    }

    /// The master database: tenant records and admins (and the tenants' data unless the
    /// `tenants_db` setting names another).
    #[getter]
    fn master_db(&self) -> &str {
        &self.inner.config().master_db
    }

    /// Whether `aclose()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Create a tenant; `layout` (`collection`, `database`, `shared`), `naming` (`slug`,
    /// `stable`), `cluster` and `tag` override the configuration's placement, and are
    /// parsed and checked by the core (a bad one fails the future with `InvalidInput`).
    #[pyo3(signature = (name, email, password, *, layout = None, naming = None, cluster = None, tag = None))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments
    fn create_tenant<'py>(
        &self,
        py: Python<'py>,
        name: String,
        email: String,
        password: String,
        layout: Option<String>,
        naming: Option<String>,
        cluster: Option<String>,
        tag: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        let options = tenant_options(layout, naming, cluster, tag);
        runtime::future_into_py(py, async move {
            let tenant = manager
                .create_tenant_with(&name, &email, &password, options?)
                .await?;
            Ok(PyTenant(tenant))
        })
    }

    fn get_tenant<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(
            py,
            async move { Ok(PyTenant(manager.get_tenant(&name).await?)) },
        )
    }

    #[pyo3(signature = (claims, *, email = None, password = None, new_name = None))]
    fn update_tenant<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
        email: Option<String>,
        password: Option<String>,
        new_name: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, claims) = (self.inner.clone(), Self::claims_of(claims));
        let mut update = TenantUpdate::new();
        update.admin_email = email;
        update.admin_password = password;
        update.new_name = new_name;
        runtime::future_into_py(py, async move {
            Ok(PyTenant(manager.update_tenant(&claims, update).await?))
        })
    }

    fn rename_tenant<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
        new_name: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, claims) = (self.inner.clone(), Self::claims_of(claims));
        runtime::future_into_py(py, async move {
            Ok(PyTenant(manager.rename_tenant(&claims, &new_name).await?))
        })
    }

    fn delete_tenant<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, claims) = (self.inner.clone(), Self::claims_of(claims));
        runtime::future_into_py(py, async move {
            manager.delete_tenant(&claims).await?;
            // `()` would arrive as an empty tuple; the method returns None.
            Ok(None::<()>)
        })
    }

    /// Bring back the softly deleted tenant named `name` (any spelling) within its
    /// retention. An administration call: no token is checked.
    fn restore_tenant<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            Ok(PyTenant(manager.restore_tenant(&name).await?))
        })
    }

    /// Suspend the tenant named `name` (any spelling): its logins, earlier tokens and
    /// scopes are refused with `TENANT_SUSPENDED` until `resume_tenant`; `reason` (one
    /// line, at most 500 characters) is kept on the record. An administration call: no
    /// token is checked.
    #[pyo3(signature = (name, reason = None))]
    fn suspend_tenant<'py>(
        &self,
        py: Python<'py>,
        name: String,
        reason: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            Ok(PyTenant(
                manager.suspend_tenant(&name, reason.as_deref()).await?,
            ))
        })
    }

    /// Lift the suspension of the tenant named `name` (any spelling). An administration
    /// call: no token is checked.
    fn resume_tenant<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            Ok(PyTenant(manager.resume_tenant(&name).await?))
        })
    }

    /// Remove the softly deleted tenant named `name` (any spelling) now, whatever its
    /// retention. An administration call: no token is checked.
    fn purge_tenant<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            manager.purge_tenant(&name).await?;
            Ok(None::<()>)
        })
    }

    /// Purge every softly deleted tenant whose retention has passed; how many.
    fn purge_expired<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move { manager.purge_expired().await })
    }

    /// Rename the tenant named `name` (any spelling) to `new_name`, as its admin could. An
    /// administration call: no token is checked.
    fn admin_rename_tenant<'py>(
        &self,
        py: Python<'py>,
        name: String,
        new_name: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            Ok(PyTenant(
                manager.admin_rename_tenant(&name, &new_name).await?,
            ))
        })
    }

    /// Delete the tenant named `name` (any spelling), as its admin could (softly with a
    /// deleted retention). An administration call: no token is checked.
    fn admin_delete_tenant<'py>(
        &self,
        py: Python<'py>,
        name: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            manager.admin_delete_tenant(&name).await?;
            Ok(None::<()>)
        })
    }

    /// One page of the audit log of the tenant with the id `tenant_id`, in order. The
    /// arguments are converted here and checked by the core; a bad one fails the future
    /// with `InvalidInput` naming it.
    #[pyo3(signature = (tenant_id, *, op = None, since = None, until = None, limit = None, after = None))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments
    fn audit_log<'py>(
        &self,
        py: Python<'py>,
        tenant_id: String,
        op: Option<String>,
        since: Option<Bound<'py, PyDateTime>>,
        until: Option<Bound<'py, PyDateTime>>,
        limit: Option<Bound<'py, PyInt>>,
        after: Option<Bound<'py, PyInt>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let query = (|| {
            let mut query = AuditQuery::new();
            query.op = op;
            query.since = since.map(|t| instant("since", &t)).transpose()?;
            query.until = until.map(|t| instant("until", &t)).transpose()?;
            query.limit = limit.as_ref().map(page_size).transpose()?;
            query.after = after.as_ref().map(sequence_number).transpose()?;
            Ok::<_, tenantry::Error>(query)
        })();
        let (manager, tenant) = (self.inner.clone(), tenant_of(&tenant_id));
        runtime::future_into_py(py, async move {
            Ok(PyAuditPage(manager.audit_log(tenant?, &query?).await?))
        })
    }

    /// Walk the audit log of the tenant with the id `tenant_id`: whether its hash chain is
    /// whole, and where it breaks if not.
    fn verify_audit<'py>(&self, py: Python<'py>, tenant_id: String) -> PyResult<Bound<'py, PyAny>> {
        let (manager, tenant) = (self.inner.clone(), tenant_of(&tenant_id));
        runtime::future_into_py(py, async move {
            Ok(PyAuditVerification(manager.verify_audit(tenant?).await?))
        })
    }

    /// Write the tenant named `name` (any spelling) as an archive to the file `path`
    /// (`archive.rs`); the archive's manifest. `progress` as for `move_tenant`. An
    /// administration call: no token is checked.
    #[pyo3(signature = (name, path, *, progress = None))]
    fn export_tenant<'py>(
        &self,
        py: Python<'py>,
        name: String,
        path: PathBuf,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        moves::reporting(py, progress, move |report| {
            archive::export_to_file(manager, name, path, report)
        })
    }

    /// [`export_tenant`](Self::export_tenant) into memory: the archive as `bytes`.
    #[pyo3(signature = (name, *, progress = None))]
    fn export_tenant_bytes<'py>(
        &self,
        py: Python<'py>,
        name: String,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        moves::reporting(py, progress, move |report| {
            archive::export_to_bytes(manager, name, report)
        })
    }

    /// Import a tenant from the archive in the file `path`: the tenant and the archive's
    /// manifest. Unset options keep the archive's name, admin email and layout; `cluster`
    /// is the placement policy's choice when unset. An administration call: no token is
    /// checked.
    #[pyo3(signature = (path, *, name = None, admin_email = None, layout = None, cluster = None, progress = None))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments
    fn import_tenant<'py>(
        &self,
        py: Python<'py>,
        path: PathBuf,
        name: Option<String>,
        admin_email: Option<String>,
        layout: Option<String>,
        cluster: Option<String>,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        let options = import_options(name, admin_email, layout, cluster);
        moves::reporting(py, progress, move |report| {
            archive::import_from_file(manager, path, options, report)
        })
    }

    /// [`import_tenant`](Self::import_tenant) from the archive `data` (`bytes`, or a
    /// `bytearray`, copied when called).
    #[pyo3(signature = (data, *, name = None, admin_email = None, layout = None, cluster = None, progress = None))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments
    fn import_tenant_bytes<'py>(
        &self,
        py: Python<'py>,
        data: Cow<'_, [u8]>,
        name: Option<String>,
        admin_email: Option<String>,
        layout: Option<String>,
        cluster: Option<String>,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, data) = (self.inner.clone(), data.into_owned());
        let options = import_options(name, admin_email, layout, cluster);
        moves::reporting(py, progress, move |report| {
            archive::import_from_bytes(manager, data, options, report)
        })
    }

    /// One page of the tenants matching the filters, in creation order. The filters are
    /// converted here and checked by the core; a bad one fails the future with
    /// `InvalidInput` naming it, as the core's own checks (page size, cursor) do.
    #[pyo3(signature = (
        *, state = None, layout = None, cluster = None, name_prefix = None,
        created_after = None, created_before = None, limit = None, after = None
    ))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments
    fn list_tenants<'py>(
        &self,
        py: Python<'py>,
        state: Option<String>,
        layout: Option<String>,
        cluster: Option<String>,
        name_prefix: Option<String>,
        created_after: Option<Bound<'py, PyDateTime>>,
        created_before: Option<Bound<'py, PyDateTime>>,
        limit: Option<Bound<'py, PyInt>>,
        after: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let filters = Filters {
            state,
            layout,
            cluster,
            name_prefix,
            created_after,
            created_before,
        };
        let query = filters.query().and_then(|mut query| {
            query.limit = limit.as_ref().map(page_size).transpose()?;
            query.after = after;
            Ok(query)
        });
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            Ok(PyTenantPage(manager.list_tenants(&query?).await?))
        })
    }

    /// How many tenants match the filters (those of `list_tenants`, without its page).
    #[pyo3(signature = (
        *, state = None, layout = None, cluster = None, name_prefix = None,
        created_after = None, created_before = None
    ))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments
    fn count_tenants<'py>(
        &self,
        py: Python<'py>,
        state: Option<String>,
        layout: Option<String>,
        cluster: Option<String>,
        name_prefix: Option<String>,
        created_after: Option<Bound<'py, PyDateTime>>,
        created_before: Option<Bound<'py, PyDateTime>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let filters = Filters {
            state,
            layout,
            cluster,
            name_prefix,
            created_after,
            created_before,
        };
        let query = filters.query();
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move { manager.count_tenants(&query?).await })
    }

    /// Raise `Forbidden` unless `name` (any spelling) is the claims' tenant's.
    fn check_tenant_name(
        &self,
        py: Python<'_>,
        claims: &Bound<'_, PyClaims>,
        name: &str,
    ) -> PyResult<()> {
        self.inner
            .check_tenant_name(&claims.get().0, name)
            .map_err(|e| to_py_err(py, e))
    }

    /// Log a member in (the core's `authenticate_from`); with `organization_name`, into
    /// that tenant (`authenticate_in`: an email may be a member of several tenants).
    #[pyo3(signature = (email, password, *, client = None, organization_name = None))]
    fn authenticate<'py>(
        &self,
        py: Python<'py>,
        email: String,
        password: String,
        client: Option<String>,
        organization_name: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            let client = client.as_deref();
            let token = match organization_name {
                Some(tenant) => {
                    manager
                        .authenticate_in(&tenant, &email, &password, client)
                        .await?
                }
                None => manager.authenticate_from(&email, &password, client).await?,
            };
            Ok(PyAccessToken(token))
        })
    }

    /// Log in as `authenticate` does (throttled, audited; into the tenant named
    /// `organization_name` when given, the core's `login_session_in`) and open a session:
    /// a short access token and a refresh token (the core's `login_session`).
    #[pyo3(signature = (email, password, *, client = None, organization_name = None))]
    fn login_session<'py>(
        &self,
        py: Python<'py>,
        email: String,
        password: String,
        client: Option<String>,
        organization_name: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            let client = client.as_deref();
            let session = match organization_name {
                Some(tenant) => {
                    manager
                        .login_session_in(&tenant, &email, &password, client)
                        .await?
                }
                None => manager.login_session(&email, &password, client).await?,
            };
            Ok(PySession(session))
        })
    }

    /// Renew a session: the next access and refresh tokens; the refresh token given is
    /// used up (presented again, it ends the whole session).
    fn refresh_session<'py>(
        &self,
        py: Python<'py>,
        refresh_token: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            Ok(PySession(manager.refresh_session(&refresh_token).await?))
        })
    }

    /// The open sessions of the claims' admin, newest first.
    fn sessions<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, claims) = (self.inner.clone(), Self::claims_of(claims));
        runtime::future_into_py(py, async move {
            let sessions = manager.sessions(&claims).await?;
            Ok(sessions.into_iter().map(PySessionInfo).collect::<Vec<_>>())
        })
    }

    /// End the claims' admin's session `session_id` (24 hex digits, parsed by the core's
    /// `http::session_id`); whether it was open.
    fn end_session<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
        session_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, claims) = (self.inner.clone(), Self::claims_of(claims));
        let session = tenantry::http::session_id(&session_id);
        runtime::future_into_py(
            py,
            async move { manager.end_session(&claims, session?).await },
        )
    }

    /// Log out everywhere: end every session of the claims' admin and revoke its access
    /// tokens; how many sessions were open.
    fn end_all_sessions<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, claims) = (self.inner.clone(), Self::claims_of(claims));
        runtime::future_into_py(py, async move { manager.end_all_sessions(&claims).await })
    }

    /// Make an API key for the claims' tenant (an admin's token; `Forbidden` for an API
    /// key's claims): `name` (1 to 100 characters), `scopes` (1 to 32, each 1 to 64 of
    /// `A-Z a-z 0-9 : . _ -`), `expires_at` an aware `datetime` in the future or `None`
    /// (never). The key is in the answer this once; only its digest is stored. Checked by
    /// the core (`InvalidInput` naming the field, `api_key_name` for the name; a naive
    /// `datetime` is refused here, as `audit_log` refuses one); `Conflict` when the tenant
    /// holds its most keys.
    #[pyo3(signature = (claims, name, scopes, expires_at = None))]
    fn create_api_key<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
        name: String,
        scopes: Vec<String>,
        expires_at: Option<Bound<'py, PyDateTime>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, claims) = (self.inner.clone(), Self::claims_of(claims));
        let expires_at = expires_at.map(|t| instant("expires_at", &t)).transpose();
        runtime::future_into_py(py, async move {
            let mut key = NewApiKey::new(name, scopes);
            if let Some(at) = expires_at? {
                key = key.expires_at(at);
            }
            Ok(PyApiKey(manager.create_api_key(&claims, key).await?))
        })
    }

    /// The claims' tenant's API keys that are not revoked (expired ones included), oldest
    /// first, without their secrets.
    fn api_keys<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, claims) = (self.inner.clone(), Self::claims_of(claims));
        runtime::future_into_py(py, async move {
            let keys = manager.api_keys(&claims).await?;
            Ok(keys.into_iter().map(PyApiKeyInfo).collect::<Vec<_>>())
        })
    }

    /// Revoke the claims' tenant's API key `key_id` (24 hex digits, parsed by the core's
    /// `http::api_key_id`); whether it was one of the tenant's live keys.
    fn revoke_api_key<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
        key_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, claims) = (self.inner.clone(), Self::claims_of(claims));
        let key = tenantry::http::api_key_id(&key_id);
        runtime::future_into_py(
            py,
            async move { manager.revoke_api_key(&claims, key?).await },
        )
    }

    /// The members of the claims' tenant (any member's token; `Forbidden` for an API
    /// key's claims): its first admin, then the others as they joined.
    fn members<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, claims) = (self.inner.clone(), Self::claims_of(claims));
        runtime::future_into_py(py, async move {
            let members = manager.members(&claims).await?;
            Ok(members.into_iter().map(PyMember).collect::<Vec<_>>())
        })
    }

    /// Change the role of the claims' tenant's member `member_id` (24 hex digits, parsed
    /// by the core's `http::member_id`) to `role` (`owner`, `admin` or `member`, parsed by
    /// the core); the member as it is now, or `None` when the tenant has no such member.
    /// Both are refused when awaited, as every error.
    fn set_member_role<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
        member_id: String,
        role: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, claims) = (self.inner.clone(), Self::claims_of(claims));
        let member = tenantry::http::member_id(&member_id);
        let role = role.parse::<Role>();
        runtime::future_into_py(py, async move {
            let member = manager.set_member_role(&claims, member?, role?).await?;
            Ok(member.map(PyMember))
        })
    }

    /// Remove the claims' tenant's member `member_id` (parsed as for `set_member_role`):
    /// its sessions end, its tokens stop verifying; whether the tenant had such a member.
    fn remove_member<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
        member_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, claims) = (self.inner.clone(), Self::claims_of(claims));
        let member = tenantry::http::member_id(&member_id);
        runtime::future_into_py(
            py,
            async move { manager.remove_member(&claims, member?).await },
        )
    }

    /// Invite `email` into the claims' tenant as `role` (parsed by the core), until
    /// `expires_at` (an aware `datetime`; the core's 7 days when `None`, at most 30): the
    /// token is in the answer this once, only its digest is stored. A naive `datetime` is
    /// refused here, as `create_api_key` refuses one.
    #[pyo3(signature = (claims, email, role, *, expires_at = None))]
    fn invite_member<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
        email: String,
        role: String,
        expires_at: Option<Bound<'py, PyDateTime>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, claims) = (self.inner.clone(), Self::claims_of(claims));
        let role = role.parse::<Role>();
        let expires_at = expires_at.map(|t| instant("expires_at", &t)).transpose();
        runtime::future_into_py(py, async move {
            let mut invitation = NewInvitation::new(email, role?);
            if let Some(at) = expires_at? {
                invitation = invitation.expires_at(at);
            }
            Ok(PyInvitation(
                manager.invite_member(&claims, invitation).await?,
            ))
        })
    }

    /// The claims' tenant's pending invitations, oldest first, without their tokens.
    fn invitations<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, claims) = (self.inner.clone(), Self::claims_of(claims));
        runtime::future_into_py(py, async move {
            let invitations = manager.invitations(&claims).await?;
            Ok(invitations
                .into_iter()
                .map(PyInvitationInfo)
                .collect::<Vec<_>>())
        })
    }

    /// Revoke the claims' tenant's pending invitation `invitation_id` (24 hex digits,
    /// parsed by the core's `http::invitation_id`); whether there was one.
    fn revoke_invitation<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
        invitation_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, claims) = (self.inner.clone(), Self::claims_of(claims));
        let invitation = tenantry::http::invitation_id(&invitation_id);
        runtime::future_into_py(py, async move {
            manager.revoke_invitation(&claims, invitation?).await
        })
    }

    /// Accept an invitation (`tni_...`): its email joins its tenant with its role and
    /// `password`; the new member. No claims: the invitee has no account yet.
    fn accept_invitation<'py>(
        &self,
        py: Python<'py>,
        token: String,
        password: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            Ok(PyMember(
                manager.accept_invitation(&token, &password).await?,
            ))
        })
    }

    /// The claims of an API key (`tnk_...`), with its id and scopes: they reach the
    /// tenant's data, never manage the tenant.
    fn verify_api_key<'py>(&self, py: Python<'py>, key: String) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            Ok(PyClaims(manager.verify_api_key(&key).await?))
        })
    }

    /// The claims of a bearer credential of either kind: an API key (it begins with
    /// `tnk_`) or an access token.
    fn verify_credential<'py>(
        &self,
        py: Python<'py>,
        credential: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            Ok(PyClaims(manager.verify_credential(&credential).await?))
        })
    }

    /// The published token-verification keys, a JWKS document (RFC 7517) as a dict, to
    /// serve at `/.well-known/jwks.json`: with `EdDSA`, every key that signs, will sign or
    /// still verifies tokens it signed; `{"keys": []}` with an HMAC algorithm.
    fn jwks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move { Ok(Json(manager.jwks().await?)) })
    }

    /// The signing keys' timeline (`EdDSA`), oldest first. `InvalidInput` with an HMAC
    /// algorithm.
    fn signing_keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            let keys = manager.signing_keys().await?;
            Ok(keys.into_iter().map(PySigningKeyInfo).collect::<Vec<_>>())
        })
    }

    /// Rotate the signing keys now (`EdDSA`; an operator call): the new key, published at
    /// once, signing from the `signing_key_lead_seconds` setting later. `InvalidInput`
    /// with an HMAC algorithm.
    fn rotate_signing_key<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            Ok(PySigningKeyInfo(manager.rotate_signing_key().await?))
        })
    }

    #[pyo3(signature = (peer, forwarded_for = None))]
    fn client_address(
        &self,
        py: Python<'_>,
        peer: &str,
        forwarded_for: Option<&str>,
    ) -> PyResult<String> {
        let peer: std::net::IpAddr = peer.trim().parse().map_err(|_| {
            let err = tenantry::Error::InvalidInput {
                field: "peer",
                message: "is not an IP address".into(),
            };
            to_py_err(py, err)
        })?;
        Ok(self.inner.client_address(peer, forwarded_for).to_string())
    }

    fn verify_token<'py>(&self, py: Python<'py>, token: String) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            Ok(PyClaims(manager.verify_token(&token).await?))
        })
    }

    fn decode_token(&self, py: Python<'_>, token: &str) -> PyResult<PyClaims> {
        self.inner
            .decode_token(token)
            .map(PyClaims)
            .map_err(|e| to_py_err(py, e))
    }

    /// Move the data of the tenant named `name` (any spelling) to another `layout` and/or
    /// `cluster`, online (the core's `move_tenant`); `progress`, when given, is called on
    /// the event loop's thread with each `MoveProgress`. An administration call: no token
    /// is checked, so only trusted code may call it (a server checks its caller with
    /// `check_operator` first).
    #[pyo3(signature = (name, *, layout = None, cluster = None, progress = None))]
    fn move_tenant<'py>(
        &self,
        py: Python<'py>,
        name: String,
        layout: Option<String>,
        cluster: Option<String>,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, target) = (self.inner.clone(), move_target(layout, cluster));
        moves::reporting(py, progress, move |report| async move {
            let moved = manager
                .move_tenant_with_progress(&name, target?, report)
                .await?;
            Ok(PyTenant(moved))
        })
    }

    /// [`move_tenant`](Self::move_tenant) as an async iterator of its progress reports,
    /// which starts the move when first awaited and ends with it.
    #[pyo3(signature = (name, *, layout = None, cluster = None))]
    fn move_tenant_progress(
        &self,
        name: String,
        layout: Option<String>,
        cluster: Option<String>,
    ) -> PyMoveProgressIterator {
        PyMoveProgressIterator::new(self.inner.clone(), name, move_target(layout, cluster))
    }

    /// Declare the schema every tenant's data follows (the core's `set_schema`): a dict
    /// shaped as the core's `Schema::from_json` reads, values converted by pymongo's
    /// `bson`, a migration written in Python as `{"id", "function", "version"}`
    /// (`schema.rs`). A declaration that does not read raises `InvalidInput` (`schema`).
    fn set_schema(&self, py: Python<'_>, schema: &Bound<'_, PyAny>) -> PyResult<()> {
        let schema = schema::declared(schema, &self.runs)?;
        self.inner
            .set_schema(schema)
            .map_err(|e| to_py_err(py, schema::declaration_error(e)))
    }

    /// Apply the declared schema's migrations that each active tenant lacks (the core's
    /// `migrate`), the functions written in Python on the running loop; `progress`, when
    /// given, is called on the loop's thread with `(done, total)` after each tenant. An
    /// administration call: no token is checked.
    #[pyo3(signature = (*, parallelism = None, dry_run = false, stop_on_failure = false, progress = None))]
    fn migrate<'py>(
        &self,
        py: Python<'py>,
        parallelism: Option<Bound<'py, PyInt>>,
        dry_run: bool,
        stop_on_failure: bool,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        let event_loop = pyo3_async_runtimes::get_running_loop(py)?.unbind();
        let running = self.runs.enter(event_loop);
        let mut options = MigrateOptions::new();
        // The core checks the range; a whole number no `usize` holds (a negative one) is
        // out of it all the same, and refused in the core's words.
        options.parallelism = parallelism.map(|n| n.extract::<usize>().unwrap_or(0));
        options.dry_run = dry_run;
        options.stop_on_failure = stop_on_failure;
        moves::counting(py, progress, move |counter| async move {
            options.progress = counter;
            let running = running?;
            // A task of its own, holding the run's loop until the core's run ends: a caller
            // that stops waiting does not end it (the core's run goes on, functions too).
            let run = pyo3_async_runtimes::tokio::get_runtime().spawn(async move {
                let report = manager.migrate(options).await;
                drop(running);
                report
            });
            match run.await {
                Ok(report) => Ok(PyMigrateReport(report?)),
                Err(_) => Err(tenantry::Error::Internal(
                    "the migration run panicked".into(),
                )),
            }
        })
    }

    /// Raise `Unauthorized` unless `token` is the configured operator token (compared in
    /// constant time), `Forbidden` when none is configured (operator calls are off).
    fn check_operator(&self, py: Python<'_>, token: &str) -> PyResult<()> {
        self.inner
            .check_operator(token)
            .map_err(|e| to_py_err(py, e))
    }

    /// Where the claims' tenant's logical collection `name` is (no round trip: verified
    /// claims carry the tenant's placement).
    #[pyo3(signature = (claims, name = DEFAULT_COLLECTION))]
    fn locate(
        &self,
        py: Python<'_>,
        claims: &Bound<'_, PyClaims>,
        name: &str,
    ) -> PyResult<PyLocation> {
        self.inner
            .locate(&claims.get().0, name)
            .map(PyLocation)
            .map_err(|e| to_py_err(py, e))
    }

    /// The claims' tenant's logical collection `name` on the application's own driver:
    /// `client` is a pymongo `MongoClient` or `AsyncMongoClient`, or a motor client
    /// (anything indexed as `client[database][collection]`), connected to the tenant's
    /// cluster. In the `shared` layout the collection comes wrapped in a
    /// `ConfinedCollection`. No round trip: verified claims carry the placement.
    #[pyo3(signature = (claims, client, name = DEFAULT_COLLECTION))]
    fn collection<'py>(
        &self,
        claims: &Bound<'py, PyClaims>,
        client: &Bound<'py, PyAny>,
        name: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let location = self
            .inner
            .locate(&claims.get().0, name)
            .map_err(|e| to_py_err(claims.py(), e))?;
        scope::collection_on(client, &location)
    }

    /// [`collection`](Self::collection) for the tenant named `name`, for administration:
    /// no token is checked, so only trusted code may call it (a round trip).
    #[pyo3(signature = (name, client, collection = DEFAULT_COLLECTION.to_owned()))]
    fn admin_collection<'py>(
        &self,
        py: Python<'py>,
        name: String,
        client: Py<PyAny>,
        collection: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            let location = manager.admin_scope(&name).await?.locate(&collection)?;
            Ok(scope::Opened { client, location })
        })
    }

    /// The name of the claims' tenant's collection now (a round trip; verified claims also
    /// carry it as `collection_name`).
    fn tenant_collection_name<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (manager, claims) = (self.inner.clone(), Self::claims_of(claims));
        runtime::future_into_py(py, async move {
            let collection = manager.tenant_collection::<Document>(&claims).await?;
            Ok(collection.name())
        })
    }

    fn recover<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(
            py,
            async move { Ok(PyRecoveryReport(manager.recover().await?)) },
        )
    }

    /// Whether the database answers; raises `DatabaseError` if not.
    fn ping<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            manager.ping().await?;
            Ok(None::<()>)
        })
    }

    /// Close: new calls raise `ManagerClosed`; running operations end first; the
    /// connections of a client made from `mongo_uri` are closed.
    fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            manager.close().await;
            Ok(None::<()>)
        })
    }

    fn __aenter__<'py>(slf: Py<Self>, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        runtime::future_into_py(py, async move { Ok(slf) })
    }

    #[pyo3(signature = (*_exc))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _exc: &Bound<'py, pyo3::types::PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.aclose(py)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let db = pyo3::types::PyString::new(py, &self.inner.config().master_db);
        Ok(format!("TenantManager(master_db={})", db.repr()?))
    }
}

/// The core's options of a new tenant, from `create_tenant`'s keyword arguments.
fn tenant_options(
    layout: Option<String>,
    naming: Option<String>,
    cluster: Option<String>,
    tag: Option<String>,
) -> tenantry::Result<TenantOptions> {
    let mut options = TenantOptions::new();
    options.layout = layout.map(|l| l.parse()).transpose()?;
    options.naming = naming.map(|n| n.parse()).transpose()?;
    options.cluster = cluster;
    options.tag = tag;
    Ok(options)
}

/// The core's target of a move, from `move_tenant`'s keyword arguments.
fn move_target(layout: Option<String>, cluster: Option<String>) -> tenantry::Result<MoveTarget> {
    let mut target = MoveTarget::new();
    target.layout = layout.map(|l| l.parse()).transpose()?;
    target.cluster = cluster;
    Ok(target)
}

/// The core's options of an import, from `import_tenant`'s keyword arguments.
fn import_options(
    name: Option<String>,
    admin_email: Option<String>,
    layout: Option<String>,
    cluster: Option<String>,
) -> tenantry::Result<ImportOptions> {
    let mut options = ImportOptions::new();
    options.name = name;
    options.admin_email = admin_email;
    options.layout = layout.map(|l| l.parse()).transpose()?;
    options.cluster = cluster;
    Ok(options)
}

/// A tenant's id as the audit log takes it.
fn tenant_of(id: &str) -> tenantry::Result<ObjectId> {
    ObjectId::parse_str(id).map_err(|_| tenantry::Error::InvalidInput {
        field: "tenant_id",
        message: "must be a tenant id (24 hexadecimal digits)".to_owned(),
    })
}

/// An audit entry's `seq` (a page's `next`), as the core takes it.
fn sequence_number(after: &Bound<'_, PyInt>) -> tenantry::Result<i64> {
    after
        .extract::<i64>()
        .map_err(|_| tenantry::Error::InvalidInput {
            field: "after",
            message: "must be the seq of an entry (a 64-bit whole number)".to_owned(),
        })
}

/// The filters `list_tenants` and `count_tenants` share, as Python gave them.
struct Filters<'py> {
    state: Option<String>,
    layout: Option<String>,
    cluster: Option<String>,
    name_prefix: Option<String>,
    created_after: Option<Bound<'py, PyDateTime>>,
    created_before: Option<Bound<'py, PyDateTime>>,
}

impl Filters<'_> {
    /// The core's query of these filters (the first page, the default size); a state or
    /// layout is parsed by the core, an instant converted by [`instant`].
    fn query(self) -> tenantry::Result<TenantQuery> {
        let mut query = TenantQuery::new();
        query.state = self.state.map(|s| s.parse()).transpose()?;
        query.layout = self.layout.map(|l| l.parse()).transpose()?;
        query.cluster = self.cluster;
        query.name_prefix = self.name_prefix;
        query.created_after = self
            .created_after
            .map(|t| instant("created_after", &t))
            .transpose()?;
        query.created_before = self
            .created_before
            .map(|t| instant("created_before", &t))
            .transpose()?;
        Ok(query)
    }
}

/// An aware `datetime` as the instant it names, whatever its time zone. A naive one is
/// refused rather than guessed at (UTC? local time?): the tenants' own times are aware UTC.
fn instant(field: &'static str, time: &Bound<'_, PyDateTime>) -> tenantry::Result<DateTime<Utc>> {
    let invalid = |message: &str| tenantry::Error::InvalidInput {
        field,
        message: message.to_owned(),
    };
    let offset = time
        .call_method0("utcoffset")
        .map_err(|_| invalid("has a time zone that gives no offset"))?;
    if offset.is_none() {
        return Err(invalid(
            "must be timezone-aware (a naive datetime names no instant)",
        ));
    }
    let utc = PyTzInfo::utc(time.py()).map_err(|_| invalid("cannot be converted to UTC"))?;
    time.call_method1("astimezone", (utc,))
        .and_then(|t| t.extract::<DateTime<Utc>>())
        .map_err(|_| invalid("is out of range once converted to UTC"))
}

/// A page size as the core takes it: an `int` too large or negative is refused with the
/// core's words for a size out of its range.
fn page_size(limit: &Bound<'_, PyInt>) -> tenantry::Result<usize> {
    limit
        .extract::<usize>()
        .map_err(|_| tenantry::Error::InvalidInput {
            field: "limit",
            message: format!("must be between 1 and {MAX_PAGE}"),
        })
}
