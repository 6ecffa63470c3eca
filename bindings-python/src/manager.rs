//! `TenantManager`: the core [`tenantry::TenantManager`] as an asyncio class.
//!
//! Each async method clones the manager (an `Arc` inside), moves owned arguments into a
//! core future and returns it as an awaitable through [`runtime::future_into_py`]. Nothing
//! here blocks while holding the GIL: the only synchronous work is `decode_token` (one
//! HMAC) and reading the configuration.

use pyo3::prelude::*;
use tenantry::mongodb::bson::Document;
use tenantry::{Config, Settings, TenantManager, TenantUpdate};

use crate::error::to_py_err;
use crate::runtime;
use crate::types::{PyAccessToken, PyClaims, PyRecoveryReport, PyTenant};

/// Creates, finds, updates, renames and deletes tenants, and authenticates their admins.
#[pyclass(frozen, module = "tenantry._native", name = "TenantManager")]
pub(crate) struct PyTenantManager {
    inner: TenantManager,
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
            Ok(PyTenantManager { inner })
        })
    }
}

#[pymethods]
impl PyTenantManager {
    /// Connect with explicit settings. Arguments left at `None` take the core's defaults.
    #[staticmethod]
    #[pyo3(signature = (
        *,
        mongo_uri,
        jwt_secret,
        master_db = None,
        jwt_algorithm = None,
        jwt_expire_minutes = None,
        bcrypt_cost = None,
        jwt_issuer = None,
        jwt_audience = None,
        jwt_leeway_seconds = None,
        min_password_chars = None,
        operation_lease_seconds = None,
        login_max_failures = None,
        login_window_seconds = None,
        login_lockout_seconds = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn connect(
        py: Python<'_>,
        mongo_uri: String,
        jwt_secret: String,
        master_db: Option<String>,
        jwt_algorithm: Option<String>,
        jwt_expire_minutes: Option<u64>,
        bcrypt_cost: Option<u32>,
        jwt_issuer: Option<String>,
        jwt_audience: Option<String>,
        jwt_leeway_seconds: Option<u64>,
        min_password_chars: Option<usize>,
        operation_lease_seconds: Option<u64>,
        login_max_failures: Option<u32>,
        login_window_seconds: Option<u64>,
        login_lockout_seconds: Option<u64>,
    ) -> PyResult<Bound<'_, PyAny>> {
        // Only conversion here: defaults, parsing and checks are the core's.
        let mut settings = Settings::new(mongo_uri, jwt_secret);
        settings.master_db = master_db;
        settings.jwt_algorithm = jwt_algorithm;
        settings.jwt_expire_minutes = jwt_expire_minutes;
        settings.bcrypt_cost = bcrypt_cost;
        settings.jwt_issuer = jwt_issuer;
        settings.jwt_audience = jwt_audience;
        settings.jwt_leeway_seconds = jwt_leeway_seconds;
        settings.min_password_chars = min_password_chars;
        settings.operation_lease_seconds = operation_lease_seconds;
        settings.login_max_failures = login_max_failures;
        settings.login_window_seconds = login_window_seconds;
        settings.login_lockout_seconds = login_lockout_seconds;
        Self::connect_with(py, settings.into_config())
    }

    /// Connect with the settings of the environment (the core's `Config::from_env`).
    #[staticmethod]
    fn from_env(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        Self::connect_with(py, Config::from_env())
    }

    /// The master database: tenant records, admins and the tenants' collections.
    #[getter]
    fn master_db(&self) -> &str {
        &self.inner.config().master_db
    }

    /// The pinned token algorithm.
    #[getter]
    fn jwt_algorithm(&self) -> &'static str {
        self.inner.config().jwt_algorithm.as_str()
    }

    /// Token lifetime in minutes.
    #[getter]
    fn jwt_expire_minutes(&self) -> u64 {
        self.inner.config().jwt_expiry.as_secs() / 60
    }

    /// bcrypt cost of new password hashes.
    #[getter]
    fn bcrypt_cost(&self) -> u32 {
        self.inner.config().bcrypt_cost
    }

    /// Failed logins per email (or client) that lock logins; 0 when the throttle is off.
    #[getter]
    fn login_max_failures(&self) -> u32 {
        self.inner
            .config()
            .login_throttle
            .map_or(0, |throttle| throttle.max_failures)
    }

    fn create_tenant<'py>(
        &self,
        py: Python<'py>,
        name: String,
        email: String,
        password: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            let tenant = manager.create_tenant(&name, &email, &password).await?;
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

    #[pyo3(signature = (claims, name, *, email = None, password = None, new_name = None))]
    fn update_tenant<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
        name: String,
        email: Option<String>,
        password: Option<String>,
        new_name: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        let claims = claims.get().0.clone();
        let mut update = TenantUpdate::new();
        if let Some(email) = email {
            update = update.admin_email(email);
        }
        if let Some(password) = password {
            update = update.admin_password(password);
        }
        if let Some(new_name) = new_name {
            update = update.new_name(new_name);
        }
        runtime::future_into_py(py, async move {
            Ok(PyTenant(
                manager.update_tenant(&claims, &name, update).await?,
            ))
        })
    }

    fn rename_tenant<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
        name: String,
        new_name: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        let claims = claims.get().0.clone();
        runtime::future_into_py(py, async move {
            Ok(PyTenant(
                manager.rename_tenant(&claims, &name, &new_name).await?,
            ))
        })
    }

    fn delete_tenant<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
        name: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        let claims = claims.get().0.clone();
        runtime::future_into_py(py, async move {
            manager.delete_tenant(&claims, &name).await?;
            // `()` would arrive as an empty tuple; the method returns None.
            Ok(None::<()>)
        })
    }

    /// Log an admin in; `client` (an IP address, or any key the application trusts) also
    /// counts failures per client for the login throttle.
    #[pyo3(signature = (email, password, *, client = None))]
    fn authenticate<'py>(
        &self,
        py: Python<'py>,
        email: String,
        password: String,
        client: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            let token = manager
                .authenticate_from(&email, &password, client.as_deref())
                .await?;
            Ok(PyAccessToken(token))
        })
    }

    fn verify_token<'py>(&self, py: Python<'py>, token: String) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            Ok(PyClaims(manager.verify_token(&token).await?))
        })
    }

    /// Signature, algorithm and expiry only: no database, so a revoked token passes.
    fn decode_token(&self, py: Python<'_>, token: &str) -> PyResult<PyClaims> {
        self.inner
            .decode_token(token)
            .map(PyClaims)
            .map_err(|e| to_py_err(py, e))
    }

    /// The client a request comes from, for the login throttle: `peer`, or the address
    /// `X-Forwarded-For` gives when `peer` is a trusted proxy (`TRUSTED_PROXIES`).
    #[pyo3(signature = (peer, forwarded_for = None))]
    fn client_address(&self, peer: &str, forwarded_for: Option<&str>) -> PyResult<String> {
        let peer: std::net::IpAddr = peer.trim().parse().map_err(|_| {
            pyo3::exceptions::PyValueError::new_err(format!("{peer:?} is not an IP address"))
        })?;
        Ok(self.inner.client_address(peer, forwarded_for).to_string())
    }

    /// Whether the database answers; raises `DatabaseError` if not.
    fn ping<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(py, async move {
            manager.ping().await?;
            Ok(None::<()>)
        })
    }

    fn recover<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        runtime::future_into_py(
            py,
            async move { Ok(PyRecoveryReport(manager.recover().await?)) },
        )
    }

    /// The name of the claims' tenant's own collection, for the application's own driver.
    fn tenant_collection_name<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        let claims = claims.get().0.clone();
        runtime::future_into_py(py, async move {
            let collection = manager.tenant_collection::<Document>(&claims).await?;
            Ok(collection.name().to_owned())
        })
    }

    /// `database.collection` of the claims' tenant's own collection.
    fn tenant_namespace<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'py, PyClaims>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let manager = self.inner.clone();
        let claims = claims.get().0.clone();
        runtime::future_into_py(py, async move {
            let collection = manager.tenant_collection::<Document>(&claims).await?;
            Ok(collection.namespace().to_string())
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let db = pyo3::types::PyString::new(py, &self.inner.config().master_db);
        Ok(format!("TenantManager(master_db={})", db.repr()?))
    }
}
