//! Options and results crossing the boundary: plain JS objects (and the opaque `Claims`
//! class), camelCase, ids as 24-digit hex strings, timestamps as `Date`.
//!
//! Conversions only: defaults, ranges and parsing (the JWT algorithm name, the bcrypt cost,
//! the database name...) are decided by core's `Config::builder`.

use chrono::{DateTime, Utc};
use napi::bindgen_prelude::{Either, Null};
use napi_derive::napi;
use tenantry::{Config, Settings};

/// How to reach MongoDB and how to issue tokens. Only `mongoUri` and `jwtSecret` are
/// required; everything else takes the core's defaults (those of the original service).
#[napi(object)]
pub struct ConnectOptions {
    /// MongoDB connection string (`mongodb://...` or `mongodb+srv://...`).
    pub mongo_uri: String,
    /// HMAC secret for access tokens, at least 16 bytes.
    pub jwt_secret: String,
    /// Database holding `organizations`, `admin_users` and the tenant collections
    /// (default `master_db`).
    pub master_db: Option<String>,
    /// Token signing algorithm: `HS256` (default), `HS384` or `HS512`.
    pub jwt_algorithm: Option<String>,
    /// Token lifetime in minutes (default 1440).
    pub jwt_expire_minutes: Option<f64>,
    /// `iss` claim to set and require.
    pub jwt_issuer: Option<String>,
    /// `aud` claim to set and require.
    pub jwt_audience: Option<String>,
    /// Clock skew tolerated when checking `exp`, in seconds (default 30, at most 300).
    pub jwt_leeway_seconds: Option<f64>,
    /// bcrypt cost for new password hashes, 4 to 31 (default 12).
    pub bcrypt_cost: Option<f64>,
    /// Shortest accepted new password, in characters (default 8).
    pub min_password_chars: Option<f64>,
    /// How long an interrupted lifecycle operation is left to its owner before another
    /// caller recovers it, in seconds (default 30).
    pub operation_lease_seconds: Option<f64>,
    /// Failed logins per email (and per client key) within `loginWindowSeconds` before
    /// logins are refused with `TOO_MANY_ATTEMPTS` (default 10); `0` turns throttling off.
    pub login_max_failures: Option<f64>,
    /// How long failed logins are remembered, in seconds (default 900).
    pub login_window_seconds: Option<f64>,
    /// How long logins are refused once the limit is reached, in seconds (default 300).
    pub login_lockout_seconds: Option<f64>,
}

impl ConnectOptions {
    /// The core configuration these options describe: JS numbers become whole numbers
    /// here; defaults, parsing and checks are the core's (`Settings::into_config`).
    pub(crate) fn into_config(self) -> tenantry::Result<Config> {
        let narrow = |option: &str, value: Option<f64>| -> tenantry::Result<Option<u64>> {
            value.map(|v| whole(option, v)).transpose()
        };
        // Out of range for the target type is certainly out of core's range: saturate and
        // let core say so.
        let small = |v: Option<u64>| v.map(|v| u32::try_from(v).unwrap_or(u32::MAX));
        let mut settings = Settings::new(self.mongo_uri, self.jwt_secret);
        settings.master_db = self.master_db;
        settings.jwt_algorithm = self.jwt_algorithm;
        settings.jwt_expire_minutes = narrow("jwtExpireMinutes", self.jwt_expire_minutes)?;
        settings.jwt_issuer = self.jwt_issuer;
        settings.jwt_audience = self.jwt_audience;
        settings.jwt_leeway_seconds = narrow("jwtLeewaySeconds", self.jwt_leeway_seconds)?;
        settings.bcrypt_cost = small(narrow("bcryptCost", self.bcrypt_cost)?);
        settings.min_password_chars = narrow("minPasswordChars", self.min_password_chars)?
            .map(|v| usize::try_from(v).unwrap_or(usize::MAX));
        settings.operation_lease_seconds =
            narrow("operationLeaseSeconds", self.operation_lease_seconds)?;
        settings.login_max_failures = small(narrow("loginMaxFailures", self.login_max_failures)?);
        settings.login_window_seconds = narrow("loginWindowSeconds", self.login_window_seconds)?;
        settings.login_lockout_seconds = narrow("loginLockoutSeconds", self.login_lockout_seconds)?;
        settings.into_config()
    }
}

/// A JS number as a whole, non-negative count. JS has no integer type, so this is the
/// conversion's own check; the ranges that matter are core's.
fn whole(option: &str, value: f64) -> tenantry::Result<u64> {
    // 2^53: the largest range in which every whole JS number is exact.
    const MAX_EXACT: f64 = 9_007_199_254_740_992.0;
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= MAX_EXACT {
        Ok(value as u64)
    } else {
        Err(tenantry::Error::Config(format!(
            "{option} must be a whole, non-negative number (got {value})"
        )))
    }
}

/// A tenant (organization).
#[napi(object)]
pub struct Tenant {
    /// Stable id of the tenant record (24 hex digits).
    pub id: String,
    /// The organization's name, as given at creation or last rename.
    pub name: String,
    /// The tenant's own collection, `org_<slug>`.
    pub collection_name: String,
    /// The database holding the collection.
    pub database: String,
    /// `database.collection`.
    pub namespace: String,
    /// The admin's email.
    pub admin_email: String,
    /// The admin's stable id (24 hex digits).
    pub admin_id: String,
    /// When the tenant was created.
    pub created_at: DateTime<Utc>,
    /// When the tenant was last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<tenantry::Tenant> for Tenant {
    fn from(t: tenantry::Tenant) -> Self {
        Tenant {
            id: t.id.to_hex(),
            namespace: t.namespace(),
            name: t.name,
            collection_name: t.collection_name,
            database: t.database,
            admin_email: t.admin_email,
            admin_id: t.admin_id.to_hex(),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// What `updateTenant` changes; absent (or `null`) fields stay as they are.
#[napi(object)]
pub struct TenantUpdate {
    /// New email of the acting admin.
    #[napi(ts_type = "string | null")]
    pub email: Option<Nullable<String>>,
    /// The acting admin's password. Only a password different from the current one is a
    /// change (and revokes the admin's earlier tokens).
    #[napi(ts_type = "string | null")]
    pub password: Option<Nullable<String>>,
    /// New organization name: the tenant's collection is renamed with all its data.
    #[napi(ts_type = "string | null")]
    pub new_name: Option<Nullable<String>>,
}

/// A value that may also be `null`: JSON bodies say "no change" with `null` as often as by
/// leaving a field out, and both mean the same here.
type Nullable<T> = Either<T, Null>;

fn given(value: Option<Nullable<String>>) -> Option<String> {
    match value {
        Some(Either::A(value)) => Some(value),
        Some(Either::B(Null)) | None => None,
    }
}

impl From<TenantUpdate> for tenantry::TenantUpdate {
    fn from(u: TenantUpdate) -> Self {
        let mut update = tenantry::TenantUpdate::new();
        if let Some(email) = given(u.email) {
            update = update.admin_email(email);
        }
        if let Some(password) = given(u.password) {
            update = update.admin_password(password);
        }
        if let Some(name) = given(u.new_name) {
            update = update.new_name(name);
        }
        update
    }
}

/// A freshly issued access token and the ids it carries.
#[napi(object)]
pub struct AccessToken {
    /// The JWT to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `"bearer"`.
    pub token_type: String,
    /// The admin user's id (24 hex digits).
    pub admin_id: String,
    /// The tenant's id (24 hex digits).
    pub organization_id: String,
    /// The tenant's current name.
    pub organization_name: String,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
}

impl From<tenantry::AccessToken> for AccessToken {
    fn from(t: tenantry::AccessToken) -> Self {
        AccessToken {
            access_token: t.access_token,
            token_type: t.token_type.to_owned(),
            admin_id: t.admin_id.to_hex(),
            organization_id: t.organization_id.to_hex(),
            organization_name: t.organization_name,
            expires_at: t.expires_at,
        }
    }
}

/// What a token says: who the admin is and which tenant they administer.
///
/// Obtained from `verifyToken` (or `decodeToken`) only, never built by hand: the methods
/// that act on a tenant take it as proof of who is acting.
#[napi]
pub struct Claims {
    pub(crate) inner: tenantry::Claims,
}

#[napi]
impl Claims {
    /// The admin user's id (24 hex digits; stable across email changes).
    #[napi(getter)]
    pub fn admin_id(&self) -> String {
        self.inner.admin_id().to_hex()
    }

    /// The tenant's id (24 hex digits; stable across renames).
    #[napi(getter)]
    pub fn organization_id(&self) -> String {
        self.inner.tenant_id().to_hex()
    }

    /// The tenant's name: current after `verifyToken`, as issued after `decodeToken`.
    #[napi(getter)]
    pub fn organization_name(&self) -> String {
        self.inner.tenant_name().to_owned()
    }

    /// The admin's token version when the token was issued.
    #[napi(getter)]
    pub fn token_version(&self) -> i64 {
        self.inner.token_version()
    }

    /// When the token was issued.
    #[napi(getter)]
    pub fn issued_at(&self) -> DateTime<Utc> {
        self.inner.issued_at()
    }

    /// When the token expires.
    #[napi(getter)]
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.inner.expires_at()
    }

    /// The claims as a plain object (used by `JSON.stringify`).
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> ClaimsObject {
        ClaimsObject {
            admin_id: self.admin_id(),
            organization_id: self.organization_id(),
            organization_name: self.organization_name(),
            token_version: self.token_version(),
            issued_at: self.inner.issued_at(),
            expires_at: self.inner.expires_at(),
        }
    }
}

impl From<tenantry::Claims> for Claims {
    fn from(inner: tenantry::Claims) -> Self {
        Claims { inner }
    }
}

/// The fields of `Claims` as a plain object.
#[napi(object)]
pub struct ClaimsObject {
    /// The admin user's id.
    pub admin_id: String,
    /// The tenant's id.
    pub organization_id: String,
    /// The tenant's name.
    pub organization_name: String,
    /// The admin's token version when the token was issued.
    pub token_version: i64,
    /// When the token was issued.
    pub issued_at: DateTime<Utc>,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
}

/// Where a tenant's own data lives, for use with the `mongodb` driver:
/// `client.db(c.database).collection(c.collectionName)`.
#[napi(object)]
pub struct TenantCollection {
    /// The database holding the collection.
    pub database: String,
    /// The tenant's collection, `org_<slug>`.
    pub collection_name: String,
    /// `database.collection`.
    pub namespace: String,
}

/// What `recover` found and did.
#[napi(object)]
pub struct RecoveryReport {
    /// Interrupted operations carried to their end (renames, updates, deletes).
    pub completed: u32,
    /// Interrupted operations undone (creates, updates that had not written yet).
    pub rolled_back: u32,
    /// Records of the original service given their normalized keys.
    pub adopted: u32,
    /// Records of the original service that could not be adopted, with the reason.
    pub not_adopted: Vec<String>,
    /// Keys no tenant or admin refers to any more, removed.
    pub swept_keys: u32,
    /// Tombstones older than the retention, dropped.
    pub swept_tombstones: u32,
    /// `org_*` collections that no tenant record claims (never dropped automatically).
    pub orphan_collections: Vec<String>,
    /// Tenants that could not be recovered; the others were recovered all the same.
    pub failed: Vec<RecoveryFailure>,
}

/// One tenant `recover()` could not fix.
#[napi(object)]
pub struct RecoveryFailure {
    /// The tenant's id (absent for a failed sweep).
    pub tenant_id: Option<String>,
    /// The tenant's name, or what failed.
    pub name: String,
    /// The stable code of the error.
    pub code: String,
    /// The error's message.
    pub message: String,
}

impl From<tenantry::RecoveryReport> for RecoveryReport {
    fn from(r: tenantry::RecoveryReport) -> Self {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        RecoveryReport {
            completed: count(r.completed),
            rolled_back: count(r.rolled_back),
            adopted: count(r.adopted),
            not_adopted: r.not_adopted,
            swept_keys: count(r.swept_keys),
            swept_tombstones: count(r.swept_tombstones),
            orphan_collections: r.orphan_collections,
            failed: r
                .failed
                .into_iter()
                .map(|f| RecoveryFailure {
                    tenant_id: f.tenant_id.map(|id| id.to_hex()),
                    name: f.name,
                    code: f.code.to_owned(),
                    message: f.message,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tenantry::{JwtAlgorithm, LoginThrottle};

    fn options() -> ConnectOptions {
        ConnectOptions {
            mongo_uri: "mongodb://localhost:27017".into(),
            jwt_secret: "0123456789abcdef0123".into(),
            master_db: None,
            jwt_algorithm: None,
            jwt_expire_minutes: None,
            jwt_issuer: None,
            jwt_audience: None,
            jwt_leeway_seconds: None,
            bcrypt_cost: None,
            min_password_chars: None,
            operation_lease_seconds: None,
            login_max_failures: None,
            login_window_seconds: None,
            login_lockout_seconds: None,
        }
    }

    #[test]
    fn absent_options_take_the_core_defaults() {
        let config = options().into_config().unwrap();
        let core = Config::builder("mongodb://localhost:27017", "0123456789abcdef0123")
            .build()
            .unwrap();
        assert_eq!(config.master_db, core.master_db);
        assert_eq!(config.jwt_expiry, core.jwt_expiry);
        assert_eq!(config.bcrypt_cost, core.bcrypt_cost);
        assert_eq!(config.login_throttle, core.login_throttle);
    }

    #[test]
    fn options_reach_the_core() {
        let config = ConnectOptions {
            jwt_algorithm: Some("hs512".into()),
            jwt_expire_minutes: Some(5.0),
            bcrypt_cost: Some(4.0),
            login_max_failures: Some(3.0),
            ..options()
        }
        .into_config()
        .unwrap();
        assert_eq!(config.jwt_algorithm, JwtAlgorithm::HS512);
        assert_eq!(config.jwt_expiry, Duration::from_secs(300));
        assert_eq!(config.bcrypt_cost, 4);
        let throttle = config.login_throttle.unwrap();
        assert_eq!(throttle.max_failures, 3);
        assert_eq!(throttle.lockout, LoginThrottle::default().lockout);

        let off = ConnectOptions {
            login_max_failures: Some(0.0),
            ..options()
        };
        assert_eq!(off.into_config().unwrap().login_throttle, None);
    }

    #[test]
    fn numbers_must_be_whole_and_non_negative() {
        for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY, 1e300] {
            assert_eq!(whole("x", bad).unwrap_err().code(), "CONFIG", "{bad}");
        }
        assert_eq!(whole("x", 0.0).unwrap(), 0);
        assert_eq!(whole("x", 31.0).unwrap(), 31);
        // Beyond u32, a cost saturates and core refuses it rather than wrapping to a
        // small, valid-looking value.
        let huge = ConnectOptions {
            bcrypt_cost: Some(4_294_967_300.0),
            ..options()
        };
        assert_eq!(huge.into_config().unwrap_err().code(), "CONFIG");
    }
}
